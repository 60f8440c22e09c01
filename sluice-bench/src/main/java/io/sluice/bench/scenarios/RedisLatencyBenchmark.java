package io.sluice.bench.scenarios;

import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigValidator;
import io.sluice.control.store.StoreLocation;
import io.sluice.redis.EmbeddedRedis;
import io.sluice.redis.RedisSinkFactory;
import io.sluice.runtime.route.ConfigUpdate;
import io.sluice.runtime.route.ControlSource;
import io.sluice.runtime.route.MatchScenarios;
import io.sluice.runtime.route.RouteEvents;
import io.sluice.runtime.route.RoutedEvent;
import io.sluice.runtime.route.RoutedEventSerializer;
import io.sluice.runtime.route.ScenarioProfiles;
import io.sluice.runtime.route.ScenarioWindows;
import io.sluice.runtime.route.Scenarios;
import io.sluice.runtime.route.StoreVersions;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.sink.JsonEncoder;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.routes.RouteCatalog;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import redis.clients.jedis.Jedis;

/**
 * From a window's firing to its ranking being readable in Redis. The scenario job runs as in the
 * hot-items benchmark, with profiles on (so Redis also takes every profile update) and rankings and
 * profiles written by the redis sink to a real redis-server. A tap chained right after the
 * hot-items operator notes when each ranking leaves it (the firing); a reader polls each scenario's
 * meta hash and notes when its window end changes (readable). Run by {@code
 * sluice-bench/run-redis-latency}, never by the test suite.
 */
public final class RedisLatencyBenchmark {
    static final Map<String, Long> FIRED = new ConcurrentHashMap<>();
    static final Map<String, Long> READABLE = new ConcurrentHashMap<>();
    static final List<String> KEYS = new ArrayList<>();

    static {
        for (String t : List.of("acme", "globex", "initech")) {
            for (String s : List.of("feed", "video")) {
                KEYS.add(t + ":" + s);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("events", "1000000");
        v.put("spacing-ms", "10");
        v.put("runs", "3");
        v.put("report", "sluice-bench/target/redis-latency-benchmark.md");
        io.sluice.bench.Args.parse(args, v, null);
        System.exit(
                new RedisLatencyBenchmark(System.out)
                        .run(
                                Integer.parseInt(v.get("events").replace("_", "")),
                                Long.parseLong(v.get("spacing-ms")),
                                Integer.parseInt(v.get("runs")),
                                Path.of(v.get("report"))));
    }

    private final PrintStream out;

    RedisLatencyBenchmark(PrintStream out) {
        this.out = out;
    }

    int run(int events, long spacingMs, int runs, Path report) throws Exception {
        HotScoreBenchmark.install(HotScoreBenchmark.generate(events, spacingMs));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path tmp = Files.createTempDirectory("sluice-redis-latency");
        Path store = tmp.resolve("config");
        try (ConfigStore st =
                ConfigStores.open(
                        StoreLocation.parse(store.toString()), ConfigValidator.acceptAll())) {
            st.commit(
                    HotScoreBenchmark.CONFIG.replace("    user-profile: {enabled: false}\n", ""),
                    0,
                    "bench",
                    "hot items and profiles");
        }
        List<Long> latencies = new ArrayList<>();
        int fired = 0;
        try (EmbeddedRedis redis = EmbeddedRedis.start(port, tmp.resolve("redis"))) {
            for (int r = 1; r <= runs; r++) {
                try (Jedis j = new Jedis("127.0.0.1", port)) {
                    j.flushAll();
                }
                FIRED.clear();
                READABLE.clear();
                AtomicBoolean polling = new AtomicBoolean(true);
                Thread poller = new Thread(() -> poll(port, polling), "redis poller");
                poller.start();
                long t0 = System.nanoTime();
                execute(store, port);
                double seconds = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(200); // the poller's last rounds
                polling.set(false);
                poller.join();
                List<Long> run = new ArrayList<>();
                FIRED.forEach(
                        (k, at) -> {
                            Long seen = READABLE.get(k);
                            if (seen != null) {
                                run.add(seen - at);
                            }
                        });
                fired += FIRED.size();
                latencies.addAll(run);
                out.printf(
                        Locale.US,
                        "run %d: %,d events in %.1f s; %d rankings fired, %d seen by the reader;"
                                + " p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                        r,
                        events,
                        seconds,
                        FIRED.size(),
                        run.size(),
                        pct(run, 0.50),
                        pct(run, 0.99),
                        pct(run, 1.0));
            }
        }
        String md =
                String.format(
                        Locale.US,
                        "| rankings fired | seen by the reader | p50 | p99 | max |%n|---:|---:|---:|---:|---:|%n"
                                + "| %d | %d | %.2f ms | %.2f ms | %.2f ms |%n%n%,d events per run, %d runs,"
                                + " full-speed replay with profiles written to the same Redis.%n",
                        fired,
                        latencies.size(),
                        pct(latencies, 0.50),
                        pct(latencies, 0.99),
                        pct(latencies, 1.0),
                        events,
                        runs);
        out.println();
        out.print(md);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md);
        return 0;
    }

    static double pct(List<Long> nanos, double q) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
    }

