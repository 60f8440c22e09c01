package io.sluice.bench.jmh;

import io.sluice.bench.baseline.TripRecord;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowSerializer;
import io.sluice.spec.model.FieldType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decoded taxi trip written and read back, as on every network hop and keyed-state access:
 * Sluice's {@link EventRowSerializer} (13 typed fields, the raw line, the origin) against Flink's
 * {@code PojoSerializer} on the hand-written job's {@link TripRecord} (the same fields, the line,
 * the origin). Times are per round trip.
 *
 * <pre>
 * java -cp "sluice-bench/target/classes:sluice-bench/target/lib/*" org.openjdk.jmh.Main RowSerializerBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class RowSerializerBench {
    static final String LINE =
            "{\"trip_id\":\"5f2a9c\",\"trip_start_timestamp\":\"01/15/2024 08:15:00 AM\",\"fare\":14.25}";

    private EventRowSerializer rows;
    private TypeSerializer<TripRecord> pojos;
    private EventRow row;
    private TripRecord trip;
    private final DataOutputSerializer out = new DataOutputSerializer(1024);
    private final DataInputDeserializer in = new DataInputDeserializer();

    @Setup
    public void setup() {
        rows =
                new EventRowSerializer(
                        new FieldType[] {
                            FieldType.STRING, FieldType.TIMESTAMP, FieldType.LONG, FieldType.DOUBLE,
                            FieldType.LONG, FieldType.LONG, FieldType.DOUBLE, FieldType.DOUBLE,
                            FieldType.STRING, FieldType.DOUBLE, FieldType.DOUBLE, FieldType.DOUBLE,
                            FieldType.DOUBLE
                        });
        row =
                new EventRow(
                        new Object[] {
                            "5f2a9c",
                            1_705_328_100_000L,
                            780L,
                            3.41,
                            8L,
                            32L,
                            14.25,
                            2.5,
                            "Flash Cab",
                            41.899602,
                            -87.633308,
                            41.884987,
                            -87.620993
                        },
                        LINE.getBytes(StandardCharsets.UTF_8),
                        "trips:1043",
                        0L);
        pojos = Types.POJO(TripRecord.class).createSerializer(new SerializerConfigImpl());
        trip = new TripRecord();
        trip.tripId = "5f2a9c";
        trip.startMillis = 1_705_328_100_000L;
        trip.tripSeconds = 780L;
        trip.tripMiles = 3.41;
        trip.area = 8L;
        trip.dropoffArea = 32L;
        trip.fare = 14.25;
        trip.tips = 2.5;
        trip.company = "Flash Cab";
        trip.pickupLat = 41.899602;
        trip.pickupLon = -87.633308;
        trip.dropoffLat = 41.884987;
        trip.dropoffLon = -87.620993;
        trip.line = LINE;
        trip.origin = "trips:1043";
    }

    @Benchmark
    public EventRow eventRowSerializer() throws IOException {
        out.clear();
        rows.serialize(row, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return rows.deserialize(in);
    }

    @Benchmark
    public TripRecord pojoSerializer() throws IOException {
        out.clear();
        pojos.serialize(trip, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return pojos.deserialize(in);
    }
}
