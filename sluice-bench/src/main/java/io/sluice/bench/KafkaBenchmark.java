package io.sluice.bench;

import io.sluice.spec.options.OptionsBinder;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Kafka benchmarks of Sluice, run by {@code sluice-bench/run-kafka}, never by the test suite:
 *
 * <ul>
 *   <li><b>throughput</b> ({@link KafkaThroughput}): {@code examples/taxi/taxi-kafka.yaml} reading
 *       pre-replayed taxi trips from a 2-partition topic to its end, writing every output to Kafka,
 *       with all sinks at-least-once and then exactly-once, alternating;
 *   <li><b>latency</b> ({@link KafkaLatency}): produce-to-consume latency at a fixed event rate
 *       through a stateless path (decode, validate, derive, Kafka sink) and through 1 s tumbling
 *       event-time windows, each checked against its bar.
 * </ul>
 *
 * <p>Prints progress and a summary, and writes a Markdown fragment (figures, bars, broker setup,
 * command to reproduce) for {@code BENCHMARKS.md}. Exit code 0, 1 when a check of the outputs
 * failed (a WARNING line says which), 2 for bad arguments.
 */
public final class KafkaBenchmark {

    /** Command-line settings, {@code --key=value}. */
    record Settings(
            String part,
            int rows,
            int warmup,
            int runs,
            int parallelism,
            Duration checkpointInterval,
            boolean verify,
            int rate,
            int duration,
            int latencyWarmup,
            int keys,
            Duration bufferTimeout,
            int lingerMs,
            Duration latencyCheckpointInterval,
            Duration idleTimeout,
            List<String> paths,
            String broker,
            Path spec,
            Path report,
            Map<String, String> given) {
        static final String USAGE =
                String.join(
                        "\n",
                        "usage: sluice-bench/run-kafka [--part=all|throughput|latency] [--broker=in-process|process|HOST:PORT]",
                        "         throughput: [--rows=N] [--warmup=N] [--runs=N] [--checkpoint-interval=2s] [--verify=true|false] [--spec=PATH]",
                        "         latency:    [--rate=N] [--duration=S] [--latency-warmup=S] [--keys=N] [--buffer-timeout=5ms]",
                        "                     [--linger-ms=N] [--latency-checkpoint-interval=10s|off] [--idle-timeout=1s|off]",
                        "                     [--paths=stateless,window]",
                        "         both:       [--parallelism=N] [--report=PATH]",
                        "  --part                         which benchmark (default all)",
                        "  --broker                       in-process: a KRaft broker in this JVM (default); process: the same broker in a",
                        "                                 child JVM; HOST:PORT: a running broker",
                        "  --rows                         throughput: taxi trips replayed into the input topic (default 1000000)",
                        "  --warmup                       throughput: warm-up runs per mode (default 1)",
                        "  --runs                         throughput: measured runs per mode, alternating (default 3)",
                        "  --checkpoint-interval          throughput: checkpoint interval of both modes (default 2s)",
                        "  --verify                       throughput: read every output topic back (read_committed) and compare (default true)",
                        "  --spec                         throughput: the Kafka taxi spec (default examples/taxi/taxi-kafka.yaml)",
                        "  --rate                         latency: events per second sent (default 20000)",
                        "  --duration                     latency: measured seconds per path (default 30)",
                        "  --latency-warmup               latency: seconds at full rate before measuring (default 5)",
                        "  --keys                         latency: distinct keys, i.e. window results per window (default 100)",
                        "  --buffer-timeout               latency: runtime.buffer-timeout of both jobs (default 5ms)",
                        "  --linger-ms                    latency: linger.ms of the event producer and of the jobs' Kafka sinks (default 1)",
                        "  --latency-checkpoint-interval  latency: checkpoints of both jobs, or off (default 10s)",
                        "  --idle-timeout                 latency: event-time idle-timeout of the window job, or off (default 1s)",
                        "  --paths                        latency: which paths to measure (default stateless,window)",
                        "  --parallelism                  job parallelism; the input topics have as many partitions (default 2)",
                        "  --report                       Markdown summary (default sluice-bench/target/kafka-benchmark.md)");

        static Settings parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>();
            v.put("part", "all");
            v.put("broker", "in-process");
            v.put("rows", "1000000");
            v.put("warmup", "1");
            v.put("runs", "3");
            v.put("checkpoint-interval", "2s");
            v.put("verify", "true");
            v.put("spec", "examples/taxi/taxi-kafka.yaml");
            v.put("rate", "20000");
            v.put("duration", "30");
            v.put("latency-warmup", "5");
            v.put("keys", "100");
            v.put("buffer-timeout", "5ms");
            v.put("linger-ms", "1");
            v.put("latency-checkpoint-interval", "10s");
            v.put("idle-timeout", "1s");
            v.put("paths", "stateless,window");
            v.put("parallelism", "2");
            v.put("report", "sluice-bench/target/kafka-benchmark.md");
            Map<String, String> given = new LinkedHashMap<>();
            Args.parse(args, v, given);
            String part = v.get("part");
            if (!List.of("all", "throughput", "latency").contains(part)) {
                throw new IllegalArgumentException(
                        "--part is all, throughput or latency, found '" + part + "'");
            }
            String verify = v.get("verify").toLowerCase(Locale.ROOT);
            if (!verify.equals("true") && !verify.equals("false")) {
                throw new IllegalArgumentException(
                        "--verify is true or false, found '" + v.get("verify") + "'");
            }
            Duration checkpoints = duration(v, "checkpoint-interval", false);
            Duration bufferTimeout = duration(v, "buffer-timeout", false);
            return new Settings(
                    part,
                    count(v, "rows", 1),
                    count(v, "warmup", 0),
                    count(v, "runs", 1),
                    count(v, "parallelism", 1),
                    checkpoints,
                    verify.equals("true"),
                    count(v, "rate", 1),
                    count(v, "duration", 1),
                    count(v, "latency-warmup", 0),
                    count(v, "keys", 1),
                    bufferTimeout,
                    count(v, "linger-ms", 0),
                    duration(v, "latency-checkpoint-interval", true),
                    duration(v, "idle-timeout", true),
                    paths(v.get("paths")),
                    v.get("broker"),
                    Path.of(v.get("spec")),
                    Path.of(v.get("report")),
                    given);
        }

