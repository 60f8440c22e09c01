package io.sluice.bench.jmh;

import dev.cel.runtime.CelEvaluationException;
import io.sluice.runtime.processor.CelProgram;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.yaml.Pos;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * CEL evaluation, compiled to JVM code vs CEL's interpreter, on the taxi example's {@code features}
 * step (examples/taxi/taxi.yaml) over a fixed array of trips. Times are per row.
 *
 * <pre>
 * ./mvnw -B -q -o package -pl sluice-runtime,sluice-bench -DskipTests -Dspotless.check.skip=true
 * java -cp "sluice-bench/target/classes:sluice-bench/target/lib/*" org.openjdk.jmh.Main \
 *     ExpressionBench -f 1 -wi 3 -w 1s -i 5 -r 1s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class ExpressionBench {
    static final int ROWS = 1024;

    /** The features step's input: what validate-trip guarantees is non-null. */
    static final RowSchema SCHEMA =
            RowSchema.of(
                    new Field("trip_seconds", FieldType.LONG, false),
                    new Field("trip_miles", FieldType.DOUBLE, false),
                    new Field("fare", FieldType.DOUBLE, false),
                    new Field("pickup_lat", FieldType.DOUBLE, true),
                    new Field("pickup_lon", FieldType.DOUBLE, true),
                    new Field("dropoff_lat", FieldType.DOUBLE, true),
                    new Field("dropoff_lon", FieldType.DOUBLE, true));

    @Param({"compiled", "interpreted"})
    public String mode;

    private CelProgram speed;
    private CelProgram farePerMile;
    private CelProgram hasMiles;
    private CelProgram distance;
    private CelProgram hasCoordinates;
    private EventRow[] rows;

    @Setup
    public void setup() {
        speed = program("trip_miles / (double(trip_seconds) / 3600.0)");
        farePerMile = program("fare / trip_miles");
        hasMiles = program("trip_miles > 0.0");
        distance = program("haversine_km(pickup_lat, pickup_lon, dropoff_lat, dropoff_lon)");
        hasCoordinates =
                program(
                        "pickup_lat != null && pickup_lon != null && dropoff_lat != null"
                                + " && dropoff_lon != null");
        rows = trips(new Random(42));
    }

    private CelProgram program(String text) {
        Expr expr = new Expr(text, new Pos("taxi.yaml", 1, 1));
        CelProgram p =
                mode.equals("compiled")
                        ? new CelProgram(expr, SCHEMA)
                        : CelProgram.interpreted(expr, SCHEMA);
        if (p.isCompiled() != mode.equals("compiled")) {
            throw new IllegalStateException(
                    text + " is not " + mode + ": " + p.interpretedBecause());
        }
        return p;
    }

    /** Trips around Chicago; one in ten without coordinates, some standing still. */
    static EventRow[] trips(Random rnd) {
        EventRow[] out = new EventRow[ROWS];
        for (int i = 0; i < ROWS; i++) {
            boolean located = rnd.nextInt(10) != 0;
            out[i] =
                    EventRow.of(
                            60L + rnd.nextInt(3600),
                            rnd.nextInt(20) == 0 ? 0.0 : rnd.nextDouble() * 20,
                            3.25 + rnd.nextDouble() * 60,
                            located ? 41.7 + rnd.nextDouble() * 0.3 : null,
                            located ? -87.8 + rnd.nextDouble() * 0.3 : null,
                            located ? 41.7 + rnd.nextDouble() * 0.3 : null,
                            located ? -87.8 + rnd.nextDouble() * 0.3 : null);
        }
        return out;
    }

    /** The whole features step per row: three fields, two of them behind a condition. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void featuresStep(Blackhole bh) throws CelEvaluationException {
        for (EventRow row : rows) {
            bh.consume(speed.eval(row));
            if (Boolean.TRUE.equals(hasMiles.eval(row))) {
                bh.consume(farePerMile.eval(row));
            }
            if (Boolean.TRUE.equals(hasCoordinates.eval(row))) {
                bh.consume(distance.eval(row));
            }
        }
    }

    /** One arithmetic expression. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void speedMph(Blackhole bh) throws CelEvaluationException {
        for (EventRow row : rows) {
            bh.consume(speed.eval(row));
        }
    }

    /** One condition: four null checks joined by {@code &&}. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void coordinatesPresent(Blackhole bh) throws CelEvaluationException {
        for (EventRow row : rows) {
            bh.consume(hasCoordinates.eval(row));
        }
    }
}
