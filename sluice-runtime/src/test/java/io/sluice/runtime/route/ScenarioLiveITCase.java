package io.sluice.runtime.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running job whose scenario params change mid-stream: one tenant's weights, decay and top N
 * change; windows opened before the change finish with the old params and say so, later ones use
 * the new; the other tenant's rankings stay exactly what its unchanged params give. Every ranking
 * is compared with a reference computed here with the params of the version stamped on it.
 */
class ScenarioLiveITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double HOUR = 3_600_000.0;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    @TempDir Path dir;
    private ConfigStore store;
    private JobClient job;

    static final String SPEC =
            """
            name: live-scenarios
            sources:
              - id: events
                type: file
                path: unused.jsonl
                format: json
                fields:
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: user_id, type: string}
                  - {name: item_id, type: string}
                  - {name: category_id, type: string}
                  - {name: action, type: string}
                  - {name: event_time, type: timestamp}
                event-time: {field: event_time, max-out-of-orderness: 1m}
            sinks:
              - {id: hot, type: console}
              - {id: unmatched, type: console}
              - {id: dead, type: console}
            pipelines:
              - id: rec
                source: events
                dead-letters: dead
                scenarios:
                  store: STORE
                  hot-items: [hot]
                  unmatched: unmatched
            """;

    static final String V1 =
            """
            scenarios:
              - tenant: acme
                scenario: feed
                hot-score: {window: {size: 10m, slide: 5m}, top-n: 3}
                user-profile: {enabled: false}
                metrics: {enabled: false}
              - tenant: globex
                scenario: feed
                hot-score: {window: {size: 10m, slide: 5m}, top-n: 3}
                user-profile: {enabled: false}
                metrics: {enabled: false}
            """;

    /** acme: views weigh 20, faster decay, top 2; globex as before. */
    static final String V2 =
            V1.replaceFirst(
                    "hot-score: \\{window: \\{size: 10m, slide: 5m}, top-n: 3}",
                    "hot-score: {weights: {view: 20}, decay-lambda: 1.0,"
                            + " window: {size: 10m, slide: 5m}, top-n: 2}");

    record Params(Map<String, Double> weights, double lambda, int topN) {}

    static final Map<String, Double> DEFAULT =
            Map.of(
                    "impression",
                    0.5,
                    "view",
                    1.0,
                    "click",
                    2.0,
                    "like",
                    3.0,
                    "favorite",
                    4.0,
                    "comment",
                    5.0,
                    "share",
                    6.0,
                    "purchase",
                    10.0);

    static Params params(String tenant, long version) {
        if (tenant.equals("acme") && version == 2) {
            Map<String, Double> w = new HashMap<>(DEFAULT);
            w.put("view", 20.0);
            return new Params(w, 1.0, 2);
        }
        return new Params(DEFAULT, 0.1, 3);
    }

    record Event(String tenant, String item, String action, long second) {
        String json() {
            return "{\"tenant_id\":\""
                    + tenant
                    + "\",\"scenario_id\":\"feed\",\"user_id\":\"u-1\",\"item_id\":\""
                    + item
                    + "\",\"category_id\":\"c-1\",\"action\":\""
                    + action
                    + "\",\"event_time\":\""
                    + Instant.ofEpochSecond(second)
                    + "\"}";
        }
    }

    static final String[] ACTIONS = {"view", "click", "purchase", "view", "like", "view"};

    /** Events of both tenants from {@code fromSecond}, every 7 s, over six items. */
    static List<Event> phase(int n, long fromSecond) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long s = fromSecond + 7L * i;
            out.add(new Event("acme", "i-" + (i * 5 % 6), ACTIONS[i % ACTIONS.length], s));
            out.add(new Event("globex", "i-" + (i * 7 % 6), ACTIONS[(i + 2) % 6], s + 1));
        }
        return out;
    }

    @AfterEach
    void stop() throws Exception {
        if (job != null) {
            job.cancel().get();
            // until it has stopped: its config-store reader must not write into the temporary
            // folder while JUnit deletes it
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> job.getJobStatus().get().isGloballyTerminalState());
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void openWindowsFinishWithTheirParamsAndOtherTenantsStayUnchanged() throws Exception {
        GatedConnectors.reset();
        String uri = dir.resolve("config").toString();
        Spec spec =
                new SpecLoader(PluginRegistry.load(), n -> null)
                        .load("live.yaml", SPEC.replace("STORE", uri));
        RouteCatalog catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        RoutesLoader loader = new RoutesLoader(PluginRegistry.load());
        store =
                ConfigStores.open(
                        StoreLocation.parse(uri), (f, t) -> loader.validate(f, t, catalog));
        store.commit(V1, 0, "test", "first");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir), new GatedConnectors())
                .compose(spec, env);
        job = env.executeAsync("live-scenarios");

        // phase 1 under version 1: minutes 0 to 7
        List<Event> all = new ArrayList<>(phase(64, 0));
        feed(all);
        // windows ending at 5m fired: the job has taken version 1's events
        await().atMost(Duration.ofSeconds(60)).until(() -> hot().size() >= 2);

        // one tenant's invalid scenario is rejected whole; nothing changes
        assertThatThrownBy(() -> store.commit(V1.replace("top-n: 3", "top-n: 0"), 1, "t", "bad"))
                .isInstanceOf(RejectedException.class)
                .hasMessageContaining("scenarios[0].hot-score.top-n: must be 1 to 10000");
        assertThat(store.latest()).isEqualTo(1);

        store.commit(V2, 1, "test", "acme: views count more");
        awaitVersionEverywhere(2);
        // phase 2: minutes 8 to 22 (the window [5m, 15m) opened under version 1)
        List<Event> phase2 = phase(128, 480);
        all.addAll(phase2);
        feed(phase2);
        // far-future events, one per source task, fire every window
        List<Event> flush =
                List.of(
                        new Event("acme", "i-0", "view", 20_000),
                        new Event("globex", "i-0", "view", 20_001));
        feed(flush);

        // windows ending at 5m .. 30m for both tenants
        await().atMost(Duration.ofSeconds(60)).until(() -> windows(hot()).size() >= 12);
        Map<String, List<JsonNode>> byWindow = windows(hot());
        int[] versions = new int[3];
        for (Map.Entry<String, List<JsonNode>> w : byWindow.entrySet()) {
            String tenant = w.getKey().split(" ")[0];
            long end = Instant.parse(w.getKey().split(" ")[1]).toEpochMilli();
            long version = w.getValue().get(0).get("config_version").asLong();
            assertThat(w.getValue()).allMatch(n -> n.get("config_version").asLong() == version);
            if (tenant.equals("acme")) {
                versions[(int) version]++;
            }
            assertRanking(w.getKey(), w.getValue(), reference(all, tenant, end, version));
        }
        // acme: windows up to [5m, 15m) opened under version 1, from [10m, 20m) under version 2
        assertThat(versions[1]).isEqualTo(3);
        assertThat(versions[2]).isGreaterThanOrEqualTo(3);
        assertThat(byWindow.get("acme 1970-01-01T00:15:00Z").get(0).get("config_version").asLong())
                .isEqualTo(1);
        assertThat(byWindow.get("acme 1970-01-01T00:20:00Z").get(0).get("config_version").asLong())
                .isEqualTo(2);
        assertThat(GatedConnectors.out("dead")).isEmpty();
    }

    private static void assertRanking(String window, List<JsonNode> rows, List<double[]> ref) {
        rows.sort(Comparator.comparingLong(n -> n.get("rank").asLong()));
        assertThat(rows).as(window).hasSize(ref.size());
        for (int r = 0; r < rows.size(); r++) {
            assertThat(rows.get(r).get("item_id").asText())
                    .as(window + " rank " + (r + 1))
                    .isEqualTo("i-" + (int) ref.get(r)[0]);
            assertThat(rows.get(r).get("score").asDouble())
                    .isCloseTo(ref.get(r)[1], within(1e-9 * Math.max(1, ref.get(r)[1])));
        }
    }

    /** [item number, score] of the top N in window (end − 10m, end) under {@code version}. */
    static List<double[]> reference(List<Event> events, String tenant, long end, long version) {
        Params p = params(tenant, version);
        Map<Integer, Double> score = new TreeMap<>();
        for (Event e : events) {
            long t = e.second() * 1000;
            if (e.tenant().equals(tenant) && t >= end - 600_000 && t < end) {
                double w = p.weights().getOrDefault(e.action(), 0.0);
                score.merge(
                        Integer.parseInt(e.item().substring(2)),
                        w * Math.exp(-p.lambda() * (end - t) / HOUR),
                        Double::sum);
            }
        }
        List<double[]> ranked = new ArrayList<>();
        score.forEach((item, s) -> ranked.add(new double[] {item, s}));
        ranked.sort(
                Comparator.comparingDouble((double[] a) -> -a[1]).thenComparingDouble(a -> a[0]));
        return ranked.subList(0, Math.min(p.topN(), ranked.size()));
    }

    private static List<JsonNode> hot() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : GatedConnectors.out("hot")) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    /** Rankings by "tenant window_end", those before the far-future flush only. */
    private static Map<String, List<JsonNode>> windows(List<JsonNode> rows) {
        Map<String, List<JsonNode>> out = new TreeMap<>();
        for (JsonNode n : rows) {
            if (Instant.parse(n.get("window_end").asText()).getEpochSecond() > 10_000) {
                continue;
            }
            out.computeIfAbsent(
                            n.get("tenant").asText() + " " + n.get("window_end").asText(),
                            k -> new ArrayList<>())
                    .add(n);
        }
        return out;
    }

    private static void feed(List<Event> events) {
        events.forEach(e -> GatedConnectors.LINES.add(e.json()));
    }

    /**
     * Pings (events of a tenant without scenarios) until four in a row come back unmatched stamped
     * {@code version}: the source deals lines to the matching tasks in turn, so both have it.
     */
    private void awaitVersionEverywhere(long version) {
        int[] inRow = {0};
        int[] pings = {0};
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> {
                            String id = "ping-" + version + "-" + (++pings[0]);
                            GatedConnectors.LINES.add(new Event("nobody", id, "view", 0).json());
                            await().atMost(Duration.ofSeconds(10)).until(() -> stampOf(id) != null);
                            inRow[0] = stampOf(id) == version ? inRow[0] + 1 : 0;
                            return inRow[0] >= 4;
                        });
    }

    private static Long stampOf(String item) throws Exception {
        for (String l : GatedConnectors.out("unmatched")) {
            JsonNode n = JSON.readTree(l);
            if (n.get("item_id").asText().equals(item)) {
                return n.get("config_version").asLong();
            }
        }
        return null;
    }
}
