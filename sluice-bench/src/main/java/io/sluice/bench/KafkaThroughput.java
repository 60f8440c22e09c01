package io.sluice.bench;

import io.sluice.kafka.tools.Replay;
import io.sluice.kafka.tools.TopicReader;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.run.LocalRunner;
import io.sluice.runtime.source.GeneratorSourceFactory;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.RuntimeSpec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Throughput of {@code examples/taxi/taxi-kafka.yaml} from Kafka to Kafka, with every sink
 * at-least-once and then exactly-once.
 *
 * <p>Before anything is timed, the taxi trips of {@code examples/taxi/taxi.yaml}'s generator (same
 * seed, same 1% dirty and 0.2% late rows) are written to a CSV file and replayed with {@link
 * Replay} (CSV rows as JSON objects, as {@code ./sluice replay} does) into one topic with one
 * partition per source task. Every run then reads that topic from the beginning to the offsets that
 * were the latest when it started ({@code bounded: latest}), on a fresh MiniCluster, into output
 * topics of its own; events/s is rows / wall time of {@code execute()} (cluster start and the final
 * checkpoint included). Both modes run with the same checkpoint interval, so they differ only in
 * the sinks' transactions. Runs alternate after warm-up.
 *
 * <p>Checks: every run reads every input row, and its dead letters (per reason) and accepted rows
 * are the same in every run; each output topic holds, read with {@code read_committed}, exactly the
 * records the job counted for it ({@code sluice.out.<sink>}) — no loss, no duplicates, in both
 * modes. Area statistics, late trips and fare alerts depend on how the two source tasks interleave
 * (a window's watermark is the minimum over its inputs), so their counts are reported as ranges per
 * mode, not compared.
 */
final class KafkaThroughput {
    static final Set<String> TIMING_DEPENDENT = Set.of("area-stats", "late-trips", "taxi-alerts");
    private static final Duration RECHECK = Duration.ofSeconds(15);

    enum Mode {
        AT_LEAST_ONCE("at-least-once", "al"),
        EXACTLY_ONCE("exactly-once", "eo");

        final String label;
        final String tag;

        Mode(String label, String tag) {
            this.label = label;
            this.tag = tag;
        }
    }

    /** One run: wall and job time, the job's counters, and the records found in each topic. */
    record Run(
            Mode mode,
            String name,
            double seconds,
            double netSeconds,
            Map<String, Long> counters,
            Map<String, Long> topics) {}

    private final KafkaBenchmark.Settings settings;
    private final BenchBroker broker;
    private final String runId;
    private final Path workDir;
    private final PrintStream out;
    private final PluginRegistry registry = PluginRegistry.load();
    private final List<Run> measured = new ArrayList<>();
    private Run reference;
    private List<String> sinkIds = List.of();
    private int runNumber;
    private int warnings;
    private String inputTopic;
    private double replaySeconds;
    private long inputBytes;

    KafkaThroughput(
            KafkaBenchmark.Settings settings,
            BenchBroker broker,
            String runId,
            Path workDir,
            PrintStream out) {
        this.settings = settings;
        this.broker = broker;
        this.runId = runId;
        this.workDir = workDir;
        this.out = out;
    }

    int warnings() {
        return warnings;
    }

    /** Replays the input, runs warm-up and measured runs, prints the summary, returns Markdown. */
    String run() throws Exception {
        out.println();
        out.printf(
                Locale.US,
                "== Throughput: %s, Kafka → Kafka, at-least-once vs exactly-once ==%n",
                settings.spec());
        replayInput();
        for (int i = 1; i <= settings.warmup(); i++) {
            String name = "warm-up " + i + "/" + settings.warmup();
            execute(Mode.AT_LEAST_ONCE, name);
            execute(Mode.EXACTLY_ONCE, name);
        }
        for (int i = 1; i <= settings.runs(); i++) {
            String name = "run " + i + "/" + settings.runs();
            measured.add(execute(Mode.AT_LEAST_ONCE, name));
            measured.add(execute(Mode.EXACTLY_ONCE, name));
        }
        return summarize();
    }

    /** The trips as CSV on disk, then replayed into the input topic; not timed. */
    private void replayInput() throws Exception {
        Path specDir = settings.spec().toAbsolutePath().getParent();
        Spec generatorSpec = new SpecLoader(registry).load(specDir.resolve("taxi.yaml"));
        SourceSpec generator =
                generatorSpec.sources().stream()
                        .filter(s -> s.type().equals("generator"))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                specDir.resolve("taxi.yaml")
                                                        + " has no generator source"));
        TaxiTrips trips = GeneratorSourceFactory.trips(generator.options());
        Path csv = workDir.resolve("taxi-trips.csv");
        long t0 = System.nanoTime();
        writeCsv(trips, csv);
        inputBytes = Files.size(csv);
        out.printf(
                Locale.US,
                "input: %,d taxi trips of taxi.yaml's generator (seed, dirty and late shares), %,d MB"
                        + " of CSV written in %.1f s%n",
                settings.rows(),
                inputBytes >> 20,
                (System.nanoTime() - t0) / 1e9);

        inputTopic = runId + "-taxi-raw-data";
        broker.createTopic(inputTopic, settings.parallelism());
        t0 = System.nanoTime();
        Replay.Counts counts =
                Replay.into(broker.bootstrapServers(), inputTopic)
                        .progress(
                                (soFar, elapsed) ->
                                        out.printf(
                                                Locale.US,
                                                "  replay: %,d rows sent (%.0f s)%n",
                                                soFar.sent(),
                                                elapsed.toMillis() / 1000.0),
                                Duration.ofSeconds(5))
                        .run(csv);
        replaySeconds = (System.nanoTime() - t0) / 1e9;
        Files.delete(csv);
        out.printf(
                Locale.US,
                "replayed into topic %s (%d partitions, acks=all, idempotent): %,d records, %,d as"
                        + " JSON objects, %,d unconvertible lines as they were, in %.1f s%n",
                inputTopic,
                settings.parallelism(),
                counts.sent(),
                counts.converted(),
                counts.unchanged(),
                replaySeconds);
        if (counts.sent() != settings.rows()) {
            warn(
                    String.format(
                            Locale.US,
                            "replay sent %,d records for %,d rows",
                            counts.sent(),
                            settings.rows()));
        }
    }

    /** Header and rows; rows generated in parallel chunks (row i depends only on seed and i). */
    private void writeCsv(TaxiTrips trips, Path csv) throws IOException {
        int chunk = 1 << 16;
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(csv), 1 << 20)) {
            o.write(String.join(",", TaxiTrips.HEADER).getBytes(StandardCharsets.UTF_8));
            o.write('\n');
            for (int from = 0; from < settings.rows(); from += chunk) {
                int start = from;
                int n = Math.min(chunk, settings.rows() - from);
                byte[][] lines = new byte[n][];
                IntStream.range(0, n).parallel().forEach(i -> lines[i] = trips.line(start + i));
                for (byte[] line : lines) {
                    o.write(line);
                    o.write('\n');
                }
            }
        }
    }

    private Run execute(Mode mode, String name) throws Exception {
        int n = ++runNumber;
        Spec spec = spec(mode, n);
        Map<String, String> conf = LocalRunner.baseConfig(spec);
        conf.put("restart-strategy.type", "none");
        conf.put("state.backend.type", "hashmap");
        conf.put("parallelism.default", Integer.toString(settings.parallelism()));
        conf.put("taskmanager.numberOfTaskSlots", Integer.toString(settings.parallelism()));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(conf));
        Path specDir = settings.spec().toAbsolutePath().getParent();
        new JobComposer(registry, new RunContext(specDir, workDir.resolve("out")))
                .compose(spec, env);
        System.gc();
        long start = System.nanoTime();
        JobExecutionResult result = env.execute("taxi-kafka benchmark: " + mode.label);
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Long> counters = counters(result.getAllAccumulatorResults());
        Map<String, Long> topics = settings.verify() ? readTopics(spec) : Map.of();
        if (settings.verify() && !topics.equals(outCounts(counters))) {
            // commit markers are written after commitTransaction returns: give them time, and say
            // whether the records were late or are missing
            out.printf(
                    Locale.US,
                    "  %s %s: topics %s, job %s; reading again in %d s%n",
                    name,
                    mode.label,
                    topics,
                    outCounts(counters),
                    RECHECK.toSeconds());
            Thread.sleep(RECHECK.toMillis());
            topics = readTopics(spec);
        }
        Run run = new Run(mode, name, seconds, result.getNetRuntime() / 1000.0, counters, topics);
        out.printf(
                Locale.US,
                "%s %s: %,.0f events/s (%.2f s wall, %.2f s job) · %s%n",
                name,
                mode.label,
                settings.rows() / seconds,
                seconds,
                run.netSeconds(),
                outputsLine(run));
        check(run);
        return run;
    }

    /**
     * taxi-kafka.yaml on this broker: bounded input, the mode's guarantee on every sink, fresh
     * output topics and transactional ids, the benchmark's parallelism and checkpoint interval, no
     * restarts (a failure must fail the run, not hide in its time).
     */
    private Spec spec(Mode mode, int n) throws IOException {
        Spec file = new SpecLoader(registry).load(settings.spec());
        sinkIds = file.sinks().stream().map(SinkSpec::id).toList();
        String bs = broker.bootstrapServers();
        Map<String, String> set = new LinkedHashMap<>();
        for (SourceSpec s : file.sources()) {
            set.put(s.id() + ".bootstrap-servers", bs);
            set.put(s.id() + ".topics", "[" + inputTopic + "]");
            set.put(s.id() + ".bounded", "latest");
            set.put(s.id() + ".group-id", runId + "-" + n);
        }
        for (SinkSpec s : file.sinks()) {
            broker.createTopic(outputTopic(n, mode, s.id()), settings.parallelism());
            set.put(s.id() + ".bootstrap-servers", bs);
            set.put(s.id() + ".topic", outputTopic(n, mode, s.id()));
            set.put(s.id() + ".delivery-guarantee", mode.label);
            set.put(s.id() + ".create-topic", "0");
            set.put(s.id() + ".transactional-id-prefix", runId + "-" + n + "-" + s.id());
        }
        Spec spec = new SpecLoader(registry).withOverrides(set).load(settings.spec());
        return new Spec(
                spec.name(),
                spec.description(),
                spec.file(),
                spec.hash(),
                new RuntimeSpec(
                        settings.parallelism(),
                        settings.checkpointInterval(),
                        0,
                        spec.runtime().bufferTimeout()),
                spec.sources(),
                spec.sinks(),
                spec.pipelines());
    }

    /** Records per output as the job counted them, keyed by sink id like {@link #readTopics}. */
    private Map<String, Long> outCounts(Map<String, Long> counters) {
        Map<String, Long> c = new TreeMap<>();
        for (String sink : sinks()) {
            c.put(sink, counters.getOrDefault("out." + sink, 0L));
        }
        return c;
    }

    private String outputTopic(int n, Mode mode, String sink) {
        return runId + "-" + n + "-" + mode.tag + "-" + sink;
    }

    /** Rows in, accepted, records per output ({@code out.<sink>}), dead letters per reason. */
    private static Map<String, Long> counters(Map<String, Object> acc) {
        Map<String, Long> c = new TreeMap<>();
        acc.forEach(
                (name, value) -> {
                    if (!(value instanceof Number v)) {
                        return;
                    }
                    if (name.equals(Counters.ROWS_IN)) {
                        c.put("rows-in", v.longValue());
                    } else if (name.equals(Counters.ACCEPTED)) {
                        c.put("accepted", v.longValue());
                    } else if (name.startsWith(Counters.OUT_PREFIX)) {
                        c.put("out." + name.substring(Counters.OUT_PREFIX.length()), v.longValue());
                    } else if (name.startsWith(Counters.DEAD_PREFIX)) {
                        c.put(
                                "dead." + name.substring(Counters.DEAD_PREFIX.length()),
                                v.longValue());
                    }
                });
        return c;
    }

    /** Committed records per output topic, all topics read at once (each until 2 s idle). */
    private Map<String, Long> readTopics(Spec spec) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(spec.sinks().size());
        try {
            Map<String, Future<TopicReader.Result>> pending = new LinkedHashMap<>();
            for (SinkSpec s : spec.sinks()) {
                String topic = s.options().string("topic");
                pending.put(
                        s.id(),
                        pool.submit(
                                () ->
                                        TopicReader.of(broker.bootstrapServers(), topic)
                                                .idleTimeout(Duration.ofSeconds(2))
                                                .read(r -> {})));
            }
            Map<String, Long> counts = new TreeMap<>();
            for (Map.Entry<String, Future<TopicReader.Result>> e : pending.entrySet()) {
                counts.put(e.getKey(), e.getValue().get().count());
            }
            return counts;
        } finally {
            pool.shutdownNow();
        }
    }

    private String outputsLine(Run run) {
        List<String> parts = new ArrayList<>();
        for (String sink : sinks()) {
            long n = run.counters().getOrDefault("out." + sink, 0L);
            parts.add(String.format(Locale.US, "%s %,d", sink, n));
        }
        String line = String.join(", ", parts);
        if (settings.verify()) {
            boolean same =
                    sinks().stream()
                            .allMatch(
                                    s ->
                                            run.topics()
                                                    .getOrDefault(s, -1L)
                                                    .equals(
                                                            run.counters()
                                                                    .getOrDefault("out." + s, 0L)));
            line += same ? " (topics hold exactly these)" : " (topics differ: see WARNING)";
        }
        return line;
    }

    /** The spec's sink ids, in its order. */
    private List<String> sinks() {
        return sinkIds;
    }

    private void check(Run run) {
        if (reference == null) {
            reference = run;
        }
        long in = run.counters().getOrDefault("rows-in", 0L);
        if (in != settings.rows()) {
            warn(
                    String.format(
                            Locale.US,
                            "%s %s: read %,d rows, expected %,d",
                            run.name(),
                            run.mode().label,
                            in,
                            settings.rows()));
        }
        if (settings.verify()) {
            for (String sink : sinks()) {
                long counted = run.counters().getOrDefault("out." + sink, 0L);
                long inTopic = run.topics().getOrDefault(sink, -1L);
                if (counted != inTopic) {
                    warn(
                            String.format(
                                    Locale.US,
                                    "%s %s: topic of %s holds %,d committed records, the job wrote"
                                            + " %,d",
                                    run.name(),
                                    run.mode().label,
                                    sink,
                                    inTopic,
                                    counted));
                }
            }
        }
        Set<String> keys = new TreeSet<>(reference.counters().keySet());
        keys.addAll(run.counters().keySet());
        for (String key : keys) {
            boolean timing = key.startsWith("out.") && TIMING_DEPENDENT.contains(key.substring(4));
            long expected = reference.counters().getOrDefault(key, 0L);
            long actual = run.counters().getOrDefault(key, 0L);
            if (!timing && expected != actual) {
                warn(
                        String.format(
                                Locale.US,
                                "%s %s: %s = %,d, but %s %s had %,d",
                                run.name(),
                                run.mode().label,
                                key,
                                actual,
                                reference.name(),
                                reference.mode().label,
                                expected));
            }
        }
    }

    private void warn(String message) {
        warnings++;
        out.println("WARNING: " + message);
    }

    private List<Run> runs(Mode mode) {
        return measured.stream().filter(r -> r.mode() == mode).toList();
    }

    private double medianEps(Mode mode) {
        return TaxiBenchmark.median(
                runs(mode).stream().map(r -> settings.rows() / r.seconds()).toList());
    }

    private String eachRun(Mode mode) {
        return runs(mode).stream()
                .map(r -> String.format(Locale.US, "%,.0f", settings.rows() / r.seconds()))
                .collect(Collectors.joining(" / "));
    }

    private String wallTimes(Mode mode) {
        return runs(mode).stream()
                .map(r -> String.format(Locale.US, "%.1f", r.seconds()))
                .collect(Collectors.joining(" / "));
    }

    private String jobTimes(Mode mode) {
        return runs(mode).stream()
                .map(r -> String.format(Locale.US, "%.1f", r.netSeconds()))
                .collect(Collectors.joining(" / "));
    }

    /** Records per output over a mode's measured runs: one number, or the range seen. */
    private String records(Mode mode, String key) {
        LongSummaryStatistics s =
                runs(mode).stream()
                        .mapToLong(r -> r.counters().getOrDefault(key, 0L))
                        .summaryStatistics();
        return s.getMin() == s.getMax()
                ? String.format(Locale.US, "%,d", s.getMin())
                : String.format(Locale.US, "%,d–%,d", s.getMin(), s.getMax());
    }

    private String summarize() {
        double al = medianEps(Mode.AT_LEAST_ONCE);
        double eo = medianEps(Mode.EXACTLY_ONCE);
        String checkpoints = KafkaBenchmark.text(settings.checkpointInterval());
        String verdict =
                warnings > 0
                        ? "PROBLEMS: see the WARNING lines"
                        : (settings.verify()
                                        ? "every output topic held, read_committed, exactly the"
                                                + " records the job wrote to it, in both modes; "
                                        : "topics not read back (--verify=false); ")
                                + "rows in, accepted rows and dead letters per reason identical in"
                                + " every run";

        out.println();
        out.println("Kafka throughput summary");
        out.printf(Locale.US, "  %-22s %16s %16s%n", "", "at-least-once", "exactly-once");
        out.printf(Locale.US, "  %-22s %,16.0f %,16.0f%n", "median events/s", al, eo);
        out.printf(
                Locale.US,
                "  %-22s %s | %s%n",
                "events/s per run",
                eachRun(Mode.AT_LEAST_ONCE),
                eachRun(Mode.EXACTLY_ONCE));
        out.printf(Locale.US, "  ratio exactly-once / at-least-once: %.2f%n", eo / al);
        Map<String, String[]> table = new LinkedHashMap<>();
        for (String sink : sinks()) {
            table.put(
                    sink,
                    new String[] {
                        records(Mode.AT_LEAST_ONCE, "out." + sink),
                        records(Mode.EXACTLY_ONCE, "out." + sink)
                    });
        }
        table.forEach(
                (sink, v) ->
                        out.printf(
                                Locale.US,
                                "  %-22s %16s %16s%s%n",
                                sink,
                                v[0],
                                v[1],
                                TIMING_DEPENDENT.contains(sink) ? "  (depends on timing)" : ""));
        out.printf(
                Locale.US,
                "  rows %,d, parallelism %d, checkpoints every %s in both modes, %d warm-up + %d"
                        + " measured runs per mode (alternating)%n",
                settings.rows(),
                settings.parallelism(),
                checkpoints,
                settings.warmup(),
                settings.runs());
        out.println("  checks: " + verdict);

        StringBuilder md = new StringBuilder();
        md.append("### Throughput: Kafka → taxi pipeline → Kafka\n\n");
        md.append("| | at-least-once | exactly-once |\n|---|---:|---:|\n");
        md.append(
                String.format(Locale.US, "| median events/s | **%,.0f** | **%,.0f** |%n", al, eo));
        md.append(
                String.format(
                        Locale.US,
                        "| events/s per run | %s | %s |%n",
                        eachRun(Mode.AT_LEAST_ONCE),
                        eachRun(Mode.EXACTLY_ONCE)));
        md.append(
                String.format(
                        Locale.US,
                        "| wall time per run (s) | %s | %s |%n",
                        wallTimes(Mode.AT_LEAST_ONCE),
                        wallTimes(Mode.EXACTLY_ONCE)));
        md.append(
                String.format(
                        Locale.US,
                        "| job time per run (s) | %s | %s |%n",
                        jobTimes(Mode.AT_LEAST_ONCE),
                        jobTimes(Mode.EXACTLY_ONCE)));
        table.forEach(
                (sink, v) ->
                        md.append(
                                String.format(
                                        Locale.US,
                                        "| %s records%s | %s | %s |%n",
                                        sink,
                                        TIMING_DEPENDENT.contains(sink)
                                                ? " (timing-dependent)"
                                                : "",
                                        v[0],
                                        v[1])));
        md.append(
                String.format(
                        Locale.US, "%nRatio exactly-once / at-least-once: **%.2f**.%n%n", eo / al));
        md.append(
                String.format(
                        Locale.US,
                        "`%s` (validation, features, 1 h/5 min sliding area statistics, fare"
                                + " z-scores; outputs area-stats, taxi-alerts, late-trips and dead"
                                + " letters, each to its own topic) on %,d taxi trips of"
                                + " `examples/taxi/taxi.yaml`'s generator (%,d MB as CSV), replayed"
                                + " beforehand as JSON into one topic with %d partitions in %.1f s"
                                + " (not timed). Each run reads the topic from the beginning to its"
                                + " end (`bounded: latest`) at parallelism %d on a fresh local"
                                + " MiniCluster, into fresh output topics; events/s = rows / wall"
                                + " time of `execute()`, cluster start and the final checkpoint"
                                + " included. Checkpoints every %s in **both** modes (so they differ"
                                + " only in the sinks' transactions; exactly-once output becomes"
                                + " visible at each checkpoint), heap state, no restarts, %d"
                                + " warm-up and %d measured runs per mode, alternating.%n%n",
                        settings.spec(),
                        settings.rows(),
                        inputBytes >> 20,
                        settings.parallelism(),
                        replaySeconds,
                        settings.parallelism(),
                        checkpoints,
                        settings.warmup(),
                        settings.runs()));
        md.append("Checks: ").append(verdict).append(". ");
        md.append(
                "Area statistics, late trips and fare alerts depend on how the two source tasks"
                        + " interleave (a window's watermark is the minimum over its inputs), in"
                        + " either mode, so their counts are shown as the range seen.\n\n");
        return md.toString();
    }
}
