package io.sluice.bench.routes;

import io.sluice.bench.routes.BaselineRoutedJob.Route;
import io.sluice.bench.routes.RoutesBenchmark.Outcome;
import io.sluice.bench.routes.RoutesBenchmark.Settings;
import io.sluice.runtime.sink.ValueSink;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Throughput of the routed job against the hand-written static routing job ({@link
 * BaselineRoutedJob}), for each number K of active routes.
 *
 * <p>Identical on both sides: the same in-memory lines through the same FLIP-27 source and element
 * type, the same Flink configuration (no Kryo fallback, heap state, no checkpoints, object reuse
 * off, no restarts, a fresh local MiniCluster per run with its start-up in the wall time), the same
 * parallelism, the same output bytes into the same counting, discarding sink. Before measuring,
 * each K is verified: both jobs must write the same multiset of JSON records on a small input, and
 * as many as the generator's own values say pass the thresholds. Every measured run's record count
 * is checked against that reference too.
 */
final class RouteThroughput {
    private static final long SEED = 42;

    enum Side {
        SLUICE("sluice"),
        BASELINE("baseline");

        final String label;

        Side(String label) {
            this.label = label;
        }
    }

    /** One job execution. */
    record Run(Side side, int routes, double seconds, double netSeconds, long out) {
        double eventsPerSecond(int rows) {
            return rows / seconds;
        }

        /** Without the cluster's start: events / the job's own run time. */
        double jobEventsPerSecond(int rows) {
            return rows / netSeconds;
        }
    }

    /** The measured runs of one K and what the verification found. */
    record Result(int routes, List<Run> runs, long expected, String verified) {
        List<Run> of(Side side) {
            return runs.stream().filter(r -> r.side() == side).toList();
        }
    }

    private final Settings settings;
    private final PrintStream out;
    private int warnings;

    RouteThroughput(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    Outcome run() throws Exception {
        List<Result> results = new ArrayList<>();
        for (int k : settings.routes()) {
            results.add(measure(k));
        }
        return new Outcome(summarize(results), warnings);
    }

    private Result measure(int k) throws Exception {
        long t0 = System.nanoTime();
        RoutesInput.install(settings.rows(), k, SEED);
        out.printf(
                Locale.US,
                "K=%d: %,d events, %,d MB of JSON in memory (generated in %.1f s)%n",
                k,
                RoutesInput.rows(),
                RoutesInput.payloadBytes() >> 20,
                (System.nanoTime() - t0) / 1e9);
        try (RoutedSetup setup =
                new RoutedSetup(k, null, null, settings.routeKey(), RoutedSetup::threshold)) {
            double[] c = setup.thresholdByType();
            long expected = RoutesInput.expectedOutputs(settings.rows(), c);
            String verified = verify(setup, c);
            List<Run> runs = new ArrayList<>();
            for (int i = 1; i <= settings.warmup(); i++) {
                String name = "K=" + k + " warm-up " + i + "/" + settings.warmup();
                execute(Side.SLUICE, setup, name, settings.rows(), false, expected);
                execute(Side.BASELINE, setup, name, settings.rows(), false, expected);
            }
            for (int i = 1; i <= settings.runs(); i++) {
                String name = "K=" + k + " run " + i + "/" + settings.runs();
                runs.add(execute(Side.SLUICE, setup, name, settings.rows(), false, expected));
                runs.add(execute(Side.BASELINE, setup, name, settings.rows(), false, expected));
            }
            return new Result(k, runs, expected, verified);
        }
    }

    /** Both jobs on the first lines: the same multiset of records, as many as expected. */
    private String verify(RoutedSetup setup, double[] c) throws Exception {
        int n = Math.min(settings.verifyRows(), settings.rows());
        long expected = RoutesInput.expectedOutputs(n, c);
        String name = "K=" + setup.routes + " verify";
        execute(Side.SLUICE, setup, name, n, true, expected);
        long sluiceSum = CountingSink.digest(RoutedSetup.OUT);
        long sluiceCount = CountingSink.count(RoutedSetup.OUT);
        execute(Side.BASELINE, setup, name, n, true, expected);
        long baselineSum = CountingSink.digest(RoutedSetup.OUT);
        long baselineCount = CountingSink.count(RoutedSetup.OUT);
        if (sluiceSum != baselineSum || sluiceCount != baselineCount) {
            warnings++;
            out.printf(
                    Locale.US,
                    "WARNING: %s: the outputs differ: sluice %,d records (digest %x), baseline %,d (digest %x)%n",
                    name,
                    sluiceCount,
                    sluiceSum,
                    baselineCount,
                    baselineSum);
            return "DIFFERENT";
        }
        String v =
                String.format(
                        Locale.US,
                        "identical multisets of %,d JSON records on the first %,d events",
                        sluiceCount,
                        n);
        out.println("  " + name + ": " + v);
        return v;
    }

    private Run execute(
            Side side, RoutedSetup setup, String name, int rows, boolean digest, long expected)
            throws Exception {
        System.gc();
        CountingSink.reset();
        int p = settings.parallelism();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(RoutesBenchmark.flinkConfig(setup.spec, p)));
        if (side == Side.SLUICE) {
            SluiceRoutedJob.compose(
                    setup, env, p, rows, 0, id -> ValueSink.of(new CountingSink(id, digest)));
        } else {
            env.setParallelism(p);
            BaselineRoutedJob.compose(
                    RoutesInput.bounded(env, RoutedSetup.SOURCE, rows),
                    table(setup),
                    setup.spec.hash(),
                    setup.store.latest(),
                    new CountingSink(RoutedSetup.OUT, digest));
        }
        long start = System.nanoTime();
        JobExecutionResult result = env.execute("routes benchmark: " + side.label);
        double seconds = (System.nanoTime() - start) / 1e9;
        Run run =
                new Run(
                        side,
                        setup.routes,
                        seconds,
                        result.getNetRuntime() / 1000.0,
                        CountingSink.count(RoutedSetup.OUT));
        out.printf(
                Locale.US,
                "%s %s: %,.0f events/s (%.2f s wall, %.2f s job), %,d records out%n",
                name,
                side.label,
                rows / seconds,
                seconds,
                run.netSeconds(),
                run.out());
        check(run, name, expected);
        return run;
    }

