package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.kafka.broker.LocalBroker;
import io.sluice.kafka.tools.TopicReader;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.WrongbookDimensions;
import io.sluice.runtime.source.WrongbookEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once effect of the wrong-answer book's job, from a real Kafka topic to a MariaDB wide
 * table and two Kafka side outputs written with Kafka transactions: the job fails mid-stream (an
 * injected failure, restarted from its last checkpoint), or is cancelled and started again from its
 * last retained checkpoint. Afterwards the wide table equals a replay of the events row for row,
 * and the per-subject metrics, read committed, equal counts taken from the events (no duplicates,
 * no gaps); alerts come once each and count no more adds than the user made in their span.
 */
class WrongbookExactlyOnceITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int EVENTS = 6_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    private LocalBroker broker;
    private EmbeddedDatabase db;
    private List<String> lines;

    static final String SPEC =
            """
            name: wrongbook-exactly-once
            runtime: {parallelism: 2, checkpoint-interval: 300ms}
            sources:
              - id: events
                type: kafka
                bootstrap-servers: BOOTSTRAP
                topics: [wrongbook-events]
                bounded: latest
                format: json
                fields:
                  - {name: event_id, type: string}
                  - {name: event_type, type: string}
                  - {name: domain, type: string}
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: payload, type: json}
                event-time: {field: event_time, max-out-of-orderness: 5s}
            sinks:
              - id: wide
                type: jdbc
                url: "URL"
                user: sluice
                password: sluice
                table: wrongbook_wide
                key: [wrong_id]
                delete-when: {field: last_event, equals: [wrongbook_delete]}
              - {id: alerts, type: kafka, bootstrap-servers: BOOTSTRAP, topic: wrongbook-alerts, delivery-guarantee: exactly-once, transaction-timeout: 60s}
              - {id: metrics, type: kafka, bootstrap-servers: BOOTSTRAP, topic: wrongbook-metrics, delivery-guarantee: exactly-once, transaction-timeout: 60s}
              - {id: unrouted, type: file}
              - {id: dead-letters, type: file}
            pipelines:
              - id: wrongbook
                source: events
                dead-letters: dead-letters
                steps:
                  - {id: fail, processor: fail-once, event-id: FAIL_AT, micros: MICROS}
                  - id: enrich
                    processor: enrich
                    key: [wrong_id]
                    dimensions:
                      - {id: question, url: "URL", user: sluice, password: sluice, table: question, key: question_id, on: question_id, fields: [{name: subject_id}, {name: chapter}, {name: knowledge_point}, {name: difficulty, type: long}]}
                      - {id: subject, url: "URL", user: sluice, password: sluice, table: subject, key: subject_id, on: subject_id, fields: [{name: subject_name, column: name}]}
                      - {id: user, url: "URL", user: sluice, password: sluice, table: app_user, key: user_id, on: user_id, mode: lookup, cache-size: 300, fields: [{name: grade, type: long}, {name: school}]}
                routes:
                  store: config
                  outputs: [wide, alerts, metrics]
                  unrouted: unrouted
            """;

    @BeforeEach
    void start() throws Exception {
        broker = LocalBroker.start(dir.resolve("kafka"), 0);
        broker.createTopic("wrongbook-events", 2);
        db = EmbeddedDatabases.mariadb().fresh();
        WrongbookEnrichITCase.createTables(db, "mariadb");
        WrongbookEvents gen =
                new WrongbookEvents(
                        29, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 200, 0);
        lines = new ArrayList<>();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < EVENTS; i++) {
                String line = new String(gen.line(i), StandardCharsets.UTF_8);
                lines.add(line);
                // one wrong_id's events in one partition, in order (as a producer keyed by it)
                String key = JSON.readTree(line).get("payload").get("wrong_id").asText();
                producer.send(
                        new ProducerRecord<>(
                                "wrongbook-events",
                                key.getBytes(StandardCharsets.UTF_8),
                                line.getBytes(StandardCharsets.UTF_8)));
            }
        }
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(
                dir.resolve("config/routes.yaml"),
                Files.readString(Path.of("../examples/wrongbook/config/routes.yaml")));
        FailOnceProcessor.FAILED.set(false);
        FailOnceProcessor.STARTS.set(0);
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private Spec spec(String failAt, int micros, String bounded) throws Exception {
        Files.writeString(
                dir.resolve("job.yaml"),
                SPEC.replace("bounded: latest", "bounded: " + bounded)
                        .replace("BOOTSTRAP", broker.bootstrapServers())
                        .replace("URL", db.jdbcUrl())
                        .replace("FAIL_AT", failAt)
                        .replace("MICROS", String.valueOf(micros)));
        return new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
    }

    private StreamExecutionEnvironment env(Map<String, String> extra) {
        Configuration conf = new Configuration();
        conf.setString("pipeline.generic-types", "false");
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "3");
        conf.setString("restart-strategy.fixed-delay.delay", "500 ms");
        extra.forEach(conf::setString);
        return StreamExecutionEnvironment.getExecutionEnvironment(conf);
    }

    private void compose(Spec spec, StreamExecutionEnvironment env) throws Exception {
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
    }

    @Test
    void aFailureMidStreamChangesNothingInTheOutputs() throws Exception {
        Spec spec = spec(eventId(EVENTS / 2), 0, "latest");
        StreamExecutionEnvironment env = env(Map.of());
        compose(spec, env);
        env.execute(spec.name());
        assertThat(FailOnceProcessor.FAILED).isTrue();
        assertThat(FailOnceProcessor.STARTS.get())
                .as("the job restarted from a checkpoint")
                .isGreaterThan(spec.runtime().parallelism());
        assertOutputs();
    }

    @Test
    void cancelledAndStartedAgainFromTheLastCheckpointTheOutputsAreTheSame() throws Exception {
        // an endless input, as in production: the job runs until cancelled
        Spec spec = spec("never", 2_000, "none");
        Path checkpoints = dir.resolve("checkpoints");
        Map<String, String> retained =
                Map.of(
                        CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(),
                        checkpoints.toUri().toString(),
                        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION.key(),
                        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION.name());
        StreamExecutionEnvironment first = env(retained);
        compose(spec, first);
        JobClient job = first.executeAsync(spec.name());
        // cancelled a while in: some rows written, a checkpoint retained, events still to come
        await().atMost(Duration.ofSeconds(60))
                .until(() -> rows() >= 300 && lastCheckpoint(checkpoints).isPresent());
        job.cancel().get();
        // until it has stopped: it must not write into the temporary folder while JUnit
        // deletes it
        org.apache.flink.core.execution.JobClient stoppingJob = job;
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> stoppingJob.getJobStatus().get().isGloballyTerminalState());
        long before = rows();
        assertThat(before).as("rows when cancelled").isLessThan(replayedRows());
        Path restoreFrom = lastCheckpoint(checkpoints).orElseThrow();

        Map<String, String> again = new HashMap<>(retained);
        again.put(StateRecoveryOptions.SAVEPOINT_PATH.key(), restoreFrom.toUri().toString());
        StreamExecutionEnvironment second = env(again);
        compose(spec, second);
        FailOnceProcessor.SEEN.set(0);
        JobClient resumed = second.executeAsync(spec.name());
        try {
            // a review far in the future on each partition moves event time past every window
            flush();
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(2))
                    .untilAsserted(this::assertOutputs);
            // resumed where the checkpoint was: the events before it were not read again
            assertThat(FailOnceProcessor.SEEN.get()).isLessThan(EVENTS + 2);
        } finally {
            resumed.cancel().get();
            // until it has stopped: it must not write into the temporary folder while JUnit
            // deletes it
            org.apache.flink.core.execution.JobClient stoppingResumed = resumed;
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> stoppingResumed.getJobStatus().get().isGloballyTerminalState());
        }
    }

    /** A review (no route writes it) at noon, on both partitions of the input. */
    private void flush() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int partition = 0; partition < 2; partition++) {
                String line =
                        "{\"event_id\":\"flush-"
                                + partition
                                + "\",\"event_type\":\"wrongbook_review\",\"domain\":\"wrongbook\","
                                + "\"tenant_id\":\"school-b\",\"scenario_id\":\"app\","
                                + "\"event_time\":\"2024-03-01T12:00:00Z\",\"payload\":{\"wrong_id\":"
                                + "\"w-1-1\",\"user_id\":\"u-1\",\"question_id\":\"q-1\","
                                + "\"review_result\":\"remembered\"}}";
                producer.send(
                                new ProducerRecord<>(
                                        "wrongbook-events",
                                        partition,
                                        null,
                                        line.getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
        }
    }

    private String eventId(int i) throws Exception {
        return JSON.readTree(lines.get(i)).get("event_id").asText();
    }

    private long rows() throws Exception {
        try (Connection c = db.connect()) {
            return WrongbookEnrichITCase.table(c).size();
        }
    }

    private long replayedRows() throws Exception {
        return WrongbookDatabaseRestartITCase.replay(lines).size();
    }

    /** The newest retained checkpoint (a chk-N folder with its metadata). */
    private static Optional<Path> lastCheckpoint(Path root) throws Exception {
        if (!Files.exists(root)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().equals("_metadata"))
                    .map(Path::getParent)
                    .max(
                            java.util.Comparator.comparingInt(
                                    f ->
                                            Integer.parseInt(
                                                    f.getFileName().toString().substring(4))));
        }
    }

    private void assertOutputs() throws Exception {
        try (Connection c = db.connect()) {
            assertThat(WrongbookEnrichITCase.table(c))
                    .isEqualTo(WrongbookDatabaseRestartITCase.replay(lines));
        }

        // metrics: per subject, event type and minute, counted from the events
        Map<String, Long> expected = new TreeMap<>();
        for (String l : lines) {
            JsonNode e = JSON.readTree(l);
            String type = e.get("event_type").asText();
            if (type.equals("wrongbook_review")) {
                continue;
            }
            int q = Integer.parseInt(e.get("payload").get("question_id").asText().substring(2));
            String subject = WrongbookDimensions.subjectName(WrongbookDimensions.subjectOf(q));
            Instant t = Instant.parse(e.get("event_time").asText());
            Instant minute = Instant.ofEpochSecond(t.getEpochSecond() / 60 * 60);
            expected.merge(subject + " " + type + " " + minute, 1L, Long::sum);
        }
        Map<String, Long> metrics = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : committed("wrongbook-metrics")) {
            JsonNode m = JSON.readTree(r.value());
            String k =
                    m.get("subject_name").asText()
                            + " "
                            + m.get("event_type").asText()
                            + " "
                            + m.get("window_start").asText();
            assertThat(metrics.put(k, m.get("events").asLong())).as("twice: " + k).isNull();
        }
        assertThat(metrics).isEqualTo(expected);

        // alerts: once each, and each counts adds the user made in its span
        List<ConsumerRecord<byte[], byte[]>> alerts = committed("wrongbook-alerts");
        assertThat(alerts).isNotEmpty();
        Map<String, Integer> seen = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : alerts) {
            JsonNode a = JSON.readTree(r.value());
            String id = a.get("key").asText() + " " + a.get("last_event_time").asText();
            assertThat(seen.merge(id, 1, Integer::sum)).as("alert twice: " + id).isEqualTo(1);
            Instant from = Instant.parse(a.get("first_event_time").asText());
            Instant to = Instant.parse(a.get("last_event_time").asText());
            long adds =
                    lines.stream()
                            .map(WrongbookExactlyOnceITCase::tree)
                            .filter(e -> e.get("event_type").asText().equals("wrongbook_add"))
                            .filter(
                                    e ->
                                            e.get("payload")
                                                    .get("user_id")
                                                    .asText()
                                                    .equals(a.get("key").asText()))
                            .map(e -> Instant.parse(e.get("event_time").asText()))
                            .filter(t -> !t.isBefore(from) && !t.isAfter(to))
                            .count();
            // events of one user come from both partitions, so an alert counts those that had
            // arrived: at most the adds in its span, and more than the threshold
            assertThat(a.get("events").asLong()).as(id).isGreaterThan(20).isLessThanOrEqualTo(adds);
        }
    }

    private static JsonNode tree(String line) {
        try {
            return JSON.readTree(line);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<ConsumerRecord<byte[], byte[]>> committed(String topic) {
        return TopicReader.of(broker.bootstrapServers(), topic)
                .fromBeginning(true)
                .max(1_000_000)
                .idleTimeout(Duration.ofSeconds(3))
                .readAll();
    }
}