        boolean throughput() {
            return !part.equals("latency");
        }

        boolean latency() {
            return !part.equals("throughput");
        }

        /** The command that repeats this run, with the options given on the command line. */
        String command() {
            StringBuilder sb = new StringBuilder("sluice-bench/run-kafka");
            given.forEach((k, val) -> sb.append(" --").append(k).append('=').append(val));
            return sb.toString();
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

        private static List<String> paths(String text) {
            List<String> paths = new ArrayList<>();
            for (String p : text.split(",")) {
                String path = p.strip();
                if (!path.equals("stateless") && !path.equals("window")) {
                    throw new IllegalArgumentException(
                            "--paths lists stateless and/or window, found '" + path + "'");
                }
                if (!paths.contains(path)) {
                    paths.add(path);
                }
            }
            return List.copyOf(paths);
        }

        /** A duration such as 500ms or 2s; with {@code offAllowed}, "off" is null. */
        private static Duration duration(Map<String, String> v, String key, boolean offAllowed) {
            String text = v.get(key).trim();
            if (offAllowed && (text.equals("off") || text.equals("0") || text.equals("0s"))) {
                return null;
            }
            try {
                Duration d = OptionsBinder.duration(text);
                if (d.isZero() || d.isNegative()) {
                    throw new IllegalArgumentException();
                }
                return d;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "--"
                                + key
                                + " is a duration such as 500ms or 2s"
                                + (offAllowed ? ", or off" : "")
                                + ", found '"
                                + v.get(key)
                                + "'");
            }
        }
    }

    /** Writes durations the way specs do: {@code 5ms}, {@code 2s}, {@code off}. */
    static String text(Duration d) {
        if (d == null) {
            return "off";
        }
        long ms = d.toMillis();
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private final Settings settings;
    private final PrintStream out;
    private final Path workDir;
    private int warnings;

    KafkaBenchmark(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.workDir = settings.report().toAbsolutePath().getParent().resolve("kafka-bench");
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(Settings.USAGE);
            System.exit(0);
            return;
        }
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Settings.USAGE);
            System.exit(2);
            return;
        }
        int warnings = new KafkaBenchmark(settings, System.out).run();
        System.exit(warnings == 0 ? 0 : 1);
    }

    /** Runs the selected parts and returns the number of WARNING lines printed. */
    int run() throws Exception {
        Files.createDirectories(workDir);
        // topic and transaction names unique to this run, so a reused external broker is no problem
        String runId =
                "bench-"
                        + Instant.now()
                                .truncatedTo(ChronoUnit.SECONDS)
                                .toString()
                                .replaceAll("[^0-9]", "")
                                .substring(4);
        long t0 = System.nanoTime();
        List<String> sections = new ArrayList<>();
        String brokerSetup;
        try (BenchBroker broker =
                BenchBroker.start(
                        settings.broker(),
                        workDir.resolve("broker"),
                        workDir.getParent().resolve("kafka-benchmark-broker.log"))) {
            brokerSetup = broker.description();
            out.printf(
                    Locale.US,
                    "broker: %s at %s (ready in %.1f s)%n",
                    settings.broker(),
                    broker.bootstrapServers(),
                    (System.nanoTime() - t0) / 1e9);
            if (settings.throughput()) {
                KafkaThroughput t = new KafkaThroughput(settings, broker, runId, workDir, out);
                sections.add(t.run());
                warnings += t.warnings();
            }
            if (settings.latency()) {
                KafkaLatency l = new KafkaLatency(settings, broker, runId, workDir, out);
                sections.add(l.run());
                warnings += l.warnings();
            }
        }
        String markdown = markdown(brokerSetup, sections);
        Files.createDirectories(settings.report().toAbsolutePath().getParent());
        Files.writeString(settings.report(), markdown);
        out.println();
        out.println("Markdown summary: " + settings.report());
        if (warnings > 0) {
            out.printf("%d WARNING line(s): see above%n", warnings);
        }
        return warnings;
    }

    private String markdown(String brokerSetup, List<String> sections) {
        String jvm =
                System.getProperty("java.vm.name")
                        + " "
                        + System.getProperty("java.runtime.version")
                        + ", "
                        + String.join(
                                " ",
                                ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                                        .filter(a -> a.startsWith("-X"))
                                        .toList())
                        + ", GC "
                        + ManagementFactory.getGarbageCollectorMXBeans().stream()
                                .map(GarbageCollectorMXBean::getName)
                                .collect(Collectors.joining(" + "));
        StringBuilder md = new StringBuilder();
        md.append("## Kafka: throughput and end-to-end latency\n\n");
        md.append(
                String.format(
                        Locale.US,
                        "**Broker:** %s. Input topics have %d partitions (one per source task);"
                                + " producers use `acks=all` with idempotence. Flink: a local"
                                + " MiniCluster in the benchmark JVM (%s; %d cores, max heap %,d"
                                + " MB), parallelism %d, heap state, no restarts.%n%n",
                        brokerSetup,
                        settings.parallelism(),
                        jvm,
                        Runtime.getRuntime().availableProcessors(),
                        Runtime.getRuntime().maxMemory() >> 20,
                        settings.parallelism()));
        sections.forEach(s -> md.append(s).append('\n'));
        md.append("Reproduce: `").append(settings.command()).append("`\n");
        return md.toString();
    }
}
