package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.runtime.source.BehaviourEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.plugin.PluginRegistry;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

/**
 * Scenario rankings and profiles written to a real Redis while a reader polls the rankings and the
 * server is stopped and restarted mid-run. The reader only ever sees whole rankings of some window
 * (each equal to a reference ranking computed here from the events), and after the run every key
 * holds exactly the reference's last ranking or profile: nothing was lost while Redis was down.
 */
class RedisScenariosITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int EVENTS = 24_000;
    static final long START = Instant.parse("2024-05-01T00:00:00Z").toEpochMilli();
    static final long SIZE = 1_200_000;
    static final long SLIDE = 300_000;
    static final int TOP = 10;
    static final long HALF_LIFE = 30L * 24 * 3_600_000;
    static final long INTERVAL = 300_000;
    static final Map<String, Double> HOT =
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
    static final Map<String, Double> PROFILE =
            Map.of("view", 1.0, "like", 3.0, "favorite", 5.0, "purchase", 10.0);

    static final String SPEC =
            """
            name: recommend-redis
            runtime:
              parallelism: 2
            sources:
              - id: actions
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
                event-time:
                  field: event_time
                  max-out-of-orderness: 5s
            sinks:
              - {id: rankings, type: redis, url: "redis://127.0.0.1:PORT", mode: rankings, ttl: 1h}
              - {id: profiles, type: redis, url: "redis://127.0.0.1:PORT", mode: profiles}
              - {id: dead-letters, type: file}
            pipelines:
              - id: recommend
                source: actions
                dead-letters: dead-letters
                scenarios:
                  store: config
                  rankings: [rankings]
                  profiles: [profiles]
            """;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;
    static EmbeddedRedis redis;
    static int port;
    static List<String> lines = new ArrayList<>();
    static List<JsonNode> events = new ArrayList<>();
    static final ConcurrentLinkedQueue<List<Tuple>> seen = new ConcurrentLinkedQueue<>();
    static int restarts;
    static long emittedAtOutage;
    static final java.util.concurrent.atomic.AtomicLong EMITTED =
            new java.util.concurrent.atomic.AtomicLong();

    @BeforeAll
    static void runWithARestart() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        redis = EmbeddedRedis.start(port, dir.resolve("redis"));
        BehaviourEvents gen = new BehaviourEvents(11, START, 200, 0);
        for (int i = 0; i < EVENTS; i++) {
            String line = new String(gen.line(i), StandardCharsets.UTF_8);
            lines.add(line);
            events.add(JSON.readTree(line));
        }
        Files.createDirectories(dir.resolve("config"));
        StringBuilder config = new StringBuilder("scenarios:\n");
        for (String t : List.of("acme", "globex", "initech")) {
            for (String s : List.of("feed", "video")) {
                config.append("  - tenant: ")
                        .append(t)
                        .append("\n    scenario: ")
                        .append(s)
                        .append("\n    hot-score: {window: {size: 20m, slide: 5m}, top-n: 10}\n")
                        .append("    metrics: {enabled: false}\n");
            }
        }
        Files.writeString(dir.resolve("config/routes.yaml"), config);
        String spec = SPEC.replace("PORT", Integer.toString(port));
        Files.writeString(dir.resolve("recommend.yaml"), spec);
        Spec job = new SpecLoader(PluginRegistry.load()).load(dir.resolve("recommend.yaml"));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(
                org.apache.flink.configuration.Configuration.fromMap(
                        Map.of("pipeline.generic-types", "false")));
        RunContext run = new RunContext(dir, dir.resolve("out"));
        JobComposer.Connectors plugins = JobComposer.plugins(PluginRegistry.load(), run);
        new JobComposer(PluginRegistry.load(), run, new PacedLines(plugins)).compose(job, env);
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = new Thread(() -> read(reading), "ranking reader");
        reader.start();
        JobClient client = env.executeAsync("redis scenarios");

        // Redis goes away once the job has written rankings, and comes back 2 s later
        await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() >= 20);
        redis.stop();
        emittedAtOutage = EMITTED.get();
        // the outage lasts 2 s: a length chosen for the fault, not a wait for a condition (the
        // sink blocks while Redis is down, so the source is held back rather than finishing)
        Thread.sleep(2000);
        redis.restart();
        restarts++;
        client.getJobExecutionResult().get();
        reading.set(false);
        reader.join();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    /** Polls acme's feed ranking until told to stop, keeping every non-empty snapshot. */
    static void read(AtomicBoolean reading) {
        while (reading.get()) {
            try (Jedis j = new Jedis("127.0.0.1", port)) {
                while (reading.get()) {
                    List<Tuple> r = j.zrangeWithScores("sluice:hot:acme:feed", 0, -1);
                    if (!r.isEmpty()) {
                        seen.add(r);
                    }
                }
            } catch (RuntimeException e) {
                // Redis is down: try again
            }
        }
    }

    /** The events as lines, 6,000 a second from one source task, so the run spans the outage. */
    static final class PacedLines implements JobComposer.Connectors {
        private final JobComposer.Connectors sinks;

        PacedLines(JobComposer.Connectors sinks) {
            this.sinks = sinks;
        }

        @Override
        public DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec spec) {
            List<String> all = lines;
            DataGeneratorSource<EventRow> source =
                    new DataGeneratorSource<>(
                            i -> {
                                EMITTED.incrementAndGet();
                                return new EventRow(
                                        new Object[0],
                                        all.get(i.intValue()).getBytes(StandardCharsets.UTF_8),
                                        "events:" + i,
                                        0L);
                            },
                            all.size(),
                            RateLimiterStrategy.perSecond(6000),
                            new EventRowTypeInfo(new RowSchema(List.of())));
            return env.fromSource(source, WatermarkStrategy.noWatermarks(), "paced")
                    .setParallelism(1);
        }

        @Override
        public List<String> csvHeader(SourceSpec spec) {
            return null;
        }

        @Override
        public Sink<SinkRecord> sink(Spec job, SinkSpec spec) {
            return sinks.sink(job, spec);
        }
    }

    /** Every window's reference top N of acme's feed, as "item=score" lists. */
    static List<List<double[]>> acmeFeedRankings(Map<String, Integer> itemIds) {
        Map<Long, Map<String, Double>> windows = new HashMap<>();
        for (JsonNode e : events) {
            if (!e.get("tenant_id").asText().equals("acme")
                    || !e.get("scenario_id").asText().equals("feed")) {
                continue;
            }
            long t = Instant.parse(e.get("event_time").asText()).toEpochMilli();
            long first = t - Math.floorMod(t, SLIDE) + SLIDE;
            for (long end = first; end - SIZE <= t; end += SLIDE) {
                double w = HOT.getOrDefault(e.get("action").asText(), 0.0);
                windows.computeIfAbsent(end, k -> new HashMap<>())
                        .merge(
                                e.get("item_id").asText(),
                                w * Math.exp(-0.1 * (end - t) / 3_600_000.0),
                                Double::sum);
            }
        }
        List<List<double[]>> out = new ArrayList<>();
        for (Map<String, Double> w : windows.values()) {
            out.add(top(w, itemIds));
        }
        return out;
    }

    static List<double[]> top(Map<String, Double> scores, Map<String, Integer> itemIds) {
        List<Map.Entry<String, Double>> ranked = new ArrayList<>(scores.entrySet());
        ranked.sort(
                Comparator.comparingDouble((Map.Entry<String, Double> x) -> -x.getValue())
                        .thenComparing(Map.Entry::getKey));
        List<double[]> out = new ArrayList<>();
        for (Map.Entry<String, Double> x : ranked.subList(0, Math.min(TOP, ranked.size()))) {
            out.add(
                    new double[] {
                        itemIds.computeIfAbsent(x.getKey(), k -> itemIds.size()), x.getValue()
                    });
        }
        out.sort(Comparator.comparingDouble(a -> a[1]));
        return out;
    }

    static boolean same(List<double[]> a, List<Tuple> b, Map<String, Integer> itemIds) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Integer id = itemIds.get(b.get(i).getElement());
            if (id == null
                    || id != (int) a.get(i)[0]
                    || Math.abs(a.get(i)[1] - b.get(i).getScore()) > 1e-9 * a.get(i)[1]) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aReaderOnlyEverSeesWholeRankingsOfOneWindow() {
        Map<String, Integer> itemIds = new HashMap<>();
        List<List<double[]>> valid = acmeFeedRankings(itemIds);
        assertThat(restarts).isEqualTo(1);
        // Redis went down mid-run: thousands of events were still to come
        assertThat(emittedAtOutage).isLessThan(EVENTS - 5_000);
        assertThat(seen).hasSizeGreaterThan(20);
        for (List<Tuple> snapshot : seen) {
            assertThat(valid.stream().anyMatch(v -> same(v, snapshot, itemIds)))
                    .as("snapshot %s is the whole ranking of some window", snapshot)
                    .isTrue();
        }
    }

    @Test
    void afterTheOutageEveryRankingIsTheLastWindowsAndExpires() {
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            for (String tenant : List.of("acme", "globex", "initech")) {
                for (String scenario : List.of("feed", "video")) {
                    Map<Long, Map<String, Double>> windows = new HashMap<>();
                    for (JsonNode e : events) {
                        if (!e.get("tenant_id").asText().equals(tenant)
                                || !e.get("scenario_id").asText().equals(scenario)) {
                            continue;
                        }
                        long t = Instant.parse(e.get("event_time").asText()).toEpochMilli();
                        long first = t - Math.floorMod(t, SLIDE) + SLIDE;
                        for (long end = first; end - SIZE <= t; end += SLIDE) {
                            windows.computeIfAbsent(end, k -> new HashMap<>())
                                    .merge(
                                            e.get("item_id").asText(),
                                            HOT.getOrDefault(e.get("action").asText(), 0.0)
                                                    * Math.exp(-0.1 * (end - t) / 3_600_000.0),
                                            Double::sum);
                        }
                    }
                    long last = windows.keySet().stream().mapToLong(x -> x).max().orElseThrow();
                    Map<String, Integer> ids = new HashMap<>();
                    List<double[]> expected = top(windows.get(last), ids);
                    String key = "sluice:hot:" + tenant + ":" + scenario;
                    assertThat(same(expected, j.zrangeWithScores(key, 0, -1), ids))
                            .as(key)
                            .isTrue();
                    assertThat(j.hget(key + ":meta", "window_end")).isEqualTo(Long.toString(last));
                    assertThat(j.pttl(key)).isBetween(1L, 3_600_000L);
                }
            }
        }
    }

    @Test
    void everyUsersProfileHashHoldsItsLastUpdate() {
        Map<String, List<JsonNode>> byUser = new HashMap<>();
        for (JsonNode e : events) {
            byUser.computeIfAbsent(
                            e.get("tenant_id").asText()
                                    + ":"
                                    + e.get("scenario_id").asText()
                                    + ":"
                                    + e.get("user_id").asText(),
                            k -> new ArrayList<>())
                    .add(e);
        }
        int checked = 0;
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            for (Map.Entry<String, List<JsonNode>> u : byUser.entrySet()) {
                long lastEnd = 0;
                for (JsonNode e : u.getValue()) {
                    long t = Instant.parse(e.get("event_time").asText()).toEpochMilli();
                    lastEnd = Math.max(lastEnd, t - Math.floorMod(t, INTERVAL) + INTERVAL);
                }
                Map<String, Double> interest = new HashMap<>();
                for (JsonNode e : u.getValue()) {
                    long t = Instant.parse(e.get("event_time").asText()).toEpochMilli();
                    double w = PROFILE.getOrDefault(e.get("action").asText(), 0.0);
                    if (w > 0) {
                        interest.merge(
                                e.get("category_id").asText(),
                                w * Math.pow(2, -(double) (lastEnd - t) / HALF_LIFE),
                                Double::sum);
                    }
                }
                List<Map.Entry<String, Double>> ranked = new ArrayList<>(interest.entrySet());
                ranked.sort(
                        Comparator.comparingDouble((Map.Entry<String, Double> x) -> -x.getValue())
                                .thenComparing(Map.Entry::getKey));
                Map<String, String> hash = j.hgetAll("sluice:profile:" + u.getKey());
                assertThat(hash.get("_updated_at"))
                        .as(u.getKey())
                        .isEqualTo(Long.toString(lastEnd));
                assertThat(hash).hasSize(2 + Math.min(20, ranked.size()));
                for (Map.Entry<String, Double> c : ranked.subList(0, Math.min(20, ranked.size()))) {
                    assertThat(hash).containsKey(c.getKey());
                    assertThat(Double.parseDouble(hash.get(c.getKey())))
                            .isCloseTo(c.getValue(), within(1e-9 * c.getValue()));
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(5000);
    }
}
