package io.sluice.runtime.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.sink.JsonEncoder;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The routing stage on Flink's harness, composed to run stateless routes itself: they give exactly
 * the records, dead letters and stamps the keyed stage gives for the same events, only stateful
 * routes are forked to the keyed stage, and a throwing stateless route trips the breaker of this
 * stage's task.
 */
class RouteEventsTest {
    static final String V1 =
            """
            routes:
              - id: big
                event-types: [order]
                fields: [{name: amount, type: double}, {name: user, type: string}]
                processor: filter
                params: {condition: "amount > 100.0"}
                outputs: [big]
              - id: ids
                event-types: [order]
                processor: project
                params: {fields: [event_id, tenant_id]}
                outputs: [big]
              - id: w
                event-types: [order]
                key: [tenant_id]
                processor: window-aggregate
                params:
                  window: {type: tumbling, size: 1m}
                  aggregates: [{name: n, fn: count}]
                outputs: [stats]
            """;

    static final String FAULTY =
            """
            routes:
              - id: boom
                event-types: [order]
                fields: [{name: amount, type: double}]
                processor: explode-stateless
                outputs: [big]
            """;

    static final OutputTag<SinkRecord> BIG = new OutputTag<>("shop.routes.big", SinkRecord.TYPE);
    static final OutputTag<SinkRecord> STATS =
            new OutputTag<>("shop.routes.stats", SinkRecord.TYPE);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    RouteCatalog catalog;
    StoreLocation loc;
    ConfigStore store;
    OutputTag<EventRow> unrouted;
    List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void setUp() {
        catalog = Specs.routedCatalog();
        RoutesLoader loader = new RoutesLoader(Specs.registry());
        loc = StoreLocation.parse(dir.toString());
        store = ConfigStores.open(loc, (f, t) -> loader.validate(f, t, catalog));
        unrouted = new OutputTag<>("shop.unrouted", new EventRowTypeInfo(catalog.input()));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        store.close();
    }

    /** Alerts, if any, go to the stats output. */
    private RouteRunner.Settings settings(String alerts) {
        return new RouteRunner.Settings(
                "hash",
                "shop.routes",
                Map.of("big", BIG, "stats", STATS),
                Map.of(),
                alerts,
                3,
                Duration.ofMinutes(1));
    }

