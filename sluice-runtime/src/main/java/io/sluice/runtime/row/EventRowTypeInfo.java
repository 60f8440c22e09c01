package io.sluice.runtime.row;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.util.Arrays;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink type information for rows of one schema, backed by {@link EventRowSerializer}. */
public final class EventRowTypeInfo extends TypeInformation<EventRow> {
    private static final long serialVersionUID = 1L;

    private final FieldType[] types;

    public EventRowTypeInfo(RowSchema schema) {
        this.types = schema.fields().stream().map(Field::type).toArray(FieldType[]::new);
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return types.length;
    }

    @Override
    public int getTotalFields() {
        return Math.max(1, types.length);
    }

    @Override
    public Class<EventRow> getTypeClass() {
        return EventRow.class;
    }

    @Override
    public boolean isKeyType() {
        return true;
    }

    @Override
    public TypeSerializer<EventRow> createSerializer(SerializerConfig config) {
        return new EventRowSerializer(types);
    }

    @Override
    public String toString() {
        return "EventRow" + Arrays.toString(types);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventRowTypeInfo t && Arrays.equals(types, t.types);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(types);
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof EventRowTypeInfo;
    }
}
