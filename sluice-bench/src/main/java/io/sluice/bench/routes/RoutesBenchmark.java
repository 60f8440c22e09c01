package io.sluice.bench.routes;

import io.sluice.runtime.run.LocalRunner;
import io.sluice.spec.model.Spec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmarks of live routing, run by {@code sluice-bench/run-routes}, never by the test suite:
 *
 * <ul>
 *   <li>{@code routes}: throughput of a routed job with 1, 10 and 100 active routes against a
 *       hand-written DataStream job doing the same static routing ({@link RouteThroughput});
 *   <li>{@code propagation}: how long a committed config version takes to show in the outputs of a
 *       running job under load ({@link Propagation});
 *   <li>{@code state}: the size of routing's broadcast state as versions of a 1,000-route table
 *       arrive ({@link StateSize}).
 * </ul>
 *
 * Each part first waits until the machine is quiet (1-minute load average below {@code
 * --quiet-load}), prints the load at its start and end, and writes its Markdown section to {@code
 * <report>-<part>.md}; the report itself is assembled from the sections present.
 */
public final class RoutesBenchmark {
    static final List<String> PARTS = List.of("routes", "propagation", "state");

    /** Command-line settings, {@code --key=value}. */
    record Settings(
            List<String> only,
            int rows,
            List<Integer> routes,
            int warmup,
            int runs,
            int parallelism,
            int verifyRows,
            String routeKey,
            int changes,
            int changeWarmup,
            Duration changeInterval,
            double load,
            List<Duration> pollIntervals,
            Duration bufferTimeout,
            int stateRoutes,
            int stateVersions,
            double quietLoad,
            Path report) {
        static final String USAGE =
                String.join(
                        "\n",
                        "usage: sluice-bench/run-routes [--only=routes,propagation,state] [--rows=N] [--routes=1,10,100]",
                        "                               [--warmup=N] [--runs=N] [--parallelism=N] [--verify-rows=N] [--route-key=FIELD]",
                        "                               [--changes=N] [--change-warmup=N] [--change-interval=1s] [--load=0.7]",
                        "                               [--poll-intervals=50ms,20ms] [--buffer-timeout=DURATION]",
                        "                               [--state-routes=N] [--state-versions=N] [--quiet-load=0.6] [--report=PATH]",
                        "  --only             parts to run, comma-separated (default: all three)",
                        "  --rows             input events per run (default 1000000)",
                        "  --routes           active routes K of the throughput part (default 1,10,100)",
                        "  --warmup, --runs   warm-up and measured runs per side and K (default 1 and 3)",
                        "  --parallelism      job parallelism (default 2)",
                        "  --verify-rows      events of the verification run per K (default 20000)",
                        "  --route-key        a payload field every route keys by (default: none, the routes' default key)",
                        "  --changes          measured config changes (default 60), after --change-warmup (default 3)",
                        "  --change-interval  time between changes (default 1s)",
                        "  --load             input rate as a share of the measured maximum (default 0.7)",
                        "  --poll-intervals   routes.poll-interval values to measure propagation with (default 50ms)",
                        "  --buffer-timeout   runtime.buffer-timeout of the propagation job (default: Flink's, 100 ms)",
                        "  --state-routes     routes per version in the state part (default 1000)",
                        "  --state-versions   versions pushed in the state part (default 1000)",
                        "  --quiet-load       wait for a 1-minute load average below this before each part (default 0.6; 0: don't)",
                        "  --report           Markdown summary (default sluice-bench/target/routes-benchmark.md)");

        static Settings parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>();
            v.put("only", String.join(",", PARTS));
            v.put("rows", "1000000");
            v.put("routes", "1,10,100");
            v.put("warmup", "1");
            v.put("runs", "3");
            v.put("parallelism", "2");
            v.put("verify-rows", "20000");
            v.put("route-key", "");
            v.put("changes", "60");
            v.put("change-warmup", "3");
            v.put("change-interval", "1s");
            v.put("load", "0.7");
            v.put("poll-intervals", "50ms");
            v.put("buffer-timeout", "");
            v.put("state-routes", "1000");
            v.put("state-versions", "1000");
            v.put("quiet-load", "0.6");
            v.put("report", "sluice-bench/target/routes-benchmark.md");
            for (String a : args) {
                int eq = a.indexOf('=');
                if (!a.startsWith("--") || eq < 0) {
                    throw new IllegalArgumentException("expected --key=value, found '" + a + "'");
                }
                String key = a.substring(2, eq);
                if (!v.containsKey(key)) {
                    throw new IllegalArgumentException(
                            "unknown option --"
                                    + key
                                    + " (known: "
                                    + String.join(", ", v.keySet())
                                    + ")");
                }
                v.put(key, a.substring(eq + 1));
            }
            List<String> only = Arrays.stream(v.get("only").split(",")).map(String::strip).toList();
            for (String part : only) {
                if (!PARTS.contains(part)) {
                    throw new IllegalArgumentException(
                            "--only takes "
                                    + String.join(", ", PARTS)
                                    + " (comma-separated), found '"
                                    + part
                                    + "'");
                }
            }
            List<Integer> routes = new ArrayList<>();
            for (String k : v.get("routes").split(",")) {
                routes.add(count("routes", k.strip(), 1));
            }
            List<Duration> polls = new ArrayList<>();
            for (String p : v.get("poll-intervals").split(",")) {
                polls.add(duration("poll-intervals", p.strip()));
            }
            double load = number(v, "load");
            if (load <= 0 || load > 1) {
                throw new IllegalArgumentException("--load is a share in (0, 1], found " + load);
            }
            return new Settings(
                    only,
                    count("rows", v.get("rows"), 1000),
                    routes,
                    count("warmup", v.get("warmup"), 0),
                    count("runs", v.get("runs"), 1),
                    count("parallelism", v.get("parallelism"), 1),
                    count("verify-rows", v.get("verify-rows"), 100),
                    v.get("route-key").isBlank() ? null : v.get("route-key").strip(),
                    count("changes", v.get("changes"), 1),
                    count("change-warmup", v.get("change-warmup"), 0),
                    duration("change-interval", v.get("change-interval")),
                    load,
                    polls,
                    v.get("buffer-timeout").isBlank()
                            ? null
                            : duration("buffer-timeout", v.get("buffer-timeout")),
                    count("state-routes", v.get("state-routes"), 1),
                    count("state-versions", v.get("state-versions"), 1),
                    number(v, "quiet-load"),
                    Path.of(v.get("report")));
        }

