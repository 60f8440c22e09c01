package io.sluice.runtime.sink;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.sluice.runtime.codec.ValueParser;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.io.IOException;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Writes a row as one JSON object: its fields by name (timestamps as ISO-8601 UTC, non-finite
 * numbers as null), then the stamps every output carries: {@code spec_hash} and {@code
 * config_version}. Counts records per sink, and dead letters per reason.
 */
public final class JsonEncoder extends RichMapFunction<EventRow, SinkRecord> {
    /** One generator writes every record of a task, so no separator between root values. */
    private static final JsonFactory JSON =
            JsonFactory.builder()
                    .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                    .build()
                    .setRootValueSeparator(null);

    private final String[] names;
    private final FieldType[] types;
    private final String specHash;
    private final String sinkId;
    private final boolean deadLetters;
    private transient ByteArrayBuilder buffer;
    private transient JsonGenerator generator;
    private transient com.fasterxml.jackson.core.io.SerializedString[] fieldNames;
    private transient LongCounter records;

    private final int[] keyFields;
    private final String route;

    public JsonEncoder(RowSchema schema, String specHash, String sinkId) {
        this(schema, specHash, sinkId, new int[0]);
    }

    /**
     * @param keyFields indexes of the fields whose values, as text joined by '|', form the key
     */
    public JsonEncoder(RowSchema schema, String specHash, String sinkId, int[] keyFields) {
        this(schema, specHash, sinkId, keyFields, null);
    }

    /**
     * @param route the live route producing the rows, written as {@code route} (null: none)
     */
    public JsonEncoder(
            RowSchema schema, String specHash, String sinkId, int[] keyFields, String route) {
        this.keyFields = keyFields;
        this.route = route;
        this.names = schema.fields().stream().map(Field::name).toArray(String[]::new);
        this.types = schema.fields().stream().map(Field::type).toArray(FieldType[]::new);
        this.specHash = specHash;
        this.sinkId = sinkId;
        this.deadLetters = schema.equals(DeadLetters.SCHEMA);
    }

    @Override
    public void open(OpenContext openContext) {
        records = getRuntimeContext().getLongCounter(Counters.OUT_PREFIX + sinkId);
    }

    @Override
    public SinkRecord map(EventRow row) throws IOException {
        records.add(1);
        if (deadLetters) {
            getRuntimeContext()
                    .getLongCounter(Counters.DEAD_PREFIX + DeadLetters.reason(row))
                    .add(1);
        }
        return new SinkRecord(key(row), encode(row), row.configVersion());
    }

    /** The record key of {@code row} (null when the sink keys nothing). */
    public byte[] key(EventRow row) {
        if (keyFields.length == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < keyFields.length; i++) {
            if (i > 0) {
                sb.append('|');
            }
            Object v = row.get(keyFields[i]);
            if (v != null) {
                // as the value shows it: timestamps in ISO-8601, a missing value as nothing
                sb.append(
                        types[keyFields[i]] == FieldType.TIMESTAMP ? ValueParser.iso((Long) v) : v);
            }
        }
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The JSON bytes of {@code row}; usable outside Flink (tests, tools). */
    public byte[] encode(EventRow row) throws IOException {
        if (generator == null) {
            buffer = new ByteArrayBuilder(512);
            generator = JSON.createGenerator(buffer, JsonEncoding.UTF8);
            fieldNames = new com.fasterxml.jackson.core.io.SerializedString[names.length];
            for (int i = 0; i < names.length; i++) {
                fieldNames[i] = new com.fasterxml.jackson.core.io.SerializedString(names[i]);
            }
        }
        JsonGenerator g = generator;
        try {
            g.writeStartObject();
            for (int i = 0; i < names.length; i++) {
                g.writeFieldName(fieldNames[i]); // encoded once, not per record
                Object v = row.get(i);
                if (v == null) {
                    g.writeNull();
                    continue;
                }
                switch (types[i]) {
                    case STRING -> g.writeString((String) v);
                    case JSON -> g.writeRawValue((String) v);
                    case LONG -> g.writeNumber((Long) v);
                    case TIMESTAMP -> g.writeString(ValueParser.iso((Long) v));
                    case BOOLEAN -> g.writeBoolean((Boolean) v);
                    case DOUBLE -> {
                        double d = (Double) v;
                        if (Double.isFinite(d)) {
                            g.writeNumber(d);
                        } else {
                            g.writeNull();
                        }
                    }
                }
            }
            if (route != null) {
                g.writeStringField("route", route);
            }
            g.writeStringField("spec_hash", specHash);
            g.writeNumberField("config_version", row.configVersion());
            g.writeEndObject();
            g.flush();
            return buffer.toByteArray();
        } catch (IOException | RuntimeException e) {
            generator = null; // a half-written record must not lead the next one
            throw e;
        } finally {
            buffer.reset();
        }
    }
}
