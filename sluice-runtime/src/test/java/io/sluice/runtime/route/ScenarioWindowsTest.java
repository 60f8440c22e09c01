package io.sluice.runtime.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot-items and metrics operator in Flink's keyed harness: what it leaves in state and timers
 * after its windows fire, after a snapshot and restore, and when its scenario is disabled.
 */
class ScenarioWindowsTest {
    static final RowSchema INPUT =
            new RowSchema(
                    List.of(
                            new Field("tenant_id", FieldType.STRING, true),
                            new Field("scenario_id", FieldType.STRING, true),
                            new Field("user_id", FieldType.STRING, true),
                            new Field("item_id", FieldType.STRING, true),
                            new Field("category_id", FieldType.STRING, true),
                            new Field("action", FieldType.STRING, true),
                            new Field("event_time", FieldType.TIMESTAMP, true)));
    static final RouteCatalog CATALOG =
            new RouteCatalog(INPUT, null, null, null, List.of(), true, false, true);
    static final Scenarios.Fields FIELDS = new Scenarios.Fields(0, 1, 2, 3, 4, 5, -1);
    static final String KEY = "acme\u001ffeed";
    static final String V1 =
            """
            scenarios:
              - tenant: acme
                scenario: feed
                hot-score: {window: {size: 10m, slide: 5m}, top-n: 2}
                metrics: {window: {size: 5m}}
            """;
    static final long MINUTE = 60_000;

    @TempDir Path dir;
    ConfigStore store;
    KeyedOneInputStreamOperatorTestHarness<String, RoutedEvent, EventRow> h;

    @BeforeEach
    void open() throws Exception {
        RoutesLoader loader = new RoutesLoader(PluginRegistry.load());
        store =
                ConfigStores.open(
                        StoreLocation.parse(dir.resolve("config").toString()),
                        (f, t) -> loader.validate(f, t, CATALOG));
        store.commit(V1, 0, "test", "first");
        h = harness();
        h.open();
    }

