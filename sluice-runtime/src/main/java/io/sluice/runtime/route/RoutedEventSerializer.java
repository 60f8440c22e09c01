package io.sluice.runtime.route;

import io.sluice.runtime.row.EventRow;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/** Serializes {@link RoutedEvent}s without Kryo: each row value is tagged with its type. */
public final class RoutedEventSerializer extends TypeSerializerSingleton<RoutedEvent> {
    private static final long serialVersionUID = 1L;
    public static final RoutedEventSerializer INSTANCE = new RoutedEventSerializer();
    public static final TypeInformation<RoutedEvent> TYPE =
            new SerializerTypeInfo<>(RoutedEvent.class, INSTANCE);

    @Override
    public boolean isImmutableType() {
        // the row's values are never changed after the routing stage builds it
        return true;
    }

    @Override
    public RoutedEvent createInstance() {
        return null;
    }

    @Override
    public RoutedEvent copy(RoutedEvent from) {
        return from;
    }

    @Override
    public RoutedEvent copy(RoutedEvent from, RoutedEvent reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(RoutedEvent e, DataOutputView out) throws IOException {
        StringValue.writeString(e.route(), out);
        out.writeLong(e.version());
        StringValue.writeString(e.key(), out);
        TaggedValues.write(e.row().values(), out);
        TaggedValues.writeBytes(e.row().raw(), out);
        TaggedValues.writeNullable(e.row().origin(), out);
    }

    @Override
    public RoutedEvent deserialize(DataInputView in) throws IOException {
        String route = StringValue.readString(in);
        long version = in.readLong();
        String key = StringValue.readString(in);
        Object[] values = TaggedValues.read(in);
        byte[] raw = TaggedValues.readBytes(in);
        String origin = TaggedValues.readNullable(in);
        return new RoutedEvent(route, version, key, new EventRow(values, raw, origin, version));
    }

    @Override
    public RoutedEvent deserialize(RoutedEvent reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<RoutedEvent> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The layout has no parameters; a restored job reads it as is. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<RoutedEvent> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
