package io.sluice.bench.routes;

import io.sluice.bench.routes.RoutesBenchmark.Outcome;
import io.sluice.bench.routes.RoutesBenchmark.Settings;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.route.ConfigUpdate;
import io.sluice.runtime.route.RouteEvents;
import io.sluice.runtime.route.RoutedEvent;
import io.sluice.runtime.route.RunRoutes;
import io.sluice.runtime.route.StoreVersions;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.Spec.RoutesSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;

/**
 * The size of live routing's broadcast state as versions arrive. Both routing stages ({@link
 * RouteEvents}, {@link RunRoutes}) run in Flink's broadcast test harnesses on a heap backend and
 * receive versions of a 1,000-route table one after the other, each differing from the previous in
 * a threshold or two; after 1, 10, 100 and 1,000 versions the operator is snapshotted and the
 * snapshot's broadcast (operator) state size is reported. Each task keeps only {@code
 * keep-versions} versions, so the size must stay flat. The time each stage takes to take in one
 * version (reading the document, checking and compiling the routes it changes) is reported too,
 * since every task of both stages pays it for every version, on its task thread.
 */
final class StateSize {
    private static final Set<Integer> SNAPSHOT_AT = Set.of(1, 10, 100, 1000);

    /** Sizes after a number of versions. */
    record Point(int versions, int entries1, long bytes1, int entries2, long bytes2, long keyed2) {}

    private final Settings settings;
    private final PrintStream out;
    private int warnings;

