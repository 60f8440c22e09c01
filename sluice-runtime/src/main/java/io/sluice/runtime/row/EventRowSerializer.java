package io.sluice.runtime.row;

import io.sluice.spec.model.FieldType;
import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Serializes {@link EventRow}s of one field layout without Kryo or reflection: a null bitmap, then
 * each present value in its type's binary form, then raw bytes, origin and config version.
 */
public final class EventRowSerializer extends TypeSerializer<EventRow> {
    private static final long serialVersionUID = 1L;

    private final FieldType[] types;
    private final int maskBytes;

    public EventRowSerializer(FieldType[] types) {
        this.types = types;
        // one bit per field, plus two for raw and origin
        this.maskBytes = (types.length + 2 + 7) / 8;
    }

    FieldType[] types() {
        return types;
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<EventRow> duplicate() {
        return this;
    }

    @Override
    public EventRow createInstance() {
        return new EventRow(types.length);
    }

    @Override
    public EventRow copy(EventRow from) {
        // field values are immutable (String, Long, Double, Boolean); raw bytes are never mutated
        return new EventRow(from.values().clone(), from.raw(), from.origin(), from.configVersion());
    }

    @Override
    public EventRow copy(EventRow from, EventRow reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(EventRow row, DataOutputView out) throws IOException {
        int n = types.length;
        byte[] mask = new byte[maskBytes];
        for (int i = 0; i < n; i++) {
            if (row.get(i) == null) {
                mask[i >>> 3] |= (byte) (1 << (i & 7));
            }
        }
        if (row.raw() == null) {
            mask[n >>> 3] |= (byte) (1 << (n & 7));
        }
        if (row.origin() == null) {
            mask[(n + 1) >>> 3] |= (byte) (1 << ((n + 1) & 7));
        }
        out.write(mask);
        for (int i = 0; i < n; i++) {
            Object v = row.get(i);
            if (v == null) {
                continue;
            }
            switch (types[i]) {
                case STRING, JSON -> StringValue.writeString((String) v, out);
                case LONG, TIMESTAMP -> out.writeLong((Long) v);
                case DOUBLE -> out.writeDouble((Double) v);
                case BOOLEAN -> out.writeBoolean((Boolean) v);
            }
        }
        if (row.raw() != null) {
            out.writeInt(row.raw().length);
            out.write(row.raw());
        }
        if (row.origin() != null) {
            StringValue.writeString(row.origin(), out);
        }
        out.writeLong(row.configVersion());
    }

    @Override
    public EventRow deserialize(DataInputView in) throws IOException {
        int n = types.length;
        byte[] mask = new byte[maskBytes];
        in.readFully(mask);
        Object[] values = new Object[n];
        for (int i = 0; i < n; i++) {
            if ((mask[i >>> 3] & (1 << (i & 7))) != 0) {
                continue;
            }
            values[i] =
                    switch (types[i]) {
                        case STRING, JSON -> StringValue.readString(in);
                        case LONG, TIMESTAMP -> in.readLong();
                        case DOUBLE -> in.readDouble();
                        case BOOLEAN -> in.readBoolean();
                    };
        }
        byte[] raw = null;
        if ((mask[n >>> 3] & (1 << (n & 7))) == 0) {
            raw = new byte[in.readInt()];
            in.readFully(raw);
        }
        String origin = null;
        if ((mask[(n + 1) >>> 3] & (1 << ((n + 1) & 7))) == 0) {
            origin = StringValue.readString(in);
        }
        return new EventRow(values, raw, origin, in.readLong());
    }

    @Override
    public EventRow deserialize(EventRow reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventRowSerializer s && Arrays.equals(types, s.types);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(types);
    }

    @Override
    public TypeSerializerSnapshot<EventRow> snapshotConfiguration() {
        return new Snapshot(types);
    }

    /** Stores the field types; a restored job must have the same layout (else: incompatible). */
    public static final class Snapshot implements TypeSerializerSnapshot<EventRow> {
        private FieldType[] types;

        public Snapshot() {}

        Snapshot(FieldType[] types) {
            this.types = types;
        }

        @Override
        public int getCurrentVersion() {
            return 1;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeInt(types.length);
            for (FieldType t : types) {
                out.writeByte(t.ordinal());
            }
        }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader loader)
                throws IOException {
            types = new FieldType[in.readInt()];
            for (int i = 0; i < types.length; i++) {
                types[i] = FieldType.values()[in.readByte()];
            }
        }

        @Override
        public TypeSerializer<EventRow> restoreSerializer() {
            return new EventRowSerializer(types);
        }

        @Override
        public TypeSerializerSchemaCompatibility<EventRow> resolveSchemaCompatibility(
                TypeSerializerSnapshot<EventRow> oldSnapshot) {
            return oldSnapshot instanceof Snapshot s && Arrays.equals(s.types, types)
                    ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
