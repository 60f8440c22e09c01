package io.sluice.runtime.sink;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Writes a {@link SinkRecord} field by field. Between chained operators Flink copies every record;
 * a copy shares the key and value arrays, which nothing writes to once encoded, instead of cloning
 * them through reflection as the POJO serializer would.
 */
public final class SinkRecordSerializer extends TypeSerializerSingleton<SinkRecord> {
    private static final long serialVersionUID = 1L;
    static final SinkRecordSerializer INSTANCE = new SinkRecordSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public SinkRecord createInstance() {
        return new SinkRecord();
    }

    @Override
    public SinkRecord copy(SinkRecord from) {
        return new SinkRecord(from.key, from.value, from.configVersion);
    }

    @Override
    public SinkRecord copy(SinkRecord from, SinkRecord reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(SinkRecord r, DataOutputView out) throws IOException {
        writeBytes(r.key, out);
        writeBytes(r.value, out);
        out.writeLong(r.configVersion);
    }

    @Override
    public SinkRecord deserialize(DataInputView in) throws IOException {
        byte[] key = readBytes(in);
        byte[] value = readBytes(in);
        return new SinkRecord(key, value, in.readLong());
    }

    @Override
    public SinkRecord deserialize(SinkRecord reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    /** Length, or -1 for null, then the bytes. */
    private static void writeBytes(byte[] b, DataOutputView out) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static byte[] readBytes(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    @Override
    public TypeSerializerSnapshot<SinkRecord> snapshotConfiguration() {
        return new Snapshot();
    }

    /** No parameters: a restored job reads the layout as is. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SinkRecord> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