    /** Notes when each scenario's ranking shows a new window end. */
    static void poll(int port, AtomicBoolean polling) {
        Map<String, String> last = new LinkedHashMap<>();
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            while (polling.get()) {
                for (String k : KEYS) {
                    String end = j.hget("sluice:hot:" + k + ":meta", "window_end");
                    if (end != null && !end.equals(last.get(k))) {
                        long now = System.nanoTime();
                        last.put(k, end);
                        READABLE.putIfAbsent(k + "|" + end, now);
                    }
                }
            }
        }
    }

    private void execute(Path store, int port) throws Exception {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("pipeline.generic-types", "false");
        conf.put("restart-strategy.type", "none");
        conf.put("parallelism.default", "2");
        conf.put("taskmanager.numberOfTaskSlots", "2");
        conf.put("rest.bind-port", "0");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(conf));
        DataStream<EventRow> events = HotScoreBenchmark.stream(env);
        RouteCatalog catalog =
                new RouteCatalog(
                        HotScoreBenchmark.INPUT, null, null, null, List.of(), true, false, true);
        StoreVersions versions = new StoreVersions(StoreLocation.parse(store.toString()), catalog);
        BroadcastStream<ConfigUpdate> control =
                env.fromSource(
                                new ControlSource(versions, Duration.ofMillis(50), true),
                                ControlSource.watermarks(),
                                "config versions",
                                ConfigUpdate.TYPE)
                        .setParallelism(1)
                        .broadcast(RouteEvents.VERSIONS);
        Scenarios.Fields fields = new Scenarios.Fields(0, 1, 2, 3, 4, 5, 7);
        SingleOutputStreamOperator<RoutedEvent> matched =
                events.connect(control)
                        .process(
                                new MatchScenarios(
                                        catalog, versions.forTasks(), 4, fields, null, "bench"),
                                RoutedEventSerializer.TYPE);
        SingleOutputStreamOperator<EventRow> windows =
                matched.keyBy(RoutedEvent::key, Types.STRING)
                        .transform(
                                "hot items",
                                DeadLetters.TYPE,
                                new ScenarioWindows(
                                        catalog, versions.forTasks(), 4, fields, "bench", true));
        String url = "redis://127.0.0.1:" + port;
        windows.getSideOutput(ScenarioWindows.RANKINGS)
                .map(new Tap(), new EventRowTypeInfo(Scenarios.RANKINGS))
                .map(new JsonEncoder(Scenarios.RANKINGS, "bench", "rankings", new int[0]))
                .returns(SinkRecord.TYPE)
                .sinkTo(RedisSinkFactory.sink("rankings", url, "rankings", Duration.ofHours(1)));
        matched.getSideOutput(MatchScenarios.PROFILES)
                .keyBy(RoutedEvent::key, Types.STRING)
                .process(
                        new ScenarioProfiles(catalog, versions.forTasks(), 4, fields, "bench"),
                        new EventRowTypeInfo(Scenarios.PROFILES))
                .map(new JsonEncoder(Scenarios.PROFILES, "bench", "profiles", new int[0]))
                .returns(SinkRecord.TYPE)
                .sinkTo(RedisSinkFactory.sink("profiles", url, "profiles", Duration.ofHours(1)));
        env.execute("redis latency");
    }

    /** Notes when a ranking leaves the hot-items operator (it is chained right after it). */
    static final class Tap implements MapFunction<EventRow, EventRow> {
        @Override
        public EventRow map(EventRow r) {
            FIRED.putIfAbsent(r.get(0) + ":" + r.get(1) + "|" + r.get(3), System.nanoTime());
            return r;
        }
    }
}