    KeyedOneInputStreamOperatorTestHarness<String, RoutedEvent, EventRow> harness()
            throws Exception {
        StoreVersions versions =
                new StoreVersions(StoreLocation.parse(dir.resolve("config").toString()), CATALOG);
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new ScenarioWindows(CATALOG, versions.forTasks(), 4, FIELDS, "test")
                        .latestCheckEvery(0),
                RoutedEvent::key,
                Types.STRING);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
        store.close();
    }

    static StreamRecord<RoutedEvent> event(String item, String action, long ts) {
        return event(item, action, ts, 1);
    }

    static StreamRecord<RoutedEvent> event(String item, String action, long ts, long version) {
        EventRow row = EventRow.of("acme", "feed", "u-1", item, "c-1", action, ts);
        return new StreamRecord<>(new RoutedEvent("scenario", version, KEY, row), ts);
    }

    List<String> ranking() {
        List<String> out = new ArrayList<>();
        var emitted = h.getSideOutput(ScenarioWindows.HOT_ITEMS);
        for (StreamRecord<EventRow> r :
                emitted == null ? List.<StreamRecord<EventRow>>of() : emitted) {
            EventRow row = r.getValue();
            out.add(row.get(3) + " #" + row.get(4) + " " + row.get(5));
        }
        return out;
    }

    int metrics() {
        var emitted = h.getSideOutput(ScenarioWindows.METRICS);
        return emitted == null ? 0 : emitted.size();
    }

    @Test
    void afterEveryWindowFiredNoStateOrTimerIsLeft() throws Exception {
        h.processElement(event("i-1", "view", 1 * MINUTE));
        h.processElement(event("i-2", "purchase", 2 * MINUTE));
        h.processElement(event("i-1", "view", 6 * MINUTE));
        h.processWatermark(4 * MINUTE);
        assertThat(ranking()).isEmpty();
        h.processWatermark(5 * MINUTE);
        // window [-5m, 5m): purchase 10 beats view 1
        assertThat(ranking()).containsExactly("300000 #1 i-2", "300000 #2 i-1");
        h.processWatermark(Long.MAX_VALUE);
        assertThat(ranking()).hasSize(2 + 2 + 1);
        assertThat(metrics()).isEqualTo(2);
        assertThat(h.numKeyedStateEntries()).as("state left").isZero();
        assertThat(h.numEventTimeTimers()).as("timers left").isZero();
    }

    /**
     * Events stamped with two versions whose windows interleave (15 min and 10 min windows): each
     * event counts once in every open window covering it, with that window's version's params, and
     * nothing is left once all have fired.
     */
    @Test
    void interleavedVersionsCountEachEventOncePerWindow() throws Exception {
        String v1 =
                V1.replace("size: 10m, slide: 5m", "size: 15m, slide: 5m")
                        .replace("top-n: 2", "top-n: 5");
        store.commit(v1, 1, "test", "15m windows");
        store.commit(v1.replace("size: 15m", "size: 10m"), 2, "test", "10m windows");
        h.processElement(event("i-1", "view", 2 * MINUTE, 2));
        h.processElement(event("i-2", "view", 7 * MINUTE, 3));
        h.processElement(event("i-1", "view", 12 * MINUTE, 2));
        h.processWatermark(Long.MAX_VALUE);
        List<String> windowsOfV2 = new ArrayList<>();
        double i1 = Double.NaN;
        long i1Events = -1;
        for (StreamRecord<EventRow> r : h.getSideOutput(ScenarioWindows.HOT_ITEMS)) {
            EventRow row = r.getValue();
            if (row.configVersion() == 2) {
                windowsOfV2.add(row.get(2) + ".." + row.get(3));
                if ((Long) row.get(2) == 0 && row.get(5).equals("i-1")) {
                    i1 = (Double) row.get(6);
                    i1Events = (Long) row.get(7);
                }
            }
        }
        // version 2's window [0, 15m): i-1's two views at 2m and 12m, once each
        assertThat(i1Events).isEqualTo(2);
        double expected = Math.exp(-0.1 * 13 / 60) + Math.exp(-0.1 * 3 / 60);
        assertThat(i1).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(windowsOfV2).contains("0..900000");
        assertThat(h.numKeyedStateEntries()).as("state left").isZero();
        assertThat(h.numEventTimeTimers()).as("timers left").isZero();
    }

    @Test
    void bufferedUpdatesSurviveASnapshotAndRestore() throws Exception {
        h.processElement(event("i-1", "view", 1 * MINUTE));
        h.processElement(event("i-2", "click", 2 * MINUTE));
        h.prepareSnapshotPreBarrier(1L); // as the task does before each checkpoint barrier
        var snapshot = h.snapshot(1L, 1L);
        h.close();
        h = harness();
        h.setup();
        h.initializeState(snapshot);
        h.open();
        h.processElement(event("i-1", "view", 3 * MINUTE));
        h.processWatermark(5 * MINUTE);
        // i-1: two views (2 · ~1) beat i-2's click (2 · ~1, decayed longer)
        assertThat(ranking()).containsExactly("300000 #1 i-1", "300000 #2 i-2");
    }

    @Test
    void aDisabledScenarioReleasesItsStateWithoutResults() throws Exception {
        h.processElement(event("i-1", "view", 1 * MINUTE));
        h.processElement(event("i-2", "view", 7 * MINUTE));
        h.processWatermark(6 * MINUTE);
        assertThat(ranking()).hasSize(1);
        assertThat(h.numKeyedStateEntries()).isPositive();
        store.commit(
                V1.replace("scenario: feed", "scenario: feed\n    enabled: false"), 1, "t", "off");
        // the task looks for a newer version on its timers (here on every one)
        h.processWatermark(Long.MAX_VALUE);
        assertThat(ranking()).hasSize(1);
        assertThat(metrics()).isEqualTo(1);
        assertThat(h.numKeyedStateEntries()).as("state left").isZero();
        assertThat(h.numEventTimeTimers()).as("timers left").isZero();
    }
}
