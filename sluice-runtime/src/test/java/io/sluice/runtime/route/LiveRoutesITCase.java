package io.sluice.runtime.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.RejectedException;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A running job whose routes change mid-stream. The test feeds events in phases and changes the
 * config between them; every output record is compared with a reference computed here, which
 * applies to each event the version stamped on it (read from a route that emits every event), so
 * the comparison holds however fast a version reaches each task.
 */
class LiveRoutesITCase {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    @TempDir Path dir;
    private ConfigStore store;
    private JobClient job;
    private int events;

    static final String SPEC =
            """
            name: live
            sources:
              - id: events
                type: file
                path: unused.jsonl
                format: json
                fields:
                  - {name: event_id, type: string}
                  - {name: event_type, type: string}
                  - {name: domain, type: string}
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: payload, type: json}
                event-time: {field: event_time, max-out-of-orderness: 30m}
            sinks:
              - {id: seen, type: console}
              - {id: big, type: console}
              - {id: stats, type: console}
              - {id: vip, type: console}
              - {id: unrouted, type: console}
              - {id: alerts, type: console}
              - {id: dead, type: console}
            pipelines:
              - id: shop
                source: events
                dead-letters: dead
                routes:
                  store: STORE
                  outputs: [seen, big, stats, vip]
                  unrouted: unrouted
                  alerts: alerts
                  breaker: {failures: 3, within: 1m}
            """;

    static final String V1 =
            """
            routes:
              - id: seen
                event-types: [order_created, ping]
                priority: 100
                processor: project
                params: {fields: [event_id]}
                outputs: [seen]
              - id: big
                event-types: [order_created]
                fields: [{name: amount, type: double}]
                processor: filter
                params: {condition: "amount > 100.0"}
                outputs: [big]
              - id: stats
                event-types: [order_created]
                fields: [{name: amount, type: double}]
                key: [tenant_id]
                processor: window-aggregate
                params:
                  window: {type: tumbling, size: 1m}
                  aggregates:
                    - {name: n, fn: count}
                    - {name: total, fn: sum, field: amount}
                outputs: [stats]
            """;

    /** Higher threshold, one more aggregate, and globex events taken by a stopping route. */
    static final String V2 =
            V1.replace("amount > 100.0", "amount > 150.0")
                            .replace(
                                    "- {name: total, fn: sum, field: amount}",
                                    "- {name: total, fn: sum, field: amount}\n"
                                            + "        - {name: top, fn: max, field: amount}")
                    + """
                      - id: vip
                        event-types: [order_created]
                        tenant: globex
                        priority: 50
                        stop: true
                        processor: emit
                        outputs: [vip]
                    """;

    @BeforeEach
    void reset() {
        GatedConnectors.reset();
        events = 0;
    }

    /** Where the job's routes are kept: a folder, or a fresh database on a real server. */
    static List<String> stores() {
        return List.of("file", "mariadb", "postgresql");
    }

