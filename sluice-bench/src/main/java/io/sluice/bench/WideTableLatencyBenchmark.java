package io.sluice.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.jdbc.EmbeddedMariaDb;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.LocalRunner;
import io.sluice.runtime.source.WrongbookEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The wrong-answer book from a Kafka topic to a committed row of its MariaDB wide table: {@code
 * examples/wrongbook/wrongbook-kafka.yaml} as it is (enrich step, live routes, the {@code jdbc}
 * sink, exactly-once Kafka side outputs, checkpoints every 5 s), with only the broker, the database
 * and the topics' names changed, and the sink's {@code max-delay} set per run.
 *
 * <p>A generator thread sends the example's events (the {@code wrongbook-events} generator's event
 * types, users and questions) at a fixed rate on an absolute schedule, stamping {@code event_time}
 * and {@code created_at} with the send time. Triggers on the wide table copy each upserted row's
 * {@code (wrong_id, created_at)} into a log table in the same transaction, so a log row becomes
 * visible exactly when the sink commits its row; a reader polls the log every {@code poll-ms} (read
 * committed, read-only). An upsert's latency = the time the reader saw its log row − the time its
 * event was handed to the Kafka producer. Deletes carry no send time to match and are not measured.
 * Only events sent in the measured interval (after the warm-up) count, and each of their rows must
 * arrive. Run by {@code sluice-bench/run-wide-table-latency}, never by the tests.
 */
