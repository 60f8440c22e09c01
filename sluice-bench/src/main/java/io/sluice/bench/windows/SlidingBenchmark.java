package io.sluice.bench.windows;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;

/**
 * The 1 h / 5 min sliding aggregation alone: Sluice's pane-sliced windows (the operator {@code
 * window-aggregate} builds) against Flink's {@code SlidingEventTimeWindows} with an incremental
 * {@code AggregateFunction} written by hand ({@link NativeSlidingJob}), on the heap and on RocksDB.
 * Run by {@code sluice-bench/run-windows}, never by the test suite.
 *
 * <p>Identical on both sides: the same trips ({@code EventRow}s of area, event time, fare, miles,
 * built once in memory), the same FLIP-27 source and watermarks, the same key (area), the same
 * aggregates (trip count, mean fare, mean miles, population stddev of fares, Welford), the same
 * Flink configuration (no Kryo fallback, no checkpoints, object reuse off), parallelism 2. Both
 * sides' results are checked against each other after every run: the same number of windows, the
 * same total of trip counts, and the same sum of mean fares to a relative 1e-9.
 */
public final class SlidingBenchmark {
    static final RowSchema TRIPS =
            new RowSchema(
                    List.of(
                            new Field("area", FieldType.LONG, false),
                            new Field("ts", FieldType.TIMESTAMP, false),
                            new Field("fare", FieldType.DOUBLE, false),
                            new Field("miles", FieldType.DOUBLE, false)));
    static final RowSchema AREA = new RowSchema(List.of(TRIPS.field("area")));
    static final RowSchema STATS =
            new RowSchema(
                    List.of(
                            TRIPS.field("area"),
                            new Field("window_start", FieldType.TIMESTAMP, false),
                            new Field("window_end", FieldType.TIMESTAMP, false),
                            new Field("trip_count", FieldType.LONG, false),
                            new Field("avg_fare", FieldType.DOUBLE, true),
                            new Field("avg_distance", FieldType.DOUBLE, true),
                            new Field("fare_stddev", FieldType.DOUBLE, true)));
    static final Duration SIZE = Duration.ofHours(1);
    static final Duration SLIDE = Duration.ofMinutes(5);

    private static volatile EventRow[] input;