    private void check(Run run, String name, long expected) {
        Map<String, Long> counts = CountingSink.counts();
        long other =
                counts.entrySet().stream()
                        .filter(e -> !e.getKey().equals(RoutedSetup.OUT))
                        .mapToLong(Map.Entry::getValue)
                        .sum();
        if (run.out() != expected || other != 0) {
            warnings++;
            out.printf(
                    Locale.US,
                    "WARNING: %s %s: %,d records out (expected %,d), other sinks %s%n",
                    name,
                    run.side().label,
                    run.out(),
                    expected,
                    counts);
        }
    }

    /** The baseline's static table: event type → (route id, threshold), from the same values. */
    private static Map<String, Route> table(RoutedSetup setup) {
        double[] c = setup.thresholdByType();
        Map<String, Route> t = new HashMap<>();
        for (int i = 0; i < c.length; i++) {
            t.put("t" + i, new Route("r" + i, c[i]));
        }
        return t;
    }

    private String summarize(List<Result> results) {
        int rows = settings.rows();
        out.println();
        out.println("Routed job vs hand-written static job");
        out.printf(
                Locale.US,
                "  %7s %16s %16s %7s %12s%n",
                "routes",
                "sluice ev/s",
                "baseline ev/s",
                "ratio",
                "records out");
        StringBuilder md = new StringBuilder();
        md.append("### Routed job vs hand-written static job\n\n");
        md.append(
                "| active routes | Sluice median events/s | baseline median events/s | ratio Sluice / baseline "
                        + "| Sluice events/s per run | baseline events/s per run | by job time: Sluice / baseline (ratio) "
                        + "| records out per run |\n");
        md.append("|---:|---:|---:|---:|---|---|---|---:|\n");
        for (Result r : results) {
            List<Run> s = r.of(Side.SLUICE);
            List<Run> b = r.of(Side.BASELINE);
            double se =
                    RoutesBenchmark.median(s.stream().map(x -> x.eventsPerSecond(rows)).toList());
            double be =
                    RoutesBenchmark.median(b.stream().map(x -> x.eventsPerSecond(rows)).toList());
            double sj =
                    RoutesBenchmark.median(
                            s.stream().map(x -> x.jobEventsPerSecond(rows)).toList());
            double bj =
                    RoutesBenchmark.median(
                            b.stream().map(x -> x.jobEventsPerSecond(rows)).toList());
            out.printf(
                    Locale.US,
                    "  %7d %,16.0f %,16.0f %7.2f %,12d   by job time: %,.0f / %,.0f (%.2f)%n",
                    r.routes(),
                    se,
                    be,
                    se / be,
                    r.expected(),
                    sj,
                    bj,
                    sj / bj);
            md.append(
                    String.format(
                            Locale.US,
                            "| %d | **%,.0f** | **%,.0f** | **%.2f** | %s | %s | %,.0f / %,.0f (%.2f) | %,d |%n",
                            r.routes(),
                            se,
                            be,
                            se / be,
                            eachRun(s, rows),
                            eachRun(b, rows),
                            sj,
                            bj,
                            sj / bj,
                            r.expected()));
        }
        md.append('\n');
        md.append(
                String.format(
                        Locale.US,
                        "%,d events per run (%,d MB of JSON lines in memory), parallelism %d, %d warm-up and %d measured "
                                + "runs per side and K, alternating; events/s = events / wall time of `execute()` on a fresh "
                                + "local MiniCluster (start-up included); \"by job time\" = events / the job's net run time "
                                + "(medians), without the cluster's start. Route key: %s.%n%n",
                        rows,
                        RoutesInput.payloadBytes() >> 20,
                        settings.parallelism(),
                        settings.warmup(),
                        settings.runs(),
                        settings.routeKey() == null
                                ? "none (the routes' default: one key per route)"
                                : "[" + settings.routeKey() + "]"));
        md.append("Checks: ");
        md.append(
                results.stream()
                        .map(r -> "K=" + r.routes() + ": " + r.verified())
                        .collect(Collectors.joining("; ")));
        md.append(
                warnings == 0
                        ? "; every measured run wrote exactly the expected records (from the generator's values) and nothing to unrouted or dead letters.\n"
                        : "; WARNINGS were printed, see the terminal output.\n");
        return md.toString();
    }

    private static String eachRun(List<Run> runs, int rows) {
        return runs.stream()
                .map(r -> String.format(Locale.US, "%,.0f", r.eventsPerSecond(rows)))
                .collect(Collectors.joining(" / "));
    }
}
