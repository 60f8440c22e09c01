package io.sluice.bench.jmh;

import io.sluice.runtime.processor.KeyProjector;
import io.sluice.runtime.processor.WindowAggregateProcessor;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Window updates per row without a cluster: the operator {@code window-aggregate} builds (panes of
 * 5 min for a 1 h window sliding by 5 min) against Flink's window operator with {@code
 * SlidingEventTimeWindows} and the same {@code AggregateFunction}, each in Flink's keyed operator
 * harness on the heap or on RocksDB. Each invocation feeds 10,000 rows of 1,000 keys, ten per key
 * and 5-minute pane, with a watermark every 1,000 rows, so windows fire as they would in a job.
 * Times are per row. On the heap by default; {@code -p backend=rocksdb} runs RocksDB inside the
 * harness's mock environment, whose figures are far slower than a task's (tens of µs per row for
 * panes) and say little: {@code sluice-bench/run-windows} measures RocksDB in a real job.
 *
 * <pre>
 * java -cp "sluice-bench/target/classes:sluice-bench/target/lib/*" org.openjdk.jmh.Main PaneUpdateBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class PaneUpdateBench {
    static final int BATCH = 10_000;
    static final int KEYS = 1_000;
    static final long SPACING = 30; // ms of event time between rows: 10 rows per key and pane
    static final RowSchema TRIPS =
            new RowSchema(
                    List.of(
                            new Field("area", FieldType.LONG, false),
                            new Field("ts", FieldType.TIMESTAMP, false),
                            new Field("fare", FieldType.DOUBLE, false)));
    static final RowSchema RESULT =
            new RowSchema(
                    List.of(
                            TRIPS.field("area"),
                            new Field("window_start", FieldType.TIMESTAMP, false),
                            new Field("window_end", FieldType.TIMESTAMP, false),
                            new Field("trips", FieldType.LONG, false),
                            new Field("avg_fare", FieldType.DOUBLE, true)));

    @Param({"panes", "flink"})
    public String windows;

    @Param({"heap"}) // -p backend=rocksdb: see the class comment
    public String backend;

    private KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> harness;
    private EventRow[] rows;
    private long next;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        rows = new EventRow[BATCH];
        for (int i = 0; i < BATCH; i++) {
            rows[i] = EventRow.of((long) random.nextInt(KEYS), 0L, random.nextDouble(5, 80));
        }
        KeyProjector byArea = new KeyProjector(new int[] {0});
        KeyedStream<EventRow, EventRow> keyed =
                StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(new EventRowTypeInfo(TRIPS), new EventRow(3))
                        .keyBy(
                                byArea,
                                new EventRowTypeInfo(new RowSchema(List.of(TRIPS.field("area")))));
        SingleOutputStreamOperator<EventRow> out =
                windows.equals("panes")
                        ? WindowAggregateProcessor.paneWindows(
                                keyed,
                                Duration.ofHours(1),
                                Duration.ofMinutes(5),
                                Duration.ZERO,
                                new int[] {-1, 2},
                                new String[] {"count", "avg"},
                                new EventRowTypeInfo(RESULT),
                                new OutputTag<>("late", new EventRowTypeInfo(TRIPS)),
                                "panes")
                        : keyed.window(
                                        SlidingEventTimeWindows.of(
                                                Duration.ofHours(1), Duration.ofMinutes(5)))
                                .aggregate(
                                        new CountAndSum(),
                                        new Emit(),
                                        PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO,
                                        PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO,
                                        new EventRowTypeInfo(RESULT));
        @SuppressWarnings("unchecked")
        OneInputStreamOperator<EventRow, EventRow> operator =
                ((OneInputTransformation<EventRow, EventRow>) out.getTransformation())
                        .getOperator();
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator,
                        byArea,
                        new EventRowTypeInfo(new RowSchema(List.of(TRIPS.field("area")))));
        if (backend.equals("rocksdb")) {
            harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        harness.open();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        harness.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void update() throws Exception {
        for (int i = 0; i < BATCH; i++) {
            long ts = next++ * SPACING;
            EventRow r = rows[i];
            harness.processElement(new StreamRecord<>(EventRow.of(r.get(0), ts, r.get(2)), ts));
            if (i % 1_000 == 999) {
                harness.processWatermark(ts);
            }
        }
        harness.getOutput().clear();
    }

    /** The hand-written side's accumulator: [rows, fare sum]. */
    static final class CountAndSum implements AggregateFunction<EventRow, double[], double[]> {
        @Override
        public double[] createAccumulator() {
            return new double[2];
        }

        @Override
        public double[] add(EventRow row, double[] acc) {
            acc[0]++;
            acc[1] += (Double) row.get(2);
            return acc;
        }

        @Override
        public double[] getResult(double[] acc) {
            return acc;
        }

        @Override
        public double[] merge(double[] a, double[] b) {
            return new double[] {a[0] + b[0], a[1] + b[1]};
        }
    }

    static final class Emit
            extends ProcessWindowFunction<double[], EventRow, EventRow, TimeWindow> {
        @Override
        public void process(
                EventRow key, Context ctx, Iterable<double[]> accs, Collector<EventRow> out) {
            double[] a = accs.iterator().next();
            out.collect(
                    EventRow.of(
                            key.get(0),
                            ctx.window().getStart(),
                            ctx.window().getEnd(),
                            (long) a[0],
                            a[1] / a[0]));
        }
    }
}