    record Settings(
            int events,
            int keys,
            long spacingMs,
            int warmup,
            int runs,
            List<String> backends,
            Path report) {
        static Settings parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>();
            v.put("events", "1000000");
            v.put("keys", "1000");
            v.put("spacing-ms", "30");
            v.put("warmup", "1");
            v.put("runs", "3");
            v.put("backends", "heap,rocksdb");
            v.put("report", "sluice-bench/target/windows-benchmark.md");
            io.sluice.bench.Args.parse(args, v, null);
            return new Settings(
                    Integer.parseInt(v.get("events").replace("_", "").replace(",", "")),
                    Integer.parseInt(v.get("keys")),
                    Long.parseLong(v.get("spacing-ms")),
                    Integer.parseInt(v.get("warmup")),
                    Integer.parseInt(v.get("runs")),
                    List.of(v.get("backends").split(",")),
                    Path.of(v.get("report")));
        }
    }

    enum Side {
        SLUICE("sluice panes"),
        NATIVE("Flink SlidingEventTimeWindows");

        final String label;

        Side(String label) {
            this.label = label;
        }
    }

    record Run(Side side, String backend, double jobSeconds, Results results) {}

    public static void main(String[] args) throws Exception {
        Settings s;
        try {
            s = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("sluice-bench/run-windows: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(new SlidingBenchmark(s, System.out).run());
    }

    private final Settings settings;
    private final PrintStream out;
    private String stateTable = "";

    SlidingBenchmark(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    int run() throws Exception {
        long t0 = System.nanoTime();
        input = generate(settings.events(), settings.keys(), settings.spacingMs());
        double perPane =
                (double) SLIDE.toMillis() / settings.spacingMs() / Math.max(1, settings.keys());
        out.printf(
                Locale.US,
                "input: %,d trips over %,d areas, one every %d ms of event time (%.1f h; about %.1f"
                        + " trips per area and 5-minute pane), built in %.1f s%n",
                settings.events(),
                settings.keys(),
                settings.spacingMs(),
                settings.events() * settings.spacingMs() / 3_600_000.0,
                perPane,
                (System.nanoTime() - t0) / 1e9);
        List<Run> all = new ArrayList<>();
        int problems = 0;
        for (String backend : settings.backends()) {
            for (int i = 0; i < settings.warmup() + settings.runs(); i++) {
                boolean measured = i >= settings.warmup();
                String name =
                        (measured ? "run " + (i - settings.warmup() + 1) : "warm-up " + (i + 1))
                                + " "
                                + backend;
                Run a = execute(Side.SLUICE, backend, name);
                Run b = execute(Side.NATIVE, backend, name);
                if (!a.results().sameAs(b.results())) {
                    problems++;
                    out.printf(
                            "WARNING: %s: results differ: sluice %s, native %s%n",
                            name, a.results(), b.results());
                }
                if (measured) {
                    all.add(a);
                    all.add(b);
                }
            }
        }
        StringBuilder state = new StringBuilder();
        for (String backend : settings.backends()) {
            long[] perKey = WindowStateSize.perKey(backend, settings.keys());
            state.append(
                    String.format(
                            Locale.US, "| %s | %,d | %,d |%n", backend, perKey[0], perKey[1]));
        }
        stateTable = state.toString();
        String summary = summary(all);
        out.println();
        out.print(summary);
        Files.createDirectories(settings.report().toAbsolutePath().getParent());
        Files.writeString(settings.report(), markdown(all));
        out.println("Markdown summary: " + settings.report());
        return problems == 0 ? 0 : 1;
    }

    private Run execute(Side side, String backend, String name) throws Exception {
        System.gc();
        ResultSink.reset();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(flinkConfig(backend)));
        DataStream<EventRow> trips = stream(env);
        if (side == Side.SLUICE) {
            KeyedStream<EventRow, EventRow> keyed =
                    trips.keyBy(
                            new io.sluice.runtime.processor.KeyProjector(new int[] {0}),
                            new EventRowTypeInfo(AREA));
            io.sluice.runtime.processor.WindowAggregateProcessor.paneWindows(
                            keyed,
                            SIZE,
                            SLIDE,
                            Duration.ZERO,
                            new int[] {-1, 2, 3, 2},
                            new String[] {"count", "avg", "avg", "stddev"},
                            new EventRowTypeInfo(STATS),
                            new OutputTag<>("late", new EventRowTypeInfo(TRIPS)),
                            "area stats (panes)")
                    .sinkTo(new ResultSink())
                    .name("results");
        } else {
            NativeSlidingJob.compose(trips, SIZE, SLIDE).sinkTo(new ResultSink()).name("results");
        }
        JobExecutionResult result = env.execute(side.label + " " + name);
        Run run = new Run(side, backend, result.getNetRuntime() / 1000.0, ResultSink.results());
        out.printf(
                Locale.US,
                "%s %s: %,.0f events/s (%.2f s), %s%n",
                name,
                side.label,
                settings.events() / run.jobSeconds(),
                run.jobSeconds(),
                run.results());
        return run;
    }

    private static Map<String, String> flinkConfig(String backend) {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("pipeline.generic-types", "false");
        conf.put("pipeline.object-reuse", "false");
        conf.put("restart-strategy.type", "none");
        conf.put("parallelism.default", "2");
        conf.put("taskmanager.numberOfTaskSlots", "2");
        conf.put("state.backend.type", backend.equals("heap") ? "hashmap" : backend);
        conf.put("rest.bind-port", "0");
        return conf;
    }

    /** Trips in event-time order, areas uniformly random; fares and miles vary per trip. */
    static EventRow[] generate(int events, int keys, long spacingMs) {
        EventRow[] rows = new EventRow[events];
        SplittableRandom random = new SplittableRandom(42);
        long t0 = 1_700_000_000_000L - Math.floorMod(1_700_000_000_000L, SIZE.toMillis());
        for (int i = 0; i < events; i++) {
            long area = random.nextInt(keys);
            double miles = Math.round(random.nextDouble(0.2, 20.0) * 100) / 100.0;
            double fare = Math.round((3.25 + 2.25 * miles + random.nextDouble(0, 5)) * 100) / 100.0;
            rows[i] = EventRow.of(area, t0 + i * spacingMs, fare, miles);
        }
        return rows;
    }

    /** The installed trips, dealt to the source tasks in turn, with event time from the row. */
    static DataStream<EventRow> stream(StreamExecutionEnvironment env) {
        DataGeneratorSource<EventRow> source =
                new DataGeneratorSource<>(
                        new TripAt(),
                        input.length,
                        RateLimiterStrategy.noOp(),
                        new EventRowTypeInfo(TRIPS));
        return env.fromSource(
                source,
                WatermarkStrategy.<EventRow>forMonotonousTimestamps()
                        .withTimestampAssigner((r, ts) -> (Long) r.get(1)),
                "trips (in memory)");
    }

    /** Row {@code index} of the task's share: task k of n reads rows k, k + n, k + 2n, ... */
    static final class TripAt implements GeneratorFunction<Long, EventRow> {
        private static final long serialVersionUID = 1L;
        private transient int tasks;

        @Override
        public void open(SourceReaderContext context) {
            tasks = context.currentParallelism();
        }

        @Override
        public EventRow map(Long index) {
            int i =
                    (int)
                            io.sluice.runtime.source.GeneratorSourceFactory.Interleaved.row(
                                    index, input.length, Math.max(tasks, 1));
            EventRow r = input[i];
            return EventRow.of(r.values().clone());
        }
    }

    private String summary(List<Run> runs) {
        StringBuilder sb = new StringBuilder("Sliding-window benchmark (1 h / 5 min) summary\n");
        for (String backend : settings.backends()) {
            double a = median(runs, Side.SLUICE, backend);
            double b = median(runs, Side.NATIVE, backend);
            sb.append(
                    String.format(
                            Locale.US,
                            "  %-8s sluice panes %,10.0f events/s   native %,10.0f events/s   ratio %.2f%n",
                            backend,
                            settings.events() / a,
                            settings.events() / b,
                            b / a));
        }
        sb.append("  keyed state bytes per window key (sluice panes | native):\n");
        sb.append(stateTable.replace("| ", "    ").replace(" |", ""));
        return sb.toString();
    }

    private String markdown(List<Run> runs) {
        StringBuilder sb = new StringBuilder();
        sb.append(
                "| state backend | Sluice panes (events/s) | Flink SlidingEventTimeWindows (events/s) | ratio |\n");
        sb.append("|---|---:|---:|---:|\n");
        for (String backend : settings.backends()) {
            double a = median(runs, Side.SLUICE, backend);
            double b = median(runs, Side.NATIVE, backend);
            sb.append(
                    String.format(
                            Locale.US,
                            "| %s | %,.0f | %,.0f | %.2f× |%n",
                            backend,
                            settings.events() / a,
                            settings.events() / b,
                            b / a));
        }
        sb.append(
                String.format(
                        Locale.US,
                        "%n%,d trips, %,d areas, one trip every %d ms of event time; median of %d runs"
                                + " after %d warm-up, job time (cluster start excluded).%n",
                        settings.events(),
                        settings.keys(),
                        settings.spacingMs(),
                        settings.runs(),
                        settings.warmup()));
        sb.append(
                "\nKeyed state per window key after 2 h of trips (40 per key), watermark 1 min behind,"
                        + " full snapshot with timers:\n\n");
        sb.append("| state backend | Sluice panes (bytes/key) | Flink windows (bytes/key) |\n");
        sb.append("|---|---:|---:|\n");
        sb.append(stateTable);
        return sb.toString();
    }

    private static double median(List<Run> runs, Side side, String backend) {
        double[] t =
                runs.stream()
                        .filter(r -> r.side() == side && r.backend().equals(backend))
                        .mapToDouble(Run::jobSeconds)
                        .sorted()
                        .toArray();
        return t.length == 0 ? Double.NaN : t[t.length / 2];
    }
}
