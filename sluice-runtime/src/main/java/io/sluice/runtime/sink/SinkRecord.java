package io.sluice.runtime.sink;

import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * An encoded output record: optional key bytes, the JSON value, and the config version that
 * produced it (for sinks that carry it outside the value, e.g. Kafka headers). Serialized by {@link
 * SinkRecordSerializer}: no Kryo, no reflection.
 */
public final class SinkRecord {
    public static final TypeInformation<SinkRecord> TYPE =
            new io.sluice.runtime.route.SerializerTypeInfo<>(
                    SinkRecord.class, SinkRecordSerializer.INSTANCE);

    public byte[] key;
    public byte[] value;
    public long configVersion;

    public SinkRecord() {}

    /** The key as text ("" when the record has none), e.g. to partition records by it. */
    public String keyText() {
        return key == null ? "" : new String(key, java.nio.charset.StandardCharsets.UTF_8);
    }

    public SinkRecord(byte[] key, byte[] value, long configVersion) {
        this.key = key;
        this.value = value;
        this.configVersion = configVersion;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SinkRecord r
                && java.util.Arrays.equals(key, r.key)
                && java.util.Arrays.equals(value, r.value)
                && configVersion == r.configVersion;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                java.util.Arrays.hashCode(key), java.util.Arrays.hashCode(value), configVersion);
    }
}
