package io.sluice.bench.baseline;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.time.Instant;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * JSON lines for each output, with Jackson's streaming generator: the same fields in the same order
 * as Sluice writes them (timestamps as ISO-8601 UTC, non-finite numbers as null, then {@code
 * spec_hash} and {@code config_version}). Each encoder counts its records in an accumulator named
 * {@link #OUT_PREFIX}{@code <sink>}, so the benchmark can check both jobs did the same work.
 */
public final class JsonOutputs {
    public static final String OUT_PREFIX = "baseline.out.";
    public static final String DEAD_PREFIX = "baseline.dead-letters.";

    private JsonOutputs() {}

    /** Encodes one record type; subclasses write the fields. */
    public abstract static class Encoder<T> extends RichMapFunction<T, byte[]> {
        private static final JsonFactory JSON = new JsonFactory();

        private final String sink;
        private final String specHash;
        private transient ByteArrayBuilder buffer;
        private transient LongCounter records;

        protected Encoder(String sink, String specHash) {
            this.sink = sink;
            this.specHash = specHash;
        }

        @Override
        public void open(OpenContext openContext) {
            buffer = new ByteArrayBuilder(512);
            records = getRuntimeContext().getLongCounter(OUT_PREFIX + sink);
        }

        @Override
        public byte[] map(T value) throws IOException {
            records.add(1);
            buffer.reset();
            try (JsonGenerator g = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
                g.writeStartObject();
                writeFields(value, g);
                g.writeStringField("spec_hash", specHash);
                g.writeNumberField("config_version", 0L);
                g.writeEndObject();
            }
            return buffer.toByteArray();
        }

        protected abstract void writeFields(T value, JsonGenerator g) throws IOException;

        static void time(JsonGenerator g, String name, long epochMillis) throws IOException {
            g.writeStringField(name, Instant.ofEpochMilli(epochMillis).toString());
        }

        static void number(JsonGenerator g, String name, Double v) throws IOException {
            if (v == null || !Double.isFinite(v)) {
                g.writeNullField(name);
            } else {
                g.writeNumberField(name, v.doubleValue());
            }
        }

        static void number(JsonGenerator g, String name, double v) throws IOException {
            if (Double.isFinite(v)) {
                g.writeNumberField(name, v);
            } else {
                g.writeNullField(name);
            }
        }

        static void number(JsonGenerator g, String name, Long v) throws IOException {
            if (v == null) {
                g.writeNullField(name);
            } else {
                g.writeNumberField(name, v.longValue());
            }
        }

        static void string(JsonGenerator g, String name, String v) throws IOException {
            if (v == null) {
                g.writeNullField(name);
            } else {
                g.writeStringField(name, v);
            }
        }
    }

    /** trip-features and late-trips. */
    public static final class Trips extends Encoder<TripFeatures> {
        public Trips(String sink, String specHash) {
            super(sink, specHash);
        }

        @Override
        protected void writeFields(TripFeatures t, JsonGenerator g) throws IOException {
            string(g, "trip_id", t.tripId);
            time(g, "trip_start_timestamp", t.startMillis);
            g.writeNumberField("trip_seconds", t.tripSeconds);
            number(g, "trip_miles", t.tripMiles);
            g.writeNumberField("area", t.area);
            number(g, "dropoff_area", t.dropoffArea);
            number(g, "fare", t.fare);
            number(g, "tips", t.tips);
            string(g, "company", t.company);
            number(g, "pickup_lat", t.pickupLat);
            number(g, "pickup_lon", t.pickupLon);
            number(g, "dropoff_lat", t.dropoffLat);
            number(g, "dropoff_lon", t.dropoffLon);
            number(g, "speed_mph", t.speedMph);
            number(g, "fare_per_mile", t.farePerMile);
            number(g, "distance_km", t.distanceKm);
        }
    }

    /** area-stats. */
    public static final class Areas extends Encoder<AreaStats> {
        public Areas(String sink, String specHash) {
            super(sink, specHash);
        }

        @Override
        protected void writeFields(AreaStats s, JsonGenerator g) throws IOException {
            g.writeNumberField("area", s.area);
            time(g, "window_start", s.windowStart);
            time(g, "window_end", s.windowEnd);
            g.writeNumberField("trip_count", s.tripCount);
            number(g, "avg_fare", s.avgFare);
            number(g, "avg_distance", s.avgDistance);
            number(g, "fare_stddev", s.fareStddev);
        }
    }

    /** taxi-alerts. */
    public static final class Alerts extends Encoder<FareAlert> {
        public Alerts(String sink, String specHash) {
            super(sink, specHash);
        }

        @Override
        protected void writeFields(FareAlert a, JsonGenerator g) throws IOException {
            g.writeStringField("key", a.key);
            number(g, "value", a.value);
            number(g, "mean", a.mean);
            number(g, "stddev", a.stddev);
            number(g, "z", a.z);
            time(g, "event_time", a.eventTime);
            g.writeStringField("rule", a.rule);
        }
    }

    /** dead-letters; also counts them per reason. */
    public static final class DeadLetters extends Encoder<DeadLetter> {
        public DeadLetters(String sink, String specHash) {
            super(sink, specHash);
        }

        @Override
        public byte[] map(DeadLetter d) throws IOException {
            getRuntimeContext().getLongCounter(DEAD_PREFIX + d.reason).add(1);
            return super.map(d);
        }

        @Override
        protected void writeFields(DeadLetter d, JsonGenerator g) throws IOException {
            g.writeStringField("reason", d.reason);
            g.writeStringField("message", d.message);
            string(g, "field", d.field);
            string(g, "payload", d.payload);
            string(g, "payload_base64", d.payloadBase64);
            string(g, "position", d.position);
            string(g, "origin", d.origin);
            string(g, "step", d.step);
        }
    }
}
