package io.sluice.bench;

import io.sluice.bench.baseline.BaselineTaxiJob;
import io.sluice.bench.baseline.JsonOutputs;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.run.LocalRunner;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Throughput and heap of the taxi spec ({@code examples/taxi/taxi.yaml}) on Sluice against the same
 * work written by hand on the DataStream API ({@link BaselineTaxiJob}). Run by {@code
 * sluice-bench/run}, never by the test suite.
 *
 * <p>What is identical on both sides, so that the ratio measures Sluice's overhead and nothing
 * else:
 *
 * <ul>
 *   <li>the input: the same in-memory lines, generated once with the spec's generator options, read
 *       through the same FLIP-27 source emitting the same {@code EventRow}s;
 *   <li>the work: strict CSV decoding with the same dead-letter reasons, the same validation rules
 *       in the same order, the same derived features, the same per-row watermarks (assigned at the
 *       same point), sliding 1 h / 5 min windows with the same aggregates and late output, the same
 *       z-score with a 7-day state TTL, JSON for every output with the same fields;
 *   <li>the engine: a fresh local MiniCluster per run, the same Flink configuration (Sluice's base
 *       settings: no Kryo fallback, no restarts; heap state; checkpointing off), the same
 *       parallelism, object reuse off, sinks that discard the encoded bytes;
 *   <li>the measurement: wall time of {@code execute()} (cluster start included on both sides),
 *       runs alternating after warm-up, a GC before each run, heap sampled the same way.
 * </ul>
 *
 * <p>Both jobs must produce the same number of records per output; the benchmark checks it after
 * every run. At parallelism 1 all five outputs are deterministic and must match exactly; a first
 * verification pass there also compares the JSON records themselves (see {@link #verify}). At
 * higher parallelism the source tasks (dealt rows in turn, as by Sluice's generator) run at their
 * own pace. A keyed operator's watermark is the minimum over its inputs, so whether a trip is late
 * depends on how far the other task has got, and the order of a company's fares at the z-score
 * depends on how the inputs interleave. late-trips and taxi-alerts, and area-stats when a trip that
 * would be late opens windows of its own, then vary from run to run on either side; they are
 * reported, not failed. trip-features and the dead letters per reason must always match.
 */
public final class TaxiBenchmark {
    static final List<String> SINKS =
            List.of("area-stats", "taxi-alerts", "trip-features", "late-trips", "dead-letters");

    /** Outputs whose counts at parallelism > 1 depend on thread timing (see the class comment). */
    static final Set<String> TIMING_DEPENDENT = Set.of("area-stats", "late-trips", "taxi-alerts");

    /** Command-line settings, {@code --key=value}. */
    record Settings(
            int rows,
            int warmup,
            int runs,
            int parallelism,
            boolean verify,
            boolean json,
            Path spec,
            Path report) {
        static final String USAGE =
                String.join(
                        "\n",
                        "usage: sluice-bench/run [--rows=N] [--warmup=N] [--runs=N] [--parallelism=N] [--verify=true|false]",
                        "                        [--format=json|csv] [--spec=PATH] [--report=PATH]",
                        "  --rows         input rows (default 1000000)",
                        "  --warmup       warm-up runs per side (default 1)",
                        "  --runs         measured runs per side (default 3)",
                        "  --parallelism  job parallelism (default 2)",
                        "  --verify       first run both jobs once at parallelism 1 and require identical outputs (default true)",
                        "  --format       input lines as JSON objects or CSV (default json); outputs are JSON either way",
                        "  --spec         the taxi spec (default examples/taxi/taxi.yaml)",
                        "  --report       Markdown summary (default sluice-bench/target/taxi-benchmark.md)");

        static Settings parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>();
            v.put("rows", "1000000");
            v.put("warmup", "1");
            v.put("runs", "3");
            v.put("parallelism", "2");
            v.put("verify", "true");
            v.put("format", "json");
            v.put("spec", "examples/taxi/taxi.yaml");
            v.put("report", "sluice-bench/target/taxi-benchmark.md");
            Args.parse(args, v, null);
            String verify = v.get("verify").toLowerCase(Locale.ROOT);
            if (!verify.equals("true") && !verify.equals("false")) {
                throw new IllegalArgumentException(
                        "--verify is true or false, found '" + v.get("verify") + "'");
            }
            String format = v.get("format").toLowerCase(Locale.ROOT);
            if (!format.equals("json") && !format.equals("csv")) {
                throw new IllegalArgumentException(
                        "--format is json or csv, found '" + v.get("format") + "'");
            }
            return new Settings(
                    count(v, "rows", 1),
                    count(v, "warmup", 0),
                    count(v, "runs", 1),
                    count(v, "parallelism", 1),
                    verify.equals("true"),
                    format.equals("json"),
                    Path.of(v.get("spec")),
                    Path.of(v.get("report")));
        }

        private static int count(Map<String, String> v, String key, int min) {
            String text = v.get(key).replace("_", "").replace(",", "");
            int n;
            try {
                n = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--" + key + " is a whole number, found '" + v.get(key) + "'");
            }
            if (n < min) {
                throw new IllegalArgumentException(
                        "--" + key + " must be at least " + min + ", found " + n);
            }
            return n;
        }
    }

    enum Side {
        SLUICE("sluice", Counters.OUT_PREFIX, Counters.DEAD_PREFIX),
        BASELINE("baseline", JsonOutputs.OUT_PREFIX, JsonOutputs.DEAD_PREFIX);

        final String label;
        final String outPrefix;
        final String deadPrefix;

        Side(String label, String outPrefix, String deadPrefix) {
            this.label = label;
            this.outPrefix = outPrefix;
            this.deadPrefix = deadPrefix;
        }
    }

    /**
     * One job execution: its timing, heap peak and record counts per output and dead-letter reason.
     */
    record Run(
            Side side,
            String name,
            int parallelism,
            double seconds,
            double netSeconds,
            long peakHeap,
            Map<String, Long> counts) {
        double eventsPerSecond(int rows) {
            return rows / seconds;
        }
    }

    private final Settings settings;
    private final Spec spec;
    private final SluiceTaxiJob sluice;
    private final PrintStream out;
    private final List<Run> measured = new ArrayList<>();
    private final Map<Integer, Run> reference = new TreeMap<>();
    private int warnings;

    TaxiBenchmark(Settings settings, PrintStream out) throws IOException {
        this.settings = settings;
        this.out = out;
        PluginRegistry registry = PluginRegistry.load();
        Spec loaded = new SpecLoader(registry).load(settings.spec());
        this.spec = settings.json() ? jsonInput(loaded) : loaded;
        Path specDir = settings.spec().toAbsolutePath().getParent();
        this.sluice =
                new SluiceTaxiJob(
                        registry, spec, specDir, settings.report().toAbsolutePath().getParent());
    }

    /**
     * The spec with its source reading JSON lines: the same fields under the same (column) names,
     * so the pipeline is unchanged; the in-memory input is generated as JSON to match.
     */
    static Spec jsonInput(Spec spec) {
        List<Spec.SourceSpec> sources =
                spec.sources().stream()
                        .map(
                                s ->
                                        new Spec.SourceSpec(
                                                s.id(),
                                                s.type(),
                                                s.pos(),
                                                s.options(),
                                                new Spec.Format("json", ','),
                                                s.fields(),
                                                s.eventTime(),
                                                s.schema()))
                        .toList();
        return new Spec(
                spec.name(),
                spec.description(),
                spec.file(),
                spec.hash(),
                spec.runtime(),
                sources,
                spec.sinks(),
                spec.pipelines());
    }

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Settings.USAGE);
            System.exit(2);
            return;
        }
        int warnings = new TaxiBenchmark(settings, System.out).run();
        System.exit(warnings == 0 ? 0 : 1);
    }

    /** Runs everything and returns the number of WARNING lines printed. */
    int run() throws Exception {
        long t0 = System.nanoTime();
        TaxiInput.install(
                TaxiInput.generate(
                        spec.source(spec.pipelines().get(0).source()),
                        settings.rows(),
                        settings.json()));
        out.printf(
                Locale.US,
                "input: %,d rows, %,d MB of %s in memory (generated in %.1f s)%n",
                settings.rows(),
                TaxiInput.payloadBytes() >> 20,
                settings.json() ? "JSON" : "CSV",
                (System.nanoTime() - t0) / 1e9);

        if (settings.verify()) {
            verify();
        }
        for (int i = 1; i <= settings.warmup(); i++) {
            String name = "warm-up " + i + "/" + settings.warmup();
            execute(Side.SLUICE, name, settings.parallelism());
            execute(Side.BASELINE, name, settings.parallelism());
        }
        for (int i = 1; i <= settings.runs(); i++) {
            String name = "run " + i + "/" + settings.runs();
            measured.add(execute(Side.SLUICE, name, settings.parallelism()));
            measured.add(execute(Side.BASELINE, name, settings.parallelism()));
        }
        String markdown = summarize();
        Files.createDirectories(settings.report().toAbsolutePath().getParent());
        Files.writeString(settings.report(), markdown);
        out.println("Markdown summary: " + settings.report());
        return warnings;
    }

    /**
     * Runs both jobs once at parallelism 1, where every output is deterministic, into digesting
     * sinks: the record counts (per output and per dead-letter reason) must be equal, and so must
     * the JSON records themselves, except dead letters, whose position and step name where the
     * rejecting rule lives (a line of the spec, or a class of the baseline). Also warms up the JIT.
     */
    private void verify() throws Exception {
        String name = "verify (parallelism 1)";
        execute(Side.SLUICE, name, 1, DigestSink::new);
        Map<String, Long> sluiceDigests = DigestSink.sums();
        Map<String, List<byte[]>> sluiceKept = new TreeMap<>();
        DigestSink.KEPT.forEach(k -> sluiceKept.put(k, DigestSink.records(k)));
        execute(Side.BASELINE, name, 1, DigestSink::new);
        Map<String, Long> baselineDigests = DigestSink.sums();
        List<String> same = new ArrayList<>();
        List<String> close = new ArrayList<>();
        for (String sink : SINKS) {
            if (sink.equals("dead-letters")) {
                continue;
            }
            if (sluiceDigests
                    .getOrDefault(sink, 0L)
                    .equals(baselineDigests.getOrDefault(sink, 0L))) {
                same.add(sink);
            } else if (sluiceKept.containsKey(sink)
                    && JsonClose.sameRecords(sluiceKept.get(sink), DigestSink.records(sink))) {
                close.add(sink);
            } else {
                warnings++;
                out.printf(
                        "WARNING: %s: the %s records differ in content between sluice and baseline%n",
                        name, sink);
            }
        }
        out.println("  " + name + ": identical JSON records in " + String.join(", ", same));
        if (!close.isEmpty()) {
            out.println(
                    "  "
                            + name
                            + ": the same records, numbers equal to a relative 1e-9, in "
                            + String.join(", ", close)
                            + " (aggregates merged in another order)");
        }
    }

    private Run execute(Side side, String name, int parallelism) throws Exception {
        return execute(side, name, parallelism, sink -> new DiscardingSink<>());
    }

    private Run execute(
            Side side, String name, int parallelism, Function<String, Sink<byte[]>> sinks)
            throws Exception {
        System.gc();
        DigestSink.reset();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(flinkConfig(parallelism)));
        if (side == Side.SLUICE) {
            sluice.compose(env, parallelism, sinks);
        } else {
            env.setParallelism(parallelism);
            BaselineTaxiJob.compose(
                    TaxiInput.stream(env, spec.pipelines().get(0).source()),
                    settings.json(),
                    spec.hash(),
                    sinks);
        }
        HeapSampler heap = HeapSampler.start();
        long start = System.nanoTime();
        JobExecutionResult result = env.execute("taxi benchmark: " + side.label);
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = heap.stop();
        Run run =
                new Run(
                        side,
                        name,
                        parallelism,
                        seconds,
                        result.getNetRuntime() / 1000.0,
                        peak,
                        counts(side, result.getAllAccumulatorResults()));
        out.printf(
                Locale.US,
                "%s %s: %,.0f events/s (%.2f s wall, %.2f s job), peak heap %,d MB%n",
                name,
                side.label,
                run.eventsPerSecond(settings.rows()),
                seconds,
                run.netSeconds(),
                peak >> 20);
        check(run);
        return run;
    }

    /**
     * Sluice's base settings for every run, with the parallelism, heap state and one slot per
     * subtask.
     */
    private Map<String, String> flinkConfig(int parallelism) {
        Map<String, String> conf = LocalRunner.baseConfig(spec);
        conf.put("restart-strategy.type", "none");
        conf.put("state.backend.type", "hashmap");
        conf.put("pipeline.object-reuse", "false");
        conf.put("parallelism.default", Integer.toString(parallelism));
        conf.put("taskmanager.numberOfTaskSlots", Integer.toString(parallelism));
        return conf;
    }

    /**
     * Records per output ({@code out.<sink>}) and dead letters per reason ({@code dead.<reason>}).
     */
    private static Map<String, Long> counts(Side side, Map<String, Object> accumulators) {
        Map<String, Long> counts = new TreeMap<>();
        for (String sink : SINKS) {
            counts.put("out." + sink, 0L);
        }
        accumulators.forEach(
                (name, value) -> {
                    if (name.startsWith(side.outPrefix)) {
                        counts.put(
                                "out." + name.substring(side.outPrefix.length()),
                                ((Number) value).longValue());
                    } else if (name.startsWith(side.deadPrefix)) {
                        counts.put(
                                "dead." + name.substring(side.deadPrefix.length()),
                                ((Number) value).longValue());
                    }
                });
        return counts;
    }

    /** Compares a run's counts with the first Sluice run at the same parallelism. */
    private void check(Run run) {
        Run ref = reference.putIfAbsent(run.parallelism(), run);
        if (ref == null) {
            return;
        }
        Set<String> keys = new TreeSet<>(ref.counts().keySet());
        keys.addAll(run.counts().keySet());
        for (String key : keys) {
            long expected = ref.counts().getOrDefault(key, 0L);
            long actual = run.counts().getOrDefault(key, 0L);
            if (expected == actual) {
                continue;
            }
            String what =
                    key.startsWith("out.")
                            ? key.substring(4) + " records"
                            : "dead letters '" + key.substring(5) + "'";
            boolean timing =
                    run.parallelism() > 1
                            && key.startsWith("out.")
                            && TIMING_DEPENDENT.contains(key.substring(4));
            if (timing) {
                out.printf(
                        Locale.US,
                        "  note: %s %s: %,d %s vs %,d in %s %s (depends on thread timing at parallelism %d)%n",
                        run.name(),
                        run.side().label,
                        actual,
                        what,
                        expected,
                        ref.name(),
                        ref.side().label,
                        run.parallelism());
            } else {
                warnings++;
                out.printf(
                        Locale.US,
                        "WARNING: %s %s: %,d %s, but %s %s had %,d: the jobs did not do the same work%n",
                        run.name(),
                        run.side().label,
                        actual,
                        what,
                        ref.name(),
                        ref.side().label,
                        expected);
            }
        }
    }

    /** Prints the summary table and returns it as Markdown. */
    private String summarize() {
        int rows = settings.rows();
        List<Run> s = runs(Side.SLUICE);
        List<Run> b = runs(Side.BASELINE);
        double sluiceEps = median(s.stream().map(r -> r.eventsPerSecond(rows)).toList());
        double baselineEps = median(b.stream().map(r -> r.eventsPerSecond(rows)).toList());
        double ratio = sluiceEps / baselineEps;
        long sluiceHeap = s.stream().mapToLong(Run::peakHeap).max().orElse(0) >> 20;
        long baselineHeap = b.stream().mapToLong(Run::peakHeap).max().orElse(0) >> 20;
        String jvm =
                System.getProperty("java.vm.name")
                        + " "
                        + System.getProperty("java.runtime.version");
        int cores = Runtime.getRuntime().availableProcessors();
        long maxHeap = Runtime.getRuntime().maxMemory() >> 20;
        long inputMb = TaxiInput.payloadBytes() >> 20;
        String verdict = verdict();

        out.println();
        out.println("Taxi benchmark summary");
        out.printf(Locale.US, "  %-26s %14s %14s%n", "", "sluice", "baseline");
        out.printf(
                Locale.US, "  %-26s %,14.0f %,14.0f%n", "median events/s", sluiceEps, baselineEps);
        out.printf(
                Locale.US,
                "  %-26s %14s %14s%n",
                "events/s per run",
                eachRun(s, rows),
                eachRun(b, rows));
        out.printf(
                Locale.US,
                "  %-26s %,14d %,14d%n",
                "peak heap used (MB)",
                sluiceHeap,
                baselineHeap);
        out.printf(Locale.US, "  ratio sluice/baseline:     %.2f%n", ratio);
        out.printf(
                Locale.US,
                "  rows %,d, parallelism %d, %d warm-up + %d measured runs per side (alternating)%n",
                rows,
                settings.parallelism(),
                settings.warmup(),
                settings.runs());
        out.printf(
                Locale.US,
                "  JVM %s, %d cores, max heap %,d MB, input in memory %,d MB (in both peaks)%n",
                jvm,
                cores,
                maxHeap,
                inputMb);
        out.printf(Locale.US, "  records per run: %s%n", outputs());
        out.printf(Locale.US, "  counts: %s%n", verdict);

        StringBuilder md = new StringBuilder();
        md.append("### Taxi pipeline: Sluice vs hand-written DataStream job\n\n");
        md.append("| | Sluice | Baseline (DataStream) |\n|---|---:|---:|\n");
        md.append(
                String.format(
                        Locale.US,
                        "| median events/s | %,.0f | %,.0f |%n",
                        sluiceEps,
                        baselineEps));
        md.append(
                String.format(
                        Locale.US,
                        "| events/s per run | %s | %s |%n",
                        eachRun(s, rows),
                        eachRun(b, rows)));
        md.append(
                String.format(
                        Locale.US,
                        "| peak heap used | %,d MB | %,d MB |%n%n",
                        sluiceHeap,
                        baselineHeap));
        md.append(String.format(Locale.US, "Ratio Sluice / baseline: **%.2f**.%n%n", ratio));
        md.append(
                String.format(
                        Locale.US,
                        "%,d rows of `examples/taxi/taxi.yaml` input, parallelism %d, %d warm-up and %d measured runs per side, "
                                + "alternating; a fresh local MiniCluster per run (start-up included in the wall time), heap state, "
                                + "checkpointing off, outputs JSON-encoded into discarding sinks. JVM: %s, %d cores, max heap %,d MB; "
                                + "the %,d MB of input lines are held in memory and included in both peaks.%n%n",
                        rows,
                        settings.parallelism(),
                        settings.warmup(),
                        settings.runs(),
                        jvm,
                        cores,
                        maxHeap,
                        inputMb));
        md.append(
                String.format(
                        Locale.US, "Records per run: %s. Counts: %s.%n%n", outputs(), verdict));
        md.append(
                String.format(
                        Locale.US,
                        "Reproduce: `sluice-bench/run --rows=%d --warmup=%d --runs=%d --parallelism=%d%s`%n",
                        rows,
                        settings.warmup(),
                        settings.runs(),
                        settings.parallelism(),
                        settings.verify() ? "" : " --verify=false"));
        return md.toString();
    }

    private List<Run> runs(Side side) {
        return measured.stream().filter(r -> r.side() == side).toList();
    }

    private static String eachRun(List<Run> runs, int rows) {
        return runs.stream()
                .map(r -> String.format(Locale.US, "%,.0f", r.eventsPerSecond(rows)))
                .collect(Collectors.joining(" / "));
    }

    /** Records per output over the measured runs of both sides: one number, or the range seen. */
    private String outputs() {
        return SINKS.stream()
                .map(
                        sink -> {
                            LongSummaryStatistics n =
                                    measured.stream()
                                            .mapToLong(
                                                    r -> r.counts().getOrDefault("out." + sink, 0L))
                                            .summaryStatistics();
                            return n.getMin() == n.getMax()
                                    ? String.format(Locale.US, "%s %,d", sink, n.getMin())
                                    : String.format(
                                            Locale.US, "%s %,d–%,d", sink, n.getMin(), n.getMax());
                        })
                .collect(Collectors.joining(", "));
    }

    /** What the count checks found, for the summary. */
    private String verdict() {
        if (warnings > 0) {
            return "DIFFERENT: see the WARNING lines";
        }
        String exact =
                settings.verify()
                        ? "identical at parallelism 1 (records too, dead letters by count per reason)"
                        : "not verified at parallelism 1";
        if (settings.parallelism() == 1) {
            return exact;
        }
        return exact
                + "; at parallelism "
                + settings.parallelism()
                + " trip-features and dead letters identical in every run, "
                + "area-stats, late-trips and taxi-alerts depend on thread timing";
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