    private BroadcastOperatorTestHarness<EventRow, ConfigUpdate, RoutedEvent> stage1(
            RouteRunner.Settings runHere) throws Exception {
        BroadcastOperatorTestHarness<EventRow, ConfigUpdate, RoutedEvent> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
                        new RouteEvents(
                                catalog,
                                new StoreVersions(loc, catalog),
                                4,
                                unrouted,
                                "shop.routes",
                                "shop.yaml:22",
                                runHere),
                        RouteEvents.VERSIONS);
        open.add(h);
        return h;
    }

    private KeyedBroadcastOperatorTestHarness<String, RoutedEvent, ConfigUpdate, SinkRecord>
            stage2() throws Exception {
        RouteRunner.Settings s = settings(null);
        KeyedBroadcastOperatorTestHarness<String, RoutedEvent, ConfigUpdate, SinkRecord> h =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new RunRoutes(
                                catalog,
                                new StoreVersions(loc, catalog),
                                4,
                                s.specHash(),
                                s.step(),
                                s.outputs(),
                                s.keyFields(),
                                s.alertsOutput(),
                                s.breakerFailures(),
                                s.breakerWindow(),
                                Duration.ofHours(1)),
                        RoutedEvent::key,
                        Types.STRING,
                        RouteEvents.VERSIONS);
        open.add(h);
        return h;
    }

    private static StreamRecord<EventRow> order(
            String id, String tenant, long millis, String payload) {
        EventRow row =
                new EventRow(
                        new Object[] {id, "order", tenant, millis, payload},
                        ("{\"event_id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8),
                        "events.jsonl:" + id,
                        0L);
        return new StreamRecord<>(row, millis);
    }

    private static List<StreamRecord<EventRow>> orders() {
        return List.of(
                order("e1", "acme", 1_000, "{\"amount\":150.5,\"user\":\"u-1\"}"),
                order("e2", "globex", 2_000, "{\"amount\":50,\"user\":\"u-2\"}"),
                order("e3", "acme", 3_000, "{\"user\":\"u-3\",\"amount\":1e3,\"x\":[1,{}]}"),
                order("e4", "acme", 4_000, "{\"amount\":\"many\"}"),
                order("e5", "acme", 5_000, "[1]"),
                order("e6", "acme", 6_000, "{\"amount\":101,\"amount\":99}"));
    }

    private static List<String> values(Iterable<StreamRecord<SinkRecord>> out) {
        List<String> v = new ArrayList<>();
        if (out != null) {
            out.forEach(r -> v.add(new String(r.getValue().value, StandardCharsets.UTF_8)));
        }
        return v;
    }

    private static List<String> deadLetters(Iterable<StreamRecord<EventRow>> out) throws Exception {
        JsonEncoder enc = new JsonEncoder(DeadLetters.SCHEMA, "hash", "dead");
        List<String> v = new ArrayList<>();
        if (out != null) {
            for (StreamRecord<EventRow> r : out) {
                v.add(new String(enc.encode(r.getValue()), StandardCharsets.UTF_8));
            }
        }
        return v;
    }

    @Test
    void statelessRoutesRunHereWithTheKeyedStagesOutputsAndOnlyStatefulOnesAreForked()
            throws Exception {
        store.commit(V1, 0, "test", null);
        var fused = stage1(settings(null));
        var forking = stage1(null);
        var keyed = stage2();
        keyed.processBroadcastWatermark(Long.MAX_VALUE);
        for (StreamRecord<EventRow> e : orders()) {
            fused.processElement(e);
        }
        for (StreamRecord<EventRow> e : orders()) {
            forking.processElement(e);
        }

        // before: every matched event forked, every route run by the keyed stage
        List<String> forkedBefore = new ArrayList<>();
        for (RoutedEvent e : forking.extractOutputValues()) {
            forkedBefore.add(e.route());
            keyed.processElement(new StreamRecord<>(e, (Long) e.row().get(3)));
        }
        assertThat(forkedBefore).contains("big", "ids", "w");

        // now: only the window route is forked; the others' results are this stage's
        assertThat(fused.extractOutputValues())
                .extracting(RoutedEvent::route)
                .containsOnly("w")
                .hasSize((int) forkedBefore.stream().filter("w"::equals).count());
        assertThat(values(fused.getSideOutput(BIG)))
                .isNotEmpty()
                .containsExactlyElementsOf(values(keyed.getSideOutput(BIG)));
        assertThat(values(fused.getSideOutput(BIG)))
                .anySatisfy(
                        v -> {
                            JsonNode n = JSON.readTree(v);
                            assertThat(n.get("event_id").asText()).isEqualTo("e1");
                            assertThat(n.get("amount").asDouble()).isEqualTo(150.5);
                            assertThat(n.get("route").asText()).isEqualTo("big");
                            assertThat(n.get("config_version").asLong()).isEqualTo(1);
                        });
        // payload fields a route cannot read are the same dead letters in either composition
        assertThat(deadLetters(fused.getSideOutput(DeadLetters.TAG)))
                .hasSize(2)
                .containsExactlyElementsOf(deadLetters(forking.getSideOutput(DeadLetters.TAG)));
    }

    @Test
    void aThrowingStatelessRouteTripsTheBreakerOfThisTaskAndANewVersionResumesIt()
            throws Exception {
        store.commit(FAULTY, 0, "test", null);
        var h = stage1(settings("stats"));
        for (int i = 1; i <= 5; i++) {
            h.processElement(order("e" + i, "acme", i * 1000L, "{\"amount\":" + i + "}"));
        }
        assertThat(h.extractOutputValues()).isEmpty();
        List<JsonNode> dead = new ArrayList<>();
        for (String d : deadLetters(h.getSideOutput(DeadLetters.TAG))) {
            dead.add(JSON.readTree(d));
        }
        assertThat(dead)
                .extracting(n -> n.get("reason").asText())
                .containsExactly(
                        "processor-error",
                        "processor-error",
                        "processor-error",
                        "route-suspended",
                        "route-suspended");
        assertThat(dead)
                .allSatisfy(
                        n -> {
                            assertThat(n.get("step").asText())
                                    .isEqualTo("shop.routes.boom (explode-stateless)");
                            assertThat(n.get("config_version").asLong()).isEqualTo(1);
                            assertThat(n.get("payload").asText()).startsWith("{\"event_id\":\"e");
                        });
        assertThat(dead.get(0).get("message").asText())
                .contains("processor 'explode-stateless' of route 'boom' failed")
                .contains("boom on e1");
        assertThat(values(h.getSideOutput(STATS)))
                .singleElement()
                .satisfies(
                        a -> {
                            JsonNode n = JSON.readTree(a);
                            assertThat(n.get("alert").asText()).isEqualTo("route-suspended");
                            assertThat(n.get("route").asText()).isEqualTo("boom");
                            assertThat(n.get("failures").asLong()).isEqualTo(3);
                            assertThat(n.get("config_version").asLong()).isEqualTo(1);
                        });

        String fixed =
                FAULTY.replace(
                        "processor: explode-stateless",
                        "processor: filter\n    params: {condition: \"amount > 0.0\"}");
        long v = store.commit(fixed, 1, "test", null).number();
        h.processBroadcastElement(new StreamRecord<>(new ConfigUpdate(v, fixed, "test", 0L), 0L));
        h.processElement(order("e6", "acme", 6_000, "{\"amount\":6}"));
        assertThat(values(h.getSideOutput(BIG)))
                .singleElement()
                .satisfies(
                        r ->
                                assertThat(JSON.readTree(r).get("config_version").asLong())
                                        .isEqualTo(2));
        assertThat(h.getSideOutput(DeadLetters.TAG)).hasSize(5);
    }

    @Test
    void aLogicThatDoesNotSayItIsStatelessIsStillForked() throws Exception {
        store.commit(FAULTY.replace("explode-stateless", "explode"), 0, "test", null);
        var h = stage1(settings(null));
        h.processElement(order("e1", "acme", 1_000, "{\"amount\":1}"));
        assertThat(h.extractOutputValues()).extracting(RoutedEvent::route).containsExactly("boom");
        assertThat(h.getSideOutput(DeadLetters.TAG)).isNullOrEmpty();
    }
}
