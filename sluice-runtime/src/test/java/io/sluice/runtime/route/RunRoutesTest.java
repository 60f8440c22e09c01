package io.sluice.runtime.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keyed routing stage on Flink's harness: window state per (route, key) is cleared when the
 * window fires; a window keeps the version that opened it through a change; a disabled route's
 * state is released at its next timer.
 */
class RunRoutesTest {

    static final String V1 =
            """
            routes:
              - id: w
                event-types: [order]
                key: [tenant_id]
                processor: window-aggregate
                params:
                  window: {type: tumbling, size: 1m}
                  aggregates: [{name: n, fn: count}]
                outputs: [stats]
            """;

    static final OutputTag<SinkRecord> STATS = new OutputTag<>("stats", SinkRecord.TYPE);

    @TempDir Path dir;
    ConfigStore store;
    KeyedBroadcastOperatorTestHarness<String, RoutedEvent, ConfigUpdate, SinkRecord> h;

    @BeforeEach
    void open() throws Exception {
        RouteCatalog catalog = Specs.routedCatalog();
        RoutesLoader loader = new RoutesLoader(Specs.registry());
        StoreLocation loc = StoreLocation.parse(dir.toString());
        store = ConfigStores.open(loc, (f, t) -> loader.validate(f, t, catalog));
        store.commit(V1, 0, "test", null);
        RunRoutes stage =
                new RunRoutes(
                        catalog,
                        new StoreVersions(loc, catalog),
                        4,
                        "hash",
                        "shop.routes",
                        Map.of("stats", STATS),
                        Map.of(),
                        null,
                        3,
                        Duration.ofMinutes(1),
                        Duration.ofHours(1));
        h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        stage, RoutedEvent::key, Types.STRING, RouteEvents.VERSIONS);
        // the control stream's watermark is at the end of time (ControlSource.watermarks())
        h.processBroadcastWatermark(Long.MAX_VALUE);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
        store.close();
    }

    private void event(long version, String tenant, long seconds) throws Exception {
        EventRow row = EventRow.of("e", "order", tenant, seconds * 1000, "{}");
        row.configVersion(version);
        h.processElement(
                new StreamRecord<>(
                        new RoutedEvent("w", version, "w\u001f" + tenant, row), seconds * 1000));
    }

    private void publish(String text) throws Exception {
        long v = store.commit(text, store.latest(), "test", null).number();
        h.processBroadcastElement(new StreamRecord<>(new ConfigUpdate(v, text, "test", 0L), 0L));
    }

    /** Keyed state entries of the stage (heap backend), as the one-input harness counts them. */
    private int stateEntries() {
        return ((org.apache.flink.runtime.state.heap.HeapKeyedStateBackend<?>)
                        h.getOperator().getKeyedStateBackend())
                .numKeyValueStateEntries();
    }

    private List<JsonNode> stats() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        if (h.getSideOutput(STATS) != null) {
            for (StreamRecord<SinkRecord> r : h.getSideOutput(STATS)) {
                out.add(new ObjectMapper().readTree(r.getValue().value));
            }
        }
        return out;
    }

    @Test
    void aWindowFiresOnceAndItsStateIsCleared() throws Exception {
        event(1, "acme", 10);
        event(1, "acme", 20);
        event(1, "globex", 30);
        assertThat(stateEntries()).isEqualTo(2);
        assertThat(h.numEventTimeTimers()).isEqualTo(2);
        h.processWatermark(60_000);
        assertThat(stats())
                .extracting(n -> n.get("tenant_id").asText() + " " + n.get("n").asLong())
                .containsExactlyInAnyOrder("acme 2", "globex 1");
        assertThat(stateEntries()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
    }

    @Test
    void aWindowOpenedUnderOneVersionFinishesWithItAndTakesLaterEvents() throws Exception {
        event(1, "acme", 70);
        publish(V1.replace("[{name: n, fn: count}]", "[{name: events, fn: count}]"));
        event(2, "acme", 80); // joins the window version 1 opened
        event(2, "acme", 130); // opens a window under version 2
        h.processWatermark(180_000);
        assertThat(stats())
                .extracting(
                        n ->
                                n.get("window_start").asText()
                                        + " "
                                        + (n.has("n")
                                                ? "n=" + n.get("n")
                                                : "events=" + n.get("events"))
                                        + " v"
                                        + n.get("config_version"))
                .containsExactly("1970-01-01T00:01:00Z n=2 v1", "1970-01-01T00:02:00Z events=1 v2");
    }

    @Test
    void windowsOpenBeforeARouteStopsAggregatingStillFireWithTheirVersion() throws Exception {
        event(1, "acme", 10);
        publish(
                """
                routes:
                  - id: w
                    event-types: [order]
                    key: [tenant_id]
                    processor: emit
                    outputs: [stats]
                """);
        h.processWatermark(60_000);
        assertThat(stats())
                .extracting(n -> n.get("n").asLong() + " v" + n.get("config_version"))
                .containsExactly("1 v1");
        assertThat(stateEntries()).isZero();
    }

    @Test
    void aDisabledRouteReleasesItsStateAtItsNextTimer() throws Exception {
        event(1, "acme", 10);
        assertThat(stateEntries()).isEqualTo(1);
        publish(
                V1.replace(
                        "processor: window-aggregate",
                        "enabled: false\n    processor: window-aggregate"));
        h.processWatermark(60_000);
        assertThat(stats()).isEmpty();
        assertThat(stateEntries()).isZero();
    }

    @Test
    void slidingWindowsOverPanesCountWhatABruteForceModelCounts() throws Exception {
        publish(V1.replace("{type: tumbling, size: 1m}", "{type: sliding, size: 10m, slide: 4m}"));
        java.util.Random random = new java.util.Random(17);
        java.util.Map<String, Long> expected = new java.util.TreeMap<>();
        long maxSeconds = 0;
        long wm = Long.MIN_VALUE;
        int missed = 0;
        for (int i = 0; i < 3_000; i++) {
            String tenant = "t" + random.nextInt(4);
            long seconds =
                    Math.max(
                            0,
                            maxSeconds
                                    + (random.nextInt(8) == 0
                                            ? -random.nextInt(500) // late for some windows
                                            : random.nextInt(20) - 5));
            maxSeconds = Math.max(maxSeconds, seconds);
            event(2, tenant, seconds);
            long ts = seconds * 1000;
            // windows [start, start + 10m) with start a multiple of 4m; one that closed (end - 1
            // <= watermark) before the event arrived does not take it
            for (long start = ts - Math.floorMod(ts, 240_000);
                    start > ts - 600_000;
                    start -= 240_000) {
                if (start + 600_000 - 1 > wm) {
                    expected.merge(tenant + " " + start + " " + (start + 600_000), 1L, Long::sum);
                } else {
                    missed++;
                }
            }
            if (random.nextInt(25) == 0) {
                wm = Math.max(wm, (maxSeconds - 90) * 1000);
                h.processWatermark(wm);
            }
        }
        h.processWatermark(Long.MAX_VALUE);
        java.util.Map<String, Long> actual = new java.util.TreeMap<>();
        for (JsonNode n : stats()) {
            String window =
                    n.get("tenant_id").asText()
                            + " "
                            + java.time.Instant.parse(n.get("window_start").asText()).toEpochMilli()
                            + " "
                            + java.time.Instant.parse(n.get("window_end").asText()).toEpochMilli();
            assertThat(actual.put(window, n.get("n").asLong()))
                    .as("fired twice: %s", window)
                    .isNull();
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(expected.size()).isGreaterThan(60);
        assertThat(missed).as("events too late for some of their windows").isGreaterThan(20);
        assertThat(stateEntries()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
    }
}
