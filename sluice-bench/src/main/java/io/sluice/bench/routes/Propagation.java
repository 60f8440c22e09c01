package io.sluice.bench.routes;

import io.sluice.bench.routes.RoutesBenchmark.Outcome;
import io.sluice.bench.routes.RoutesBenchmark.Settings;
import io.sluice.control.store.ConfigVersion;
import io.sluice.runtime.sink.ValueSink;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntToDoubleFunction;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * How long a committed config version takes to show in a running job's output, under load.
 *
 * <p>The routed job with K = 10 routes first runs unthrottled over the in-memory input to measure
 * its maximum throughput (the better of two runs, after two warm-up runs). Then the same job runs
 * on an endless source throttled to {@code --load} of that maximum, while this thread commits a new
 * version to the config store every {@code --change-interval}: route {@code r0}, which passes every
 * event of its type (a tenth of all events), alternates its threshold between 0 and 1 (every amount
 * is at least 5), so each version differs and every version is expected in the output within
 * milliseconds. The sink notes when the first record stamped with each version arrives from each
 * routing task; latency = that time − the time {@code commit(...)} returned, on one clock ({@link
 * System#nanoTime}) in this JVM. "first" is the earliest routing task, "all tasks" the latest.
 */
final class Propagation {
    private static final long SEED = 7;
    private static final int ROUTES = 10;
    private static final Duration SHOW_TIMEOUT = Duration.ofSeconds(10);

    /** One poll interval's measurement. */
    record Result(
            Duration pollInterval,
            double maxEventsPerSecond,
            double maxWallEventsPerSecond,
            double targetEventsPerSecond,
            double actualEventsPerSecond,
            List<Double> first,
            List<Double> all,
            List<Double> warmFirst,
            int neverShowed,
            int notEverywhere,
            List<Double> commitMs) {}

    private final Settings settings;
    private final PrintStream out;
    private int warnings;

    Propagation(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    Outcome run() throws Exception {
        long t0 = System.nanoTime();
        RoutesInput.install(settings.rows(), ROUTES, SEED);
        out.printf(
                Locale.US,
                "input: %,d events with %d types, %,d MB of JSON in memory (generated in %.1f s)%n",
                RoutesInput.rows(),
                ROUTES,
                RoutesInput.payloadBytes() >> 20,
                (System.nanoTime() - t0) / 1e9);
        List<Result> results = new ArrayList<>();
        for (Duration poll : settings.pollIntervals()) {
            results.add(measure(poll));
        }
        return new Outcome(summarize(results), warnings);
    }

    /** r0 passes everything with either threshold; the others as in the throughput part. */
    private static IntToDoubleFunction thresholds(double r0) {
        return i -> i == 0 ? r0 : RoutedSetup.threshold(i);
    }

    private Result measure(Duration poll) throws Exception {
        String label = "poll-interval " + poll.toMillis() + "ms";
        try (RoutedSetup setup =
                new RoutedSetup(
                        ROUTES,
                        poll,
                        settings.bufferTimeout(),
                        settings.routeKey(),
                        thresholds(0))) {
            // the best of two runs after two warm-ups: a JIT still warming would understate it
            bounded(setup, label + ": max throughput, warm-up 1/2");
            bounded(setup, label + ": max throughput, warm-up 2/2");
            double[] a = bounded(setup, label + ": max throughput 1/2");
            double[] b = bounded(setup, label + ": max throughput 2/2");
            double[] max = a[0] >= b[0] ? a : b;
            double target = settings.load() * max[0];
            out.printf(
                    Locale.US,
                    "%s: max %,.0f events/s (events / job time; %,.0f by wall time), input throttled to %,.0f events/s (%.0f %%)%n",
                    label,
                    max[0],
                    max[1],
                    target,
                    settings.load() * 100);
            return changeWhileRunning(setup, poll, max, target);
        }
    }

    /** An unthrottled bounded run: {events / job time, events / wall time}. */
    private double[] bounded(RoutedSetup setup, String name) throws Exception {
        System.gc();
        CountingSink.reset();
        int p = settings.parallelism();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(RoutesBenchmark.flinkConfig(setup.spec, p)));
        int rows = RoutesInput.rows();
        SluiceRoutedJob.compose(
                setup, env, p, rows, 0, id -> ValueSink.of(new CountingSink(id, false)));
        long start = System.nanoTime();
        JobExecutionResult result = env.execute("routes propagation: max");
        double wall = (System.nanoTime() - start) / 1e9;
        double job = result.getNetRuntime() / 1000.0;
        out.printf(
                Locale.US,
                "%s: %,.0f events/s by job time (%.2f s), %,.0f by wall time (%.2f s), %,d records out%n",
                name,
                rows / job,
                job,
                rows / wall,
                wall,
                CountingSink.count(RoutedSetup.OUT));
        return new double[] {rows / job, rows / wall};
    }

    private Result changeWhileRunning(RoutedSetup setup, Duration poll, double[] max, double target)
            throws Exception {
        int p = settings.parallelism();
        System.gc();
        CountingSink.reset();
        VersionWatchSink.reset(p);
        RoutesInput.resetEmitted();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(RoutesBenchmark.flinkConfig(setup.spec, p)));
        SluiceRoutedJob.compose(
                setup,
                env,
                p,
                0,
                target,
                id ->
                        id.equals(RoutedSetup.OUT)
                                ? new VersionWatchSink()
                                : ValueSink.of(new CountingSink(id, false)));
        JobClient job = env.executeAsync("routes propagation");
        Map<Long, Long> committed = new TreeMap<>();
        List<Double> commitMs = new ArrayList<>();
        long firstMeasured = -1;
        long last = -1;
        double actual;
        try {
            long v1 = setup.store.latest();
            awaitEverywhere(v1, Duration.ofSeconds(60), "the first version");
            Thread.sleep(5000); // JIT and buffers settle at the target rate
            long emittedFrom = RoutesInput.EMITTED.sum();
            long from = System.nanoTime();
            long interval = settings.changeInterval().toNanos();
            long next = System.nanoTime() + interval;
            int total = settings.changeWarmup() + settings.changes();
            for (int n = 1; n <= total; n++) {
                sleepUntil(next);
                next += interval;
                String text = setup.routesYaml(thresholds(n % 2 == 1 ? 1.0 : 0.0));
                long expected = setup.store.latest();
                long before = System.nanoTime();
                ConfigVersion v = setup.store.commit(text, expected, "bench", "change " + n);
                long after = System.nanoTime();
                committed.put(v.number(), after);
                commitMs.add((after - before) / 1e6);
                if (n == settings.changeWarmup() + 1) {
                    firstMeasured = v.number();
                }
                last = v.number();
            }
            awaitEverywhere(last, SHOW_TIMEOUT, "the last version");
            actual = (RoutesInput.EMITTED.sum() - emittedFrom) / ((System.nanoTime() - from) / 1e9);
        } finally {
            job.cancel().get();
        }
        List<Double> first = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        List<Double> warmFirst = new ArrayList<>();
        int never = 0;
        int notEverywhere = 0;
        for (Map.Entry<Long, Long> c : committed.entrySet()) {
            long v = c.getKey();
            long earliest = Long.MAX_VALUE;
            long latest = 0;
            boolean everywhere = true;
            for (int t = 0; t < p; t++) {
                long seen = VersionWatchSink.first(v, t);
                if (seen == 0) {
                    everywhere = false;
                } else {
                    earliest = Math.min(earliest, seen);
                    latest = Math.max(latest, seen);
                }
            }
            boolean measured = v >= firstMeasured;
            if (earliest == Long.MAX_VALUE) {
                if (measured) {
                    never++;
                }
                warnings++;
                out.printf("WARNING: version %d never showed in the output%n", v);
                continue;
            }
            double ms = (earliest - c.getValue()) / 1e6;
            if (!measured) {
                warmFirst.add(ms);
                continue;
            }
            first.add(ms);
            if (everywhere) {
                all.add((latest - c.getValue()) / 1e6);
            } else {
                notEverywhere++;
            }
        }
        Result r =
                new Result(
                        poll,
                        max[0],
                        max[1],
                        target,
                        actual,
                        first.stream().sorted().toList(),
                        all.stream().sorted().toList(),
                        warmFirst,
                        never,
                        notEverywhere,
                        commitMs);
        out.printf(
                Locale.US,
                "poll-interval %dms: %d changes measured (after %d warm-up changes: %s ms), input %,.0f events/s, "
                        + "%,d records out; first record of a version after commit: %s; on all routing tasks: %s; "
                        + "never showed: %d%n",
                poll.toMillis(),
                first.size() + never,
                warmFirst.size(),
                warmFirst.stream().map(x -> String.format(Locale.US, "%.0f", x)).toList(),
                actual,
                VersionWatchSink.RECORDS.sum(),
                stats(r.first()),
                stats(r.all()),
                never);
        if (never > 0) {
            warnings++;
        }
        if (actual < 0.95 * target) {
            // the input fell behind its schedule: not the intended load (the job held it back)
            warnings++;
            out.printf(
                    Locale.US,
                    "WARNING: the input reached only %,.0f of the target %,.0f events/s%n",
                    actual,
                    target);
        }
        return r;
    }

    private void awaitEverywhere(long version, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!VersionWatchSink.seenEverywhere(version)) {
            if (System.nanoTime() > deadline) {
                warnings++;
                out.printf(
                        "WARNING: %s (%d) did not show from every routing task within %d s%n",
                        what, version, timeout.toSeconds());
                return;
            }
            Thread.sleep(5);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    private static String stats(List<Double> sorted) {
        if (sorted.isEmpty()) {
            return "none";
        }
        return String.format(
                Locale.US,
                "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                RoutesBenchmark.percentile(sorted, 50),
                RoutesBenchmark.percentile(sorted, 90),
                RoutesBenchmark.percentile(sorted, 99),
                sorted.get(sorted.size() - 1));
    }

    private String summarize(List<Result> results) {
        StringBuilder md = new StringBuilder();
        md.append("### Propagation: commit → first output record stamped with the new version\n\n");
        md.append(
                String.format(
                        Locale.US,
                        "| routes.poll-interval | input events/s (target = %.0f %% of max) | changes | p50 | p90 | p99 | max "
                                + "| never showed | bar p99 < 200 ms | all routing tasks: p50 / p99 / max |%n",
                        settings.load() * 100));
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        out.println();
        out.println(
                "Propagation (K=10, ms from commit() returning to the first record stamped with the version)");
        for (Result r : results) {
            List<Double> f = r.first();
            if (f.isEmpty()) {
                md.append(
                        String.format(
                                Locale.US,
                                "| %d ms | no version showed | | | | | | %d | **FAIL** | |%n",
                                r.pollInterval().toMillis(),
                                r.neverShowed()));
                out.printf("  poll %3d ms: no version showed%n", r.pollInterval().toMillis());
                continue;
            }
            double p99 = f.isEmpty() ? Double.NaN : RoutesBenchmark.percentile(f, 99);
            boolean pass = !f.isEmpty() && p99 < 200 && r.neverShowed() == 0;
            String all =
                    r.all().isEmpty()
                            ? "none"
                            : String.format(
                                            Locale.US,
                                            "%.1f / %.1f / %.1f ms",
                                            RoutesBenchmark.percentile(r.all(), 50),
                                            RoutesBenchmark.percentile(r.all(), 99),
                                            r.all().get(r.all().size() - 1))
                                    + (r.notEverywhere() > 0
                                            ? " (" + r.notEverywhere() + " not from every task)"
                                            : "");
            md.append(
                    String.format(
                            Locale.US,
                            "| %d ms | %,.0f (target %,.0f) | %d | %.1f ms | %.1f ms | **%.1f ms** | %.1f ms | %d | **%s** | %s |%n",
                            r.pollInterval().toMillis(),
                            r.actualEventsPerSecond(),
                            r.targetEventsPerSecond(),
                            f.size() + r.neverShowed(),
                            RoutesBenchmark.percentile(f, 50),
                            RoutesBenchmark.percentile(f, 90),
                            p99,
                            f.get(f.size() - 1),
                            r.neverShowed(),
                            pass ? "PASS" : "FAIL",
                            all));
            out.printf(
                    Locale.US,
                    "  poll %3d ms: %s; never showed %d; bar p99 < 200 ms: %s; all tasks: %s%n",
                    r.pollInterval().toMillis(),
                    stats(f),
                    r.neverShowed(),
                    pass ? "PASS" : "FAIL",
                    all);
        }
        Result r0 = results.get(0);
        List<Double> commits = r0.commitMs().stream().sorted().toList();
        md.append('\n');
        md.append(
                String.format(
                        Locale.US,
                        "The routed job with %d routes (route r0 passes every event of its type, a tenth of the input), "
                                + "parallelism %d, runtime.buffer-timeout %s, file config store in a temp folder. Maximum "
                                + "throughput, measured unthrottled in the same run just before (the better of two runs "
                                + "after two warm-ups, per row): %s events/s by job time (%s by wall time, cluster start "
                                + "included); the endless source was paced to %.0f %% of the former. A new version was committed every %d ms: %d warm-up changes (not counted), then %d "
                                + "measured. commit() itself took %.1f ms median, %.1f ms max (validation and file writes; not "
                                + "part of the latency, which starts when it returned). Percentiles are nearest-rank over the "
                                + "measured changes. \"All routing tasks\": until records stamped with the version arrived from "
                                + "each of the %d routing (stage 1) tasks.%n",
                        ROUTES,
                        settings.parallelism(),
                        settings.bufferTimeout() == null
                                ? "not set (Flink's default, 100 ms)"
                                : settings.bufferTimeout().toMillis() + " ms",
                        results.stream()
                                .map(x -> String.format(Locale.US, "%,.0f", x.maxEventsPerSecond()))
                                .reduce((a, b) -> a + " / " + b)
                                .orElse(""),
                        results.stream()
                                .map(
                                        x ->
                                                String.format(
                                                        Locale.US,
                                                        "%,.0f",
                                                        x.maxWallEventsPerSecond()))
                                .reduce((a, b) -> a + " / " + b)
                                .orElse(""),
                        settings.load() * 100,
                        settings.changeInterval().toMillis(),
                        settings.changeWarmup(),
                        settings.changes(),
                        RoutesBenchmark.median(commits),
                        commits.get(commits.size() - 1),
                        settings.parallelism()));
        return md.toString();
    }
}
