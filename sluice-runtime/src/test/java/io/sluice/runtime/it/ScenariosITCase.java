package io.sluice.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.source.BehaviourEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recommendation scenarios on 30,000 generated behaviour events of three tenants, checked against a
 * brute-force reference computed here from the input lines: every hot item ranking (scores to a
 * relative 1e-9), every profile update and every metrics window, per scenario with its own params;
 * a disabled scenario's events are unmatched and a disabled part emits nothing.
 */
class ScenariosITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int EVENTS = 30_000;
    static final long START = Instant.parse("2024-03-01T00:00:00Z").toEpochMilli();
    static final double HOUR = 3_600_000.0;

    /** The defaults, written out here rather than taken from the code under test. */
    static final Map<String, Double> HOT_DEFAULT =
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

    static final Map<String, Double> PROFILE_DEFAULT =
            Map.of("view", 1.0, "like", 3.0, "favorite", 5.0, "purchase", 10.0);

    static final String CONFIG =
            """
            description: scenarios under test
            scenarios:
              - tenant: acme
                scenario: feed
              - tenant: acme
                scenario: video
                hot-score:
                  weights: {view: 2.5, cart: 1}
                  decay-lambda: 1.5
                  window: {size: 20m, slide: 5m}
                  top-n: 5
                user-profile:
                  update-interval: 10m
                  interest-half-life: 1h
                  top-categories: 3
              - tenant: globex
                scenario: feed
                hot-score: {enabled: false}
                metrics:
                  window: {size: 15m}
                  measures: [ctr]
              - tenant: globex
                scenario: video
                user-profile: {enabled: false}
                metrics: {enabled: false}
              - tenant: initech
                scenario: feed
                enabled: false
              - tenant: initech
                scenario: video
                hot-score: {top-n: 1}
            """;

    static final String SPEC =
            """
            name: recommend
            runtime:
              parallelism: 2
            sources:
              - id: actions
                type: file
                path: events.jsonl
                format: json
                fields:
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: user_id, type: string}
                  - {name: item_id, type: string}
                  - {name: category_id, type: string}
                  - {name: action, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: watch_time_ms, type: long}
                event-time:
                  field: event_time
                  max-out-of-orderness: 5s
            sinks:
              - {id: hot-items, type: file}
              - {id: profiles, type: file}
              - {id: scenario-metrics, type: file}
              - {id: unmatched, type: file}
              - {id: dead-letters, type: file}
            pipelines:
              - id: recommend
                source: actions
                dead-letters: dead-letters
                steps:
                  - id: valid-action
                    processor: validate
                    required: [tenant_id, scenario_id, user_id, item_id, category_id, action]
                scenarios:
                  store: config
                  hot-items: [hot-items]
                  profiles: [profiles]
                  metrics: [scenario-metrics]
                  unmatched: unmatched
            """;

    /** Per scenario key: hot params (weights, λ, size, slide, top N) or null when off. */
    record Hot(Map<String, Double> weights, double lambda, long size, long slide, int topN) {}

    record Profile(Map<String, Double> weights, long halfLife, long interval, int top) {}

    record Metrics(long size, boolean ctr, boolean cvr, boolean watch) {}

    record Event(
            String tenant,
            String scenario,
            String user,
            String item,
            String category,
            String action,
            long time,
            Long watch) {
        String key() {
            return tenant + "/" + scenario;
        }
    }

    static final Map<String, Hot> HOT = new HashMap<>();
    static final Map<String, Profile> PROFILE = new HashMap<>();
    static final Map<String, Metrics> METRICS = new HashMap<>();

    static {
        Hot hotDefault = new Hot(HOT_DEFAULT, 0.1, 3_600_000, 900_000, 100);
        Profile profileDefault = new Profile(PROFILE_DEFAULT, 30 * 24 * 3_600_000L, 300_000, 20);
        Metrics metricsDefault = new Metrics(1_800_000, true, true, true);
        Map<String, Double> acmeVideo = new HashMap<>(HOT_DEFAULT);
        acmeVideo.put("view", 2.5);
        acmeVideo.put("cart", 1.0);
        HOT.put("acme/feed", hotDefault);
        HOT.put("acme/video", new Hot(acmeVideo, 1.5, 1_200_000, 300_000, 5));
        HOT.put("globex/video", hotDefault);
        HOT.put("initech/video", new Hot(HOT_DEFAULT, 0.1, 3_600_000, 900_000, 1));
        PROFILE.put("acme/feed", profileDefault);
        PROFILE.put("acme/video", new Profile(PROFILE_DEFAULT, 3_600_000, 600_000, 3));
        PROFILE.put("globex/feed", profileDefault);
        PROFILE.put("initech/video", profileDefault);
        METRICS.put("acme/feed", metricsDefault);
        METRICS.put("acme/video", metricsDefault);
        METRICS.put("globex/feed", new Metrics(900_000, true, false, false));
        METRICS.put("initech/video", metricsDefault);
    }

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;
    static List<Event> events;

    @BeforeAll
    static void runJob() throws Exception {
        BehaviourEvents gen = new BehaviourEvents(7, START, 200, 0);
        Files.createDirectories(dir.resolve("config"));
        events = new ArrayList<>();
        try (OutputStream out = Files.newOutputStream(dir.resolve("events.jsonl"))) {
            for (int i = 0; i < EVENTS; i++) {
                byte[] line = gen.line(i);
                out.write(line);
                out.write('\n');
                JsonNode n = JSON.readTree(line);
                events.add(
                        new Event(
                                n.get("tenant_id").asText(),
                                n.get("scenario_id").asText(),
                                n.get("user_id").asText(),
                                n.get("item_id").asText(),
                                n.get("category_id").asText(),
                                n.get("action").asText(),
                                Instant.parse(n.get("event_time").asText()).toEpochMilli(),
                                n.has("watch_time_ms") ? n.get("watch_time_ms").asLong() : null));
            }
        }
        Files.writeString(dir.resolve("config/routes.yaml"), CONFIG);
        Files.writeString(dir.resolve("recommend.yaml"), SPEC);
        FileSourceITCase.run(
                new SpecLoader(PluginRegistry.load()).load(dir.resolve("recommend.yaml")),
                dir,
                dir.resolve("out"));
    }

    @Test
    void everyRankingIsTheTopNOfTheReferenceScores() throws IOException {
        Map<String, List<JsonNode>> byWindow = new TreeMap<>();
        for (JsonNode n : read("hot-items")) {
            assertThat(n.get("config_version").asLong()).isEqualTo(1);
            byWindow.computeIfAbsent(
                            n.get("tenant").asText()
                                    + "/"
                                    + n.get("scenario").asText()
                                    + " "
                                    + n.get("window_end").asText(),
                            k -> new ArrayList<>())
                    .add(n);
        }
        Map<String, Map<String, double[]>> reference = hotReference();
        assertThat(byWindow.keySet()).isEqualTo(reference.keySet());
        int checked = 0;
        for (Map.Entry<String, Map<String, double[]>> w : reference.entrySet()) {
            String key = w.getKey().substring(0, w.getKey().indexOf(' '));
            Map<String, double[]> items = w.getValue();
            List<Map.Entry<String, double[]>> ranked = new ArrayList<>(items.entrySet());
            ranked.sort(
                    Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[0])
                            .thenComparing(Map.Entry::getKey));
            List<JsonNode> rows = new ArrayList<>(byWindow.get(w.getKey()));
            rows.sort(Comparator.comparingLong(n -> n.get("rank").asLong()));
            assertThat(rows).hasSize(Math.min(HOT.get(key).topN(), items.size()));
            for (int r = 0; r < rows.size(); r++) {
                JsonNode row = rows.get(r);
                assertThat(row.get("rank").asLong()).isEqualTo(r + 1);
                double[] ref = items.get(row.get("item_id").asText());
                double expected = ranked.get(r).getValue()[0];
                // the r-th item has the r-th best score (near-ties may swap), computed exactly
                assertThat(ref).as("%s rank %d", w.getKey(), r + 1).isNotNull();
                assertThat(ref[0]).isCloseTo(expected, within(1e-9 * Math.max(1, expected)));
                assertThat(row.get("score").asDouble())
                        .isCloseTo(ref[0], within(1e-9 * Math.max(1, ref[0])));
                assertThat(row.get("events").asLong()).isEqualTo((long) ref[1]);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(500);
    }

    /** Per "tenant/scenario window_end": item → [score, events], over every window with events. */
    static Map<String, Map<String, double[]>> hotReference() {
        Map<String, Map<String, double[]>> out = new TreeMap<>();
        for (Event e : events) {
            Hot h = HOT.get(e.key());
            if (h == null) {
                continue;
            }
            long firstEnd = e.time() - Math.floorMod(e.time(), h.slide()) + h.slide();
            for (long end = firstEnd; end - h.size() <= e.time(); end += h.slide()) {
                double w = h.weights().getOrDefault(e.action(), 0.0);
                double score = w * Math.exp(-h.lambda() * (end - e.time()) / HOUR);
                double[] acc =
                        out.computeIfAbsent(
                                        e.key() + " " + Instant.ofEpochMilli(end),
                                        k -> new HashMap<>())
                                .computeIfAbsent(e.item(), k -> new double[2]);
                acc[0] += score;
                acc[1]++;
            }
        }
        return out;
    }

    @Test
    void everyMetricsWindowMatchesCountsTakenFromTheEvents() throws IOException {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, double[]> watch = new HashMap<>();
        for (Event e : events) {
            Metrics m = METRICS.get(e.key());
            if (m == null) {
                continue;
            }
            long end = e.time() - Math.floorMod(e.time(), m.size()) + m.size();
            String k = e.key() + " " + Instant.ofEpochMilli(end);
            long[] c = counts.computeIfAbsent(k, x -> new long[5]);
            c[0]++;
            switch (e.action()) {
                case "impression" -> c[1]++;
                case "view" -> c[2]++;
                case "click" -> c[3]++;
                case "purchase" -> c[4]++;
                default -> {}
            }
            if (e.watch() != null) {
                double[] w = watch.computeIfAbsent(k, x -> new double[2]);
                w[0] += e.watch();
                w[1]++;
            }
        }
        List<JsonNode> rows = read("scenario-metrics");
        assertThat(rows).hasSize(counts.size());
        for (JsonNode n : rows) {
            String key = n.get("tenant").asText() + "/" + n.get("scenario").asText();
            String k = key + " " + n.get("window_end").asText();
            long[] c = counts.get(k);
            Metrics m = METRICS.get(key);
            assertThat(c).as(k).isNotNull();
            assertThat(
                            new long[] {
                                n.get("events").asLong(),
                                n.get("impressions").asLong(),
                                n.get("views").asLong(),
                                n.get("clicks").asLong(),
                                n.get("purchases").asLong()
                            })
                    .as(k)
                    .containsExactly(c);
            assertRatio(n, "ctr", m.ctr() && c[1] > 0 ? (double) c[3] / c[1] : null);
            assertRatio(n, "cvr", m.cvr() && c[3] > 0 ? (double) c[4] / c[3] : null);
            double[] w = watch.get(k);
            assertRatio(n, "avg_watch_time", m.watch() && w != null ? w[0] / w[1] : null);
        }
    }

    private static void assertRatio(JsonNode n, String field, Double expected) {
        if (expected == null) {
            assertThat(n.get(field).isNull()).as(field + " of " + n).isTrue();
        } else {
            assertThat(n.get(field).asDouble()).isCloseTo(expected, within(1e-12 * expected));
        }
    }

    @Test
    void everyProfileUpdateHoldsTheTopCategoriesOfAllEventsSoFar() throws IOException {
        Map<String, List<Event>> byUser = new HashMap<>();
        for (Event e : events) {
            if (PROFILE.containsKey(e.key())) {
                byUser.computeIfAbsent(e.key() + "/" + e.user(), k -> new ArrayList<>()).add(e);
            }
        }
        Map<String, JsonNode> actual = new HashMap<>();
        for (JsonNode n : read("profiles")) {
            String k =
                    n.get("tenant").asText()
                            + "/"
                            + n.get("scenario").asText()
                            + "/"
                            + n.get("user_id").asText()
                            + " "
                            + n.get("updated_at").asText();
            assertThat(actual.put(k, n)).as("one update per user and bucket: " + k).isNull();
        }
        int expectedUpdates = 0;
        for (Map.Entry<String, List<Event>> u : byUser.entrySet()) {
            Profile p = PROFILE.get(u.getKey().substring(0, u.getKey().lastIndexOf('/')));
            TreeSet<Long> ends = new TreeSet<>();
            for (Event e : u.getValue()) {
                ends.add(e.time() - Math.floorMod(e.time(), p.interval()) + p.interval());
            }
            for (long end : ends) {
                expectedUpdates++;
                Map<String, Double> interest = new TreeMap<>();
                long count = 0;
                for (Event e : u.getValue()) {
                    if (e.time() >= end) {
                        continue;
                    }
                    count++;
                    double w = p.weights().getOrDefault(e.action(), 0.0);
                    if (w > 0) {
                        interest.merge(
                                e.category(),
                                w * Math.pow(2, -(double) (end - e.time()) / p.halfLife()),
                                Double::sum);
                    }
                }
                String k = u.getKey() + " " + Instant.ofEpochMilli(end);
                JsonNode row = actual.get(k);
                assertThat(row).as(k).isNotNull();
                assertThat(row.get("events").asLong()).as(k).isEqualTo(count);
                List<Map.Entry<String, Double>> ranked = new ArrayList<>(interest.entrySet());
                ranked.sort(
                        Comparator.comparingDouble((Map.Entry<String, Double> e) -> -e.getValue())
                                .thenComparing(Map.Entry::getKey));
                JsonNode cats = row.get("categories");
                assertThat(cats.size()).as(k).isEqualTo(Math.min(p.top(), ranked.size()));
                for (int i = 0; i < cats.size(); i++) {
                    String c = cats.get(i).get("category_id").asText();
                    double expected = ranked.get(i).getValue();
                    assertThat(interest.get(c)).as(k + " " + c).isNotNull();
                    assertThat(interest.get(c)).isCloseTo(expected, within(1e-9 * expected));
                    assertThat(cats.get(i).get("interest").asDouble())
                            .isCloseTo(interest.get(c), within(1e-9 * expected));
                }
            }
        }
        assertThat(actual).hasSize(expectedUpdates);
    }

    @Test
    void aDisabledScenarioIsUnmatchedAndNothingIsLost() throws IOException {
        long disabled = events.stream().filter(e -> e.key().equals("initech/feed")).count();
        assertThat(read("unmatched")).hasSize((int) disabled);
        assertThat(read("dead-letters")).isEmpty();
        assertThat(read("hot-items"))
                .noneMatch(
                        n ->
                                n.get("tenant").asText().equals("globex")
                                        && n.get("scenario").asText().equals("feed"));
    }

    private static List<JsonNode> read(String sink) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path folder = dir.resolve("out").resolve(sink);
        if (!Files.exists(folder)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                for (String line : Files.readAllLines(p)) {
                    out.add(JSON.readTree(line));
                }
            }
        }
        return out;
    }
}