public final class WideTableLatencyBenchmark {
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("rate", "2000");
        v.put("warmup", "30");
        v.put("duration", "30");
        v.put("max-delay", "200ms,20ms");
        v.put("poll-ms", "5");
        v.put("checkpoint-interval", "5s");
        v.put("report", "sluice-bench/target/wide-table-latency.md");
        Args.parse(args, v, null);
        System.exit(
                new WideTableLatencyBenchmark(
                                System.out,
                                Double.parseDouble(v.get("rate")),
                                Integer.parseInt(v.get("warmup")),
                                Integer.parseInt(v.get("duration")),
                                Integer.parseInt(v.get("poll-ms")),
                                v.get("checkpoint-interval"))
                        .run(List.of(v.get("max-delay").split(",")), Path.of(v.get("report"))));
    }

    private final PrintStream out;
    private final double rate;
    private final int warmupSeconds;
    private final int measuredSeconds;
    private final int pollMillis;
    private final String checkpointInterval;

    WideTableLatencyBenchmark(
            PrintStream out,
            double rate,
            int warmupSeconds,
            int measuredSeconds,
            int pollMillis,
            String checkpointInterval) {
        this.checkpointInterval = checkpointInterval;
        this.out = out;
        this.rate = rate;
        this.warmupSeconds = warmupSeconds;
        this.measuredSeconds = measuredSeconds;
        this.pollMillis = pollMillis;
    }

    int run(List<String> maxDelays, Path report) throws Exception {
        Path work = Files.createTempDirectory("sluice-wide-latency");
        Path examples = Path.of("examples/wrongbook");
        StringBuilder md = new StringBuilder();
        md.append(
                String.format(
                        Locale.US,
                        "| sink max-delay | events/s sent | p50 | p90 | p99 | p99.9 | max | upserts"
                                + " measured | arrived |%n|---|---:|---:|---:|---:|---:|---:|---:|---:|%n"));
        List<String> notes = new ArrayList<>();
        boolean allArrived = true;
        try (EmbeddedMariaDb db =
                        EmbeddedMariaDb.start(
                                0, work.resolve("mariadb"), "wrongbook", "sluice", "sluice");
                BenchBroker broker =
                        BenchBroker.start(
                                "in-process", work.resolve("broker"), work.resolve("broker.log"))) {
            db.runFile(examples.resolve("ddl/mariadb.sql"));
            db.runFile(examples.resolve("ddl/dimensions.sql"));
            try (Connection c = db.connect();
                    Statement st = c.createStatement()) {
                st.execute(
                        "CREATE TABLE commit_log (id BIGINT AUTO_INCREMENT PRIMARY KEY, wrong_id"
                                + " VARCHAR(48) NOT NULL, created_at DATETIME(3) NOT NULL)");
                for (String when : List.of("INSERT", "UPDATE")) {
                    st.execute(
                            "CREATE TRIGGER wide_"
                                    + when.toLowerCase(Locale.ROOT)
                                    + " AFTER "
                                    + when
                                    + " ON wrongbook_wide FOR EACH ROW INSERT INTO commit_log"
                                    + " (wrong_id, created_at) VALUES (NEW.wrong_id,"
                                    + " NEW.created_at)");
                }
            }
            out.printf(
                    Locale.US,
                    "MariaDB at %s, Kafka at %s; %,.0f events/s, warm-up %d s, measured %d s%n",
                    db.jdbcUrl(),
                    broker.bootstrapServers(),
                    rate,
                    warmupSeconds,
                    measuredSeconds);
            int n = 0;
            for (String maxDelay : maxDelays) {
                n++;
                Run r = new Run(db, broker, work.resolve("run-" + n), "r" + n, maxDelay.trim());
                LatencyStats.Summary s = r.measure();
                allArrived &= r.arrived == r.expected;
                md.append(
                        String.format(
                                Locale.US,
                                "| %s | %,.0f | %s ms | %s ms | **%s ms** | %s ms | %s ms | %,d |"
                                        + " %,d |%n",
                                maxDelay.trim(),
                                r.achievedRate,
                                LatencyStats.ms(s.percentileMs(50)),
                                LatencyStats.ms(s.percentileMs(90)),
                                LatencyStats.ms(s.percentileMs(99)),
                                LatencyStats.ms(s.percentileMs(99.9)),
                                LatencyStats.ms(s.maxMs()),
                                r.expected,
                                r.arrived));
                notes.add(
                        String.format(
                                Locale.US,
                                "- max-delay %s: %,d events sent in the measured interval (%,d"
                                        + " upserts); latest send %.1f ms behind schedule; GC"
                                        + " pauses of the benchmark JVM during it: %s",
                                maxDelay.trim(),
                                r.measuredSent,
                                r.expected,
                                r.maxLagNs / 1e6,
                                r.gc));
            }
        }
        md.append('\n');
        for (String note : notes) {
            md.append(note).append('\n');
        }
        out.println();
        out.print(md);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md.toString());
        out.println("written to " + report);
        return allArrived ? 0 : 1;
    }

    /** One job at one max-delay: probe, warm-up, measured interval, wait for the last rows. */
    private final class Run {
        final EmbeddedMariaDb db;
        final BenchBroker broker;
        final Path dir;
        final String prefix;
        final String maxDelay;

        /** Upserts sent in the measured interval: "wrong_id|epoch ms" → send time (epoch ns). */
        final Map<String, Long> pending = new ConcurrentHashMap<>();

        final LatencyStats stats = new LatencyStats();
        final AtomicLong seen = new AtomicLong();
        final AtomicLong logged = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean measuring;
        volatile boolean stop;
        long expected;
        long arrived;
        long measuredSent;
        double achievedRate;
        long maxLagNs;
        String gc = "";
        String dbStatus = "";

        Run(EmbeddedMariaDb db, BenchBroker broker, Path dir, String prefix, String maxDelay) {
            this.db = db;
            this.broker = broker;
            this.dir = dir;
            this.prefix = prefix;
            this.maxDelay = maxDelay;
        }

        LatencyStats.Summary measure() throws Exception {
            Files.createDirectories(dir.resolve("config"));
            Files.copy(
                    Path.of("examples/wrongbook/config/routes.yaml"),
                    dir.resolve("config/routes.yaml"));
            String text =
                    Files.readString(Path.of("examples/wrongbook/wrongbook-kafka.yaml"))
                            .replace(
                                    "checkpoint-interval: 5s",
                                    "checkpoint-interval: " + checkpointInterval)
                            .replace("127.0.0.1:9092", broker.bootstrapServers())
                            .replace("jdbc:mariadb://localhost:3307/wrongbook", db.jdbcUrl())
                            .replace("topics: [wrongbook-", "topics: [" + prefix + "-wrongbook-")
                            .replace("topic: wrongbook-", "topic: " + prefix + "-wrongbook-")
                            .replace(
                                    "    table: wrongbook_wide\n",
                                    "    table: wrongbook_wide\n    max-delay: " + maxDelay + "\n");
            Files.writeString(dir.resolve("wrongbook-kafka.yaml"), text);
            String events = prefix + "-wrongbook-events";
            broker.createTopic(events, 2);
            for (String t : List.of("alerts", "metrics", "dead-letters")) {
                broker.createTopic(prefix + "-wrongbook-" + t, 1);
            }
            try (Connection c = db.connect();
                    Statement st = c.createStatement()) {
                st.execute("TRUNCATE TABLE wrongbook_wide");
                st.execute("TRUNCATE TABLE commit_log");
            }
            PluginRegistry registry = PluginRegistry.load();
            Spec spec = new SpecLoader(registry).load(dir.resolve("wrongbook-kafka.yaml"));
            Map<String, String> conf = LocalRunner.baseConfig(spec);
            conf.put("restart-strategy.type", "none");
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(conf));
            new JobComposer(registry, new RunContext(dir, dir.resolve("out"))).compose(spec, env);
            out.printf(Locale.US, "%nmax-delay %s: starting the job%n", maxDelay);
            System.gc();
            JobClient client = env.executeAsync(spec.name());
            Thread reader = new Thread(this::read, "wide-latency-reader");
            reader.start();
            try (GcWatch watch = new GcWatch()) {
                long[] window = send(client, events);
                // the measured rows: all of them, or a minute after the last was sent
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!pending.isEmpty() && System.nanoTime() < deadline) {
                    failIfStopped(client);
                    Thread.sleep(100);
                }
                gc = watch.between(EpochClock.millis(window[0]), EpochClock.millis(window[1]));
            } finally {
                stop = true;
                reader.join(10_000);
                try {
                    client.cancel().get(30, TimeUnit.SECONDS);
                    client.getJobExecutionResult().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // cancelled: the usual end of an unbounded job
                }
            }
            if (failure.get() != null) {
                throw new IllegalStateException("the reader failed", failure.get());
            }
            arrived = seen.get();
            try (Connection c = db.connect();
                    Statement st = c.createStatement();
                    ResultSet rs =
                            st.executeQuery(
                                    "SHOW GLOBAL STATUS WHERE Variable_name IN"
                                            + " ('Innodb_row_lock_waits', 'Innodb_row_lock_time',"
                                            + " 'Innodb_deadlocks', 'Com_commit',"
                                            + " 'Innodb_data_fsyncs')")) {
                StringBuilder sb = new StringBuilder();
                while (rs.next()) {
                    sb.append(sb.length() == 0 ? "" : ", ")
                            .append(rs.getString(1))
                            .append(' ')
                            .append(rs.getString(2));
                }
                dbStatus = sb.toString();
                out.println("MariaDB since its start: " + dbStatus);
            }
            LatencyStats.Summary s = stats.summary();
            out.printf(
                    Locale.US,
                    "max-delay %s: %s; %,d of %,d measured upserts arrived%n",
                    maxDelay,
                    s.line(),
                    arrived,
                    expected);
            return s;
        }

        /**
         * Sends events: 50/s until the job's first row is committed, then the full rate for the
         * warm-up and the measured interval. Returns the measured interval (epoch ns).
         */
        private long[] send(JobClient client, String topic) throws Exception {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
            WrongbookEvents gen =
                    new WrongbookEvents(
                            5, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 200, 0);
            long i = 0;
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                long probeEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (logged.get() == 0) {
                    if (System.nanoTime() > probeEnd) {
                        throw new IllegalStateException("no row committed within 120 s");
                    }
                    failIfStopped(client);
                    producer.send(record(topic, gen, i++, false));
                    Thread.sleep(20);
                }
                out.printf(Locale.US, "first row committed; %,.0f events/s%n", rate);
                long periodNs = (long) (1e9 / rate);
                long start = System.nanoTime();
                long warmupEnd = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
                long end = warmupEnd + TimeUnit.SECONDS.toNanos(measuredSeconds);
                long measureStart = 0;
                long first = i;
                long lastReport = start;
                for (long k = 0; ; k++) {
                    long due = start + k * periodNs;
                    if (due >= end) {
                        break;
                    }
                    long now = System.nanoTime();
                    if (due > now) {
                        LockSupport.parkNanos(due - now);
                    } else {
                        maxLagNs = Math.max(maxLagNs, measuring ? now - due : 0);
                    }
                    if (!measuring && due >= warmupEnd) {
                        measuring = true;
                        measureStart = EpochClock.nanos();
                        first = i;
                    }
                    producer.send(record(topic, gen, i++, measuring));
                    if (now - lastReport >= 5_000_000_000L) {
                        lastReport = now;
                        failIfStopped(client);
                        out.printf(
                                Locale.US,
                                "[%5.1fs] %s · sent %,d · rows seen %,d%s%n",
                                (now - start) / 1e9,
                                measuring ? "measuring" : "warm-up",
                                i,
                                seen.get(),
                                measuring ? " · " + stats.summary().line() : "");
                    }
                }
                long measureEnd = EpochClock.nanos();
                measuring = false;
                producer.flush();
                measuredSent = i - first;
                achievedRate = measuredSent / ((measureEnd - measureStart) / 1e9);
                return new long[] {measureStart, measureEnd};
            }
        }

        /** Event {@code i} of the generator, its times set to now; measured upserts recorded. */
        private ProducerRecord<byte[], byte[]> record(
                String topic, WrongbookEvents gen, long i, boolean measured) throws Exception {
            ObjectNode e = (ObjectNode) JSON.readTree(gen.line(i));
            long sendNs = EpochClock.nanos();
            long ms = EpochClock.millis(sendNs);
            String at = Instant.ofEpochMilli(ms).toString();
            e.put("event_time", at);
            ObjectNode payload = (ObjectNode) e.get("payload");
            payload.put("created_at", at);
            String type = e.get("event_type").asText();
            if (measured && (type.equals("wrongbook_add") || type.equals("wrongbook_fix"))) {
                pending.put(payload.get("wrong_id").asText() + "|" + ms, sendNs);
                expected++;
            }
            return new ProducerRecord<>(
                    topic,
                    (int) (i % 2),
                    null,
                    JSON.writeValueAsString(e).getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Polls the log of committed rows, matching them to measured sends. Read-only, so that it
         * adds no commits (and no log flushes) of its own: it remembers the lowest log id not seen
         * yet and reads from there. Ids are taken when a row is written and become visible when its
         * transaction commits, so they may show up out of order; an id still missing after 5 s
         * belonged to a transaction that was rolled back, and is passed over.
         */
        private void read() {
            try (Connection c = db.connect()) {
                c.setAutoCommit(true);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                long low = 1;
                long missingSince = 0;
                java.util.Set<Long> above = new java.util.HashSet<>();
                try (java.sql.PreparedStatement st =
                        c.prepareStatement(
                                "SELECT id, wrong_id, created_at FROM commit_log WHERE id >= ?")) {
                    while (!stop) {
                        st.setLong(1, low);
                        try (ResultSet rs = st.executeQuery()) {
                            long now = EpochClock.nanos();
                            while (rs.next()) {
                                long id = rs.getLong(1);
                                if (!above.add(id)) {
                                    continue;
                                }
                                logged.incrementAndGet();
                                long ms =
                                        rs.getObject(3, LocalDateTime.class)
                                                .toInstant(ZoneOffset.UTC)
                                                .toEpochMilli();
                                Long sent = pending.remove(rs.getString(2) + "|" + ms);
                                if (sent != null) {
                                    stats.add(now - sent);
                                    seen.incrementAndGet();
                                }
                            }
                        }
                        while (above.remove(low)) {
                            low++;
                            missingSince = 0;
                        }
                        if (!above.isEmpty()) {
                            if (missingSince == 0) {
                                missingSince = System.nanoTime();
                            } else if (System.nanoTime() - missingSince > 5_000_000_000L) {
                                // rolled back: the ids below the lowest seen never come
                                low = java.util.Collections.min(above);
                                missingSince = 0;
                                while (above.remove(low)) {
                                    low++;
                                }
                            }
                        }
                        Thread.sleep(pollMillis);
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }

        private void failIfStopped(JobClient client) throws Exception {
            JobStatus status = client.getJobStatus().get(10, TimeUnit.SECONDS);
            if (status.isGloballyTerminalState()) {
                client.getJobExecutionResult().get(10, TimeUnit.SECONDS);
                throw new IllegalStateException("the job ended: " + status);
            }
            if (failure.get() != null) {
                throw new IllegalStateException("the reader failed", failure.get());
            }
        }
    }
}