    StateSize(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    Outcome run() throws Exception {
        int n = settings.stateRoutes();
        int versions = settings.stateVersions();
        Set<Integer> at = new TreeSet<>(SNAPSHOT_AT);
        at.removeIf(v -> v > versions);
        at.add(versions);
        try (RoutedSetup setup = new RoutedSetup(n, null, null, null, RoutedSetup::threshold)) {
            RoutesSpec r = setup.spec.pipelines().get(0).routes();
            int keep = r.keepVersions();
            StoreVersions store =
                    new StoreVersions(
                            StoreLocation.parse(setup.dir.resolve("config").toString()),
                            setup.catalog);
            String step = setup.spec.pipelines().get(0).id() + ".routes";
            RouteEvents stage1 =
                    new RouteEvents(
                            setup.catalog,
                            store,
                            keep,
                            new OutputTag<>(
                                    "unrouted", new EventRowTypeInfo(setup.catalog.input())),
                            step,
                            "bench");
            Map<String, OutputTag<SinkRecord>> tags = new LinkedHashMap<>();
            tags.put(RoutedSetup.OUT, new OutputTag<>("routes.out", SinkRecord.TYPE));
            RunRoutes stage2 =
                    new RunRoutes(
                            setup.catalog,
                            store,
                            keep,
                            setup.spec.hash(),
                            step,
                            tags,
                            Map.of(RoutedSetup.OUT, List.of()),
                            null,
                            r.breakerFailures(),
                            r.breakerWindow(),
                            r.stateTtl());
            int textBytes = text(setup, 1).getBytes(StandardCharsets.UTF_8).length;
            out.printf(
                    Locale.US,
                    "state: %,d routes per version, %,d bytes of YAML per version, keep-versions %d%n",
                    n,
                    textBytes,
                    keep);
            List<Point> points = new ArrayList<>();
            List<Double> ms1 = new ArrayList<>();
            List<Double> ms2 = new ArrayList<>();
            long lastStamp;
            try (BroadcastOperatorTestHarness<EventRow, ConfigUpdate, RoutedEvent> h1 =
                            ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                                    stage1, RouteEvents.VERSIONS);
                    KeyedBroadcastOperatorTestHarness<String, RoutedEvent, ConfigUpdate, SinkRecord>
                            h2 =
                                    ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                                            stage2,
                                            RoutedEvent::key,
                                            Types.STRING,
                                            RouteEvents.VERSIONS)) {
                for (int v = 1; v <= versions; v++) {
                    ConfigUpdate u =
                            new ConfigUpdate(
                                    v, text(setup, v), "bench", System.currentTimeMillis());
                    long t0 = System.nanoTime();
                    h1.processBroadcastElement(u, v);
                    long t1 = System.nanoTime();
                    h2.processBroadcastElement(u, v);
                    long t2 = System.nanoTime();
                    ms1.add((t1 - t0) / 1e6);
                    ms2.add((t2 - t1) / 1e6);
                    if (at.contains(v)) {
                        OperatorSubtaskState s1 = h1.snapshot(v, v);
                        OperatorSubtaskState s2 = h2.snapshot(v, v);
                        Point p =
                                new Point(
                                        v,
                                        entries(h1.getBroadcastState(RouteEvents.VERSIONS)),
                                        s1.getManagedOperatorState().getStateSize(),
                                        entries(h2.getBroadcastState(RouteEvents.VERSIONS)),
                                        s2.getManagedOperatorState().getStateSize(),
                                        s2.getManagedKeyedState().getStateSize());
                        points.add(p);
                        out.printf(
                                Locale.US,
                                "after %,5d versions: stage 1 broadcast state %d versions, %,d bytes; stage 2 %d versions, %,d bytes (keyed state %,d bytes); "
                                        + "taking in a version: stage 1 %.1f ms, stage 2 %.1f ms (median so far)%n",
                                v,
                                p.entries1(),
                                p.bytes1(),
                                p.entries2(),
                                p.bytes2(),
                                p.keyed2(),
                                RoutesBenchmark.median(ms1),
                                RoutesBenchmark.median(ms2));
                    }
                }
                lastStamp = stampOfOneEvent(h1, versions);
            }
            store.close();
            boolean flat =
                    points.stream()
                                    .filter(p -> p.versions() >= keep)
                                    .mapToLong(Point::bytes1)
                                    .distinct()
                                    .count()
                            <= 1;
            if (!flat) {
                warnings++;
                out.println("WARNING: the broadcast state grew with the number of versions");
            }
            if (lastStamp != versions) {
                warnings++;
                out.printf(
                        "WARNING: an event after %d versions was stamped with version %d%n",
                        versions, lastStamp);
            }
            return new Outcome(summarize(n, textBytes, keep, points, ms1, ms2, flat), warnings);
        }
    }

    /**
     * Version {@code v}: route {@code r(v mod n)} has its threshold raised by 0.5, so consecutive
     * versions differ in two routes, and every version's text has the same length.
     */
    private static String text(RoutedSetup setup, int v) {
        int changed = v % setup.routes;
        return setup.routesYaml(
                i -> i == changed ? RoutedSetup.threshold(i) + 0.5 : RoutedSetup.threshold(i));
    }

    private static int entries(BroadcastState<Long, String> state) throws Exception {
        int n = 0;
        for (Map.Entry<Long, String> ignored : state.entries()) {
            n++;
        }
        return n;
    }

    /** Routes one event of type t0 through stage 1 and returns the version stamped on it. */
    private static long stampOfOneEvent(
            BroadcastOperatorTestHarness<EventRow, ConfigUpdate, RoutedEvent> h, int versions)
            throws Exception {
        EventRow row =
                EventRow.of(
                        "e-1",
                        "t0",
                        "shop",
                        "acme",
                        "web",
                        Instant.parse("2026-11-01T00:00:00Z").toEpochMilli(),
                        "{\"user_id\":\"u-1\",\"amount\":99.5}");
        h.processElement(row, versions + 1L);
        List<RoutedEvent> out = h.extractOutputValues();
        return out.isEmpty() ? -1 : out.get(out.size() - 1).version();
    }

    private String summarize(
            int n,
            int textBytes,
            int keep,
            List<Point> points,
            List<Double> ms1,
            List<Double> ms2,
            boolean flat) {
        List<Double> s1 = ms1.stream().sorted().toList();
        List<Double> s2 = ms2.stream().sorted().toList();
        out.println();
        out.println("Broadcast state size (" + n + " routes per version)");
        StringBuilder md = new StringBuilder();
        md.append("### Broadcast state size\n\n");
        md.append(
                "| versions received | stage 1 (route) broadcast state | stage 2 (routes, keyed) broadcast state |\n");
        md.append("|---:|---:|---:|\n");
        for (Point p : points) {
            md.append(
                    String.format(
                            Locale.US,
                            "| %,d | %,d bytes (%d versions) | %,d bytes (%d versions) |%n",
                            p.versions(),
                            p.bytes1(),
                            p.entries1(),
                            p.bytes2(),
                            p.entries2()));
            out.printf(
                    Locale.US,
                    "  %,6d versions: stage 1 %,12d bytes (%d versions), stage 2 %,12d bytes (%d versions)%n",
                    p.versions(),
                    p.bytes1(),
                    p.entries1(),
                    p.bytes2(),
                    p.entries2());
        }
        String time =
                String.format(
                        Locale.US,
                        "Taking in one version of the %,d-route table (reading it, compiling what it changes) per task: stage 1 median %.1f ms, p99 %.1f ms; "
                                + "stage 2 median %.1f ms, p99 %.1f ms (over %,d versions).",
                        n,
                        RoutesBenchmark.percentile(s1, 50),
                        RoutesBenchmark.percentile(s1, 99),
                        RoutesBenchmark.percentile(s2, 50),
                        RoutesBenchmark.percentile(s2, 99),
                        s1.size());
        out.printf(Locale.US, "  one version's text: %,d bytes per %,d routes%n", textBytes, n);
        out.println("  " + time);
        out.println("  flat: " + (flat ? "yes" : "NO"));
        md.append('\n');
        md.append(
                String.format(
                        Locale.US,
                        "One version of %,d routes is **%,d bytes** of YAML (%,.0f bytes per route); each route as in the "
                                + "throughput part (a filter on one event type with two payload fields). keep-versions %d (the "
                                + "default). Sizes are those of the operator's snapshot (`OperatorSubtaskState` managed operator "
                                + "state, heap backend) in Flink's broadcast test harnesses; consecutive versions differ in one "
                                + "or two thresholds and all have the same length. The state %s. %s Every task of both stages "
                                + "holds this state and pays this time.%n",
                        n,
                        textBytes,
                        textBytes / (double) n,
                        keep,
                        flat
                                ? "stays flat once " + keep + " versions are held"
                                : "does NOT stay flat",
                        time));
        return md.toString();
    }
}