        private static int count(String key, String value, int min) {
            String text = value.replace("_", "").replace(",", "");
            int n;
            try {
                n = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--" + key + " is a whole number, found '" + value + "'");
            }
            if (n < min) {
                throw new IllegalArgumentException(
                        "--" + key + " must be at least " + min + ", found " + n);
            }
            return n;
        }

        private static double number(Map<String, String> v, String key) {
            try {
                return Double.parseDouble(v.get(key));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--" + key + " is a number, found '" + v.get(key) + "'");
            }
        }

        /** {@code 50ms}, {@code 1s}, {@code 2m}. */
        static Duration duration(String key, String text) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException(
                        "--" + key + " is a duration like 50ms, 1s or 2m, found '" + text + "'");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }
    }

    /** What a part returns: its Markdown section and the number of WARNING lines it printed. */
    record Outcome(String markdown, int warnings) {}

    private final Settings settings;
    private final PrintStream out;
    private final String command;

    RoutesBenchmark(Settings settings, PrintStream out, String command) {
        this.settings = settings;
        this.out = out;
        this.command = command;
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help")) {
            System.out.println(Settings.USAGE);
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
        String command =
                "sluice-bench/run-routes" + (args.length == 0 ? "" : " " + String.join(" ", args));
        int warnings = new RoutesBenchmark(settings, System.out, command).run();
        System.exit(warnings == 0 ? 0 : 1);
    }

    /** Runs the selected parts and returns the number of WARNING lines printed. */
    int run() throws Exception {
        int warnings = 0;
        out.println("machine: " + machine());
        for (String part : PARTS) {
            if (!settings.only().contains(part)) {
                continue;
            }
            waitForQuiet();
            String loadBefore = loadAverage();
            String started =
                    LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
            out.printf("== %s: started %s, load average %s%n", part, started, loadBefore);
            Outcome o =
                    switch (part) {
                        case "routes" -> new RouteThroughput(settings, out).run();
                        case "propagation" -> new Propagation(settings, out).run();
                        default -> new StateSize(settings, out).run();
                    };
            String loadAfter = loadAverage();
            out.printf("== %s: done, load average %s%n%n", part, loadAfter);
            warnings += o.warnings();
            String section =
                    o.markdown()
                            + String.format(
                                    Locale.US,
                                    "%nMeasured %s; load average (1/5/15 min) %s at the start, %s at the end. %s.%n"
                                            + "Command: `%s`%n",
                                    started,
                                    loadBefore,
                                    loadAfter,
                                    machine(),
                                    command);
            Files.createDirectories(settings.report().toAbsolutePath().getParent());
            Files.writeString(sectionFile(part), section);
        }
        assemble();
        out.println("Markdown summary: " + settings.report());
        return warnings;
    }

    private Path sectionFile(String part) {
        String name = settings.report().getFileName().toString().replaceFirst("\\.md$", "");
        return settings.report().resolveSibling(name + "-" + part + ".md");
    }

    /** The report: each part's latest section, in a fixed order. */
    private void assemble() throws IOException {
        StringBuilder md = new StringBuilder("## Live routes\n\n");
        for (String part : PARTS) {
            Path f = sectionFile(part);
            if (Files.exists(f)) {
                md.append(Files.readString(f)).append('\n');
            }
        }
        Files.writeString(settings.report(), md.toString());
    }

    /** Blocks until the 1-minute load average is below {@code --quiet-load}. */
    private void waitForQuiet() throws Exception {
        if (settings.quietLoad() <= 0) {
            return;
        }
        long since = System.nanoTime();
        long lastPrint = 0;
        while (oneMinuteLoad() >= settings.quietLoad()) {
            if (System.nanoTime() - lastPrint > 30_000_000_000L) {
                out.printf(
                        Locale.US,
                        "waiting for a quiet machine (1-minute load below %.2f): load average %s%n",
                        settings.quietLoad(),
                        loadAverage());
                lastPrint = System.nanoTime();
            }
            Thread.sleep(2000);
        }
        long waited = (System.nanoTime() - since) / 1_000_000_000L;
        if (waited > 0) {
            out.printf("quiet after %d s: load average %s%n", waited, loadAverage());
        }
    }

    static double oneMinuteLoad() throws IOException {
        return Double.parseDouble(loadAverage().split(" ")[0]);
    }

    /** The first three fields of /proc/loadavg: 1, 5 and 15 minutes. */
    static String loadAverage() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
        return f[0] + " " + f[1] + " " + f[2];
    }

    static String machine() {
        return String.format(
                Locale.US,
                "%d cores, %s %s, max heap %,d MB",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"),
                Runtime.getRuntime().maxMemory() >> 20);
    }

    /**
     * Sluice's base settings for every run (no Kryo fallback, no restarts), heap state, no
     * checkpoints, object reuse off, one slot per subtask.
     */
    static Map<String, String> flinkConfig(Spec spec, int parallelism) {
        Map<String, String> conf = LocalRunner.baseConfig(spec);
        conf.put("restart-strategy.type", "none");
        conf.put("state.backend.type", "hashmap");
        conf.put("pipeline.object-reuse", "false");
        conf.put("parallelism.default", Integer.toString(parallelism));
        conf.put("taskmanager.numberOfTaskSlots", Integer.toString(parallelism));
        return conf;
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Nearest-rank percentile of {@code sorted} (ascending), {@code p} in (0, 100]. */
    static double percentile(List<Double> sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