    private String storeUri(String kind) {
        if (kind.equals("file")) {
            return dir.resolve("config").toString();
        }
        EmbeddedDatabase db =
                (kind.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        return db.jdbcUrl() + "?user=" + db.user() + "&password=" + db.password();
    }

    private void start(String routes) throws Exception {
        start(routes, "file");
    }

    private void start(String routes, String storeKind) throws Exception {
        String uri = storeUri(storeKind);
        Spec spec =
                new SpecLoader(PluginRegistry.load(), n -> null)
                        .load("live.yaml", SPEC.replace("STORE", uri));
        RouteCatalog catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        RoutesLoader loader = new RoutesLoader(PluginRegistry.load());
        store =
                ConfigStores.open(
                        StoreLocation.parse(uri), (f, t) -> loader.validate(f, t, catalog));
        store.commit(routes, 0, "test", "first");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir), new GatedConnectors())
                .compose(spec, env);
        job = env.executeAsync("live");
    }

    @AfterEach
    void stop() throws Exception {
        if (job != null) {
            job.cancel().get();
            // until it has stopped: its config-store reader must not write into the temporary
            // folder while JUnit deletes it
            JobClient stopping = job;
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> stopping.getJobStatus().get().isGloballyTerminalState());
            job = null;
        }
        if (store != null) {
            store.close();
        }
    }

    @ParameterizedTest(name = "routes in a {0} store")
    @MethodSource("stores")
    void everyOutputFollowsTheVersionStampedOnItAcrossChangesAndRollback(String storeKind)
            throws Exception {
        start(V1, storeKind);
        // phase 1 (version 1): minutes 0-1, and the first event of minute 2's window
        List<Event> phase1 = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            phase1.add(order(i % 3 == 0 ? "globex" : "acme", 10 * i, 60.0 + 10 * i));
        }
        phase1.add(order("acme", 130, 200.0));
        phase1.add(order("globex", 135, 300.0));
        feed(phase1);
        awaitSeen(phase1.size());

        // a rejected version never reaches the job
        assertThatThrownBy(() -> store.commit(V1.replace("filter", "fitler"), 1, "test", "typo"))
                .isInstanceOf(RejectedException.class)
                .hasMessageContaining("routes[1].processor");
        assertThat(store.latest()).isEqualTo(1);

        store.commit(V2, 1, "test", "stricter");
        awaitVersionEverywhere(2);
        // phase 2: more events in minute 2 (its window opened under version 1), then minute 3
        List<Event> phase2 = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            phase2.add(order(i % 2 == 0 ? "globex" : "acme", 140 + 5 * i, 100.0 + 20 * i));
        }
        feed(phase2);
        awaitSeen(phase1.size() + phase2.size());

        store.rollback(1, 2, "test", null);
        awaitVersionEverywhere(3);
        List<Event> phase3 = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            phase3.add(order(i % 2 == 0 ? "globex" : "acme", 250 + 10 * i, 90.0 + 15 * i));
        }
        phase3.add(new Event("r-1", "refund", "acme", 300, 10.0));
        feed(phase3);
        // far-future events (one per decode task) fire every window
        List<Event> flush = List.of(order("acme", 7200, 1.0), order("acme", 7201, 1.0));
        feed(flush);

        List<Event> all = new ArrayList<>(phase1);
        all.addAll(phase2);
        all.addAll(phase3);
        awaitSeen(all.size() - 1 + flush.size()); // all but the refund
        Map<String, Long> stamp = stamps();
        assertThat(stamp.keySet())
                .containsAll(
                        all.stream()
                                .filter(e -> e.type.equals("order_created"))
                                .map(e -> e.id)
                                .toList());

        // big: the filter of each event's version
        List<String> expectedBig = new ArrayList<>();
        List<String> expectedVip = new ArrayList<>();
        for (Event e : all) {
            if (!e.type.equals("order_created")) {
                continue;
            }
            long v = stamp.get(e.id);
            if (v == 2 && e.tenant.equals("globex")) {
                expectedVip.add(e.id + "@2");
            } else if (e.amount > (v == 2 ? 150.0 : 100.0)) {
                expectedBig.add(e.id + "@" + v);
            }
        }
        awaitRecords("big", expectedBig.size());
        assertThat(idsAtVersion("big")).containsExactlyInAnyOrderElementsOf(expectedBig);
        assertThat(idsAtVersion("vip")).containsExactlyInAnyOrderElementsOf(expectedVip);

        // stats: windows opened under a version keep its aggregates, whatever version adds to them.
        // The version that opens a window is that of the first of its events to reach the keyed
        // stage; events of one key pass the routing stage's two tasks, so an event stamped later
        // may overtake one stamped earlier on the way there: a window whose events carry several
        // versions may have been opened by any of them (with that version's aggregates)
        Map<String, Window> windows = new TreeMap<>();
        for (Event e : all) {
            if (!e.type.equals("order_created")) {
                continue;
            }
            long v = stamp.get(e.id);
            if (v == 2 && e.tenant.equals("globex")) {
                continue; // taken by the stopping vip route
            }
            long start = e.second / 60 * 60;
            Window w =
                    windows.computeIfAbsent(
                            e.tenant + "@" + start, k -> new Window(e.tenant, start, v));
            w.opened = Math.min(w.opened, v);
            w.versions.add(v);
            w.n++;
            w.total += e.amount;
            w.top = Math.max(w.top, e.amount);
        }
        Map<String, List<String>> expectedStats = new TreeMap<>();
        for (Window w : windows.values()) {
            List<String> candidates = new ArrayList<>();
            for (long v : w.versions) {
                w.opened = v;
                candidates.add(w.render());
            }
            expectedStats.put(w.tenant + " " + Instant.ofEpochSecond(w.start), candidates);
        }
        assertThat(windows.values().stream().filter(w -> w.versions.size() > 1))
                .as("a window whose events carry two versions")
                .isNotEmpty();
        awaitRecords("stats", expectedStats.size());
        Map<String, String> actualStats = new TreeMap<>();
        for (String line : GatedConnectors.out("stats")) {
            JsonNode n = JSON.readTree(line);
            if (n.get("window_start").asText().startsWith("1970-01-01T02")) {
                continue; // the flush events' own window
            }
            String window = n.get("tenant_id").asText() + " " + n.get("window_start").asText();
            assertThat(actualStats.put(window, Window.render(n)))
                    .as("fired twice: " + window)
                    .isNull();
        }
        assertThat(actualStats.keySet()).isEqualTo(expectedStats.keySet());
        actualStats.forEach(
                (window, line) -> assertThat(expectedStats.get(window)).as(window).contains(line));

        // the refund matched no route: unrouted, stamped with version 3
        assertThat(GatedConnectors.out("unrouted"))
                .singleElement()
                .satisfies(
                        l ->
                                assertThat(JSON.readTree(l).get("config_version").asLong())
                                        .isEqualTo(3));
        assertThat(GatedConnectors.out("dead")).isEmpty();
    }

    static final String FAULTY =
            """
            routes:
              - id: seen
                event-types: [order_created, ping]
                priority: 100
                processor: project
                params: {fields: [event_id]}
                outputs: [seen]
              - id: boom
                event-types: [order_created]
                fields: [{name: amount, type: double}]
                processor: explode
                outputs: [big]
            """;

    @Test
    void aThrowingRouteIsIsolatedSuspendedAndResumedByANewVersion() throws Exception {
        start(FAULTY);
        List<Event> first = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            first.add(order("acme", i, 10.0 + i));
        }
        feed(first);
        awaitSeen(10);
        awaitRecords("dead", 10);
        List<JsonNode> dead = new ArrayList<>();
        for (String l : GatedConnectors.out("dead")) {
            dead.add(JSON.readTree(l));
        }
        // the route's one key lives on one task: 3 failures trip its breaker, the rest wait
        assertThat(dead)
                .extracting(n -> n.get("reason").asText())
                .containsExactlyInAnyOrder(
                        "processor-error",
                        "processor-error",
                        "processor-error",
                        "route-suspended",
                        "route-suspended",
                        "route-suspended",
                        "route-suspended",
                        "route-suspended",
                        "route-suspended",
                        "route-suspended");
        assertThat(dead)
                .allSatisfy(
                        n -> {
                            assertThat(n.get("step").asText()).contains("boom");
                            assertThat(n.get("config_version").asLong()).isEqualTo(1);
                            assertThat(n.get("payload").asText()).contains("\"event_id\":\"e-");
                        });
        assertThat(dead.stream().filter(n -> n.get("reason").asText().equals("processor-error")))
                .allSatisfy(
                        n ->
                                assertThat(n.get("message").asText())
                                        .contains("processor 'explode' of route 'boom' failed")
                                        .contains("boom on e-"));
        assertThat(GatedConnectors.out("alerts"))
                .singleElement()
                .satisfies(
                        l -> {
                            JsonNode a = JSON.readTree(l);
                            assertThat(a.get("alert").asText()).isEqualTo("route-suspended");
                            assertThat(a.get("route").asText()).isEqualTo("boom");
                            assertThat(a.get("failures").asLong()).isEqualTo(3);
                        });
        assertThat(GatedConnectors.out("big")).isEmpty();

        // a version that changes the route resumes it
        store.commit(
                FAULTY.replace(
                        "processor: explode",
                        "processor: filter\n    params: {condition: \"amount > 0.0\"}"),
                1,
                "test",
                "fixed");
        awaitVersionEverywhere(2);
        List<Event> second = List.of(order("acme", 20, 1.0), order("globex", 21, 2.0));
        feed(second);
        awaitRecords("big", 2);
        assertThat(idsAtVersion("big")).containsExactlyInAnyOrder("e-11@2", "e-12@2");
        assertThat(GatedConnectors.out("dead")).hasSize(10);
    }

    /** An event: id, type, tenant, event time in seconds after the epoch, amount. */
    record Event(String id, String type, String tenant, long second, double amount) {
        String json() {
            return "{\"event_id\":\""
                    + id
                    + "\",\"event_type\":\""
                    + type
                    + "\",\"domain\":\"shop\",\"tenant_id\":\""
                    + tenant
                    + "\",\"scenario_id\":\"web\",\"event_time\":\""
                    + Instant.ofEpochSecond(second)
                    + "\",\"payload\":{\"amount\":"
                    + amount
                    + "}}";
        }
    }

    static final class Window {
        final String tenant;
        final long start;
        long opened;
        final java.util.TreeSet<Long> versions = new java.util.TreeSet<>();
        long n;
        double total;
        double top = Double.NEGATIVE_INFINITY;

        Window(String tenant, long start, long opened) {
            this.tenant = tenant;
            this.start = start;
            this.opened = opened;
        }

        String render() {
            return tenant
                    + " "
                    + Instant.ofEpochSecond(start)
                    + " n="
                    + n
                    + " total="
                    + total
                    + (opened == 2 ? " top=" + top : "")
                    + " @"
                    + opened;
        }

        static String render(JsonNode n) {
            return n.get("tenant_id").asText()
                    + " "
                    + n.get("window_start").asText()
                    + " n="
                    + n.get("n").asLong()
                    + " total="
                    + n.get("total").asDouble()
                    + (n.has("top") ? " top=" + n.get("top").asDouble() : "")
                    + " @"
                    + n.get("config_version").asLong();
        }
    }

    private Event order(String tenant, long second, double amount) {
        return new Event("e-" + (++events), "order_created", tenant, second, amount);
    }

    private static void feed(List<Event> events) {
        events.forEach(e -> GatedConnectors.LINES.add(e.json()));
    }

    private static void awaitSeen(int n) {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> GatedConnectors.out("seen").stream().filter(notPing()).count() >= n);
    }

    private static Predicate<String> notPing() {
        return l -> !l.contains("\"ping-");
    }

    private static void awaitRecords(String sink, int n) {
        await().atMost(Duration.ofSeconds(60)).until(() -> GatedConnectors.out(sink).size() >= n);
    }

    /**
     * Pings until four in a row come back stamped {@code version}: the source deals lines to the
     * two routing tasks in turn, so both have it.
     */
    private void awaitVersionEverywhere(long version) {
        int[] inRow = {0};
        int[] pings = {0};
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> {
                            String id = "ping-" + version + "-" + (++pings[0]);
                            GatedConnectors.LINES.add(new Event(id, "ping", "acme", 0, 0).json());
                            await().atMost(Duration.ofSeconds(10)).until(() -> stampOf(id) != null);
                            inRow[0] = stampOf(id) == version ? inRow[0] + 1 : 0;
                            return inRow[0] >= 4;
                        });
    }

    private static Long stampOf(String id) throws Exception {
        for (String l : GatedConnectors.out("seen")) {
            JsonNode n = JSON.readTree(l);
            if (n.get("event_id").asText().equals(id)) {
                return n.get("config_version").asLong();
            }
        }
        return null;
    }

    private static Map<String, Long> stamps() throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (String l : GatedConnectors.out("seen")) {
            JsonNode n = JSON.readTree(l);
            out.put(n.get("event_id").asText(), n.get("config_version").asLong());
        }
        return out;
    }

    private static List<String> idsAtVersion(String sink) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : GatedConnectors.out(sink)) {
            JsonNode n = JSON.readTree(l);
            out.add(n.get("event_id").asText() + "@" + n.get("config_version").asLong());
        }
        return out;
    }
}
