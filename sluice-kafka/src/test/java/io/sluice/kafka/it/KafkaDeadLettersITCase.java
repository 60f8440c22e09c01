package io.sluice.kafka.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records a JSON decoder must reject, produced straight into a two-partition topic: each lands in
 * the dead-letter topic once, with its reason, the field at fault, its original payload (base64 as
 * well when it is not UTF-8) and exactly the {@code topic:partition:offset} it was read from.
 */
class KafkaDeadLettersITCase {
    static final String IN = "dl-orders";
    static final String ACCEPTED = "dl-accepted";
    static final String DEAD = "dl-dead-letters";
    static final String FILE = "dead-letters.yaml";

    @RegisterExtension static final SharedKafka KAFKA = new SharedKafka();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;

    /**
     * What was produced, and what each record must become: for a dead letter, its reason, field,
     * the step that rejected it and the text on the spec line its {@code position} names.
     */
    record Sent(int partition, byte[] value, String reason, String field, String step, String at) {}

    static final String SOURCE = "- id: orders-in";
    static final String ID_FIELD = "- {name: id, type: long}";
    static final String REQUIRED = "required: [id, amount]";

    static final byte[] NOT_UTF8 = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'};

    static final List<Sent> SENT =
            List.of(
                    new Sent(0, bytes("{\"id\": 1, \"amount\": 2.5}"), null, null, null, null),
                    new Sent(0, NOT_UTF8, "invalid-utf8", null, "orders-in.decode", SOURCE),
                    new Sent(
                            0,
                            bytes("not json"),
                            "malformed-json",
                            null,
                            "orders-in.decode",
                            SOURCE),
                    new Sent(
                            0, null, "empty-line", null, "orders-in.decode", SOURCE), // a tombstone
                    new Sent(
                            0,
                            bytes("{\"id\": {\"a\": 1}, \"amount\": 1}"),
                            "bad-value",
                            "id",
                            "orders-in.decode",
                            ID_FIELD),
                    new Sent(
                            1,
                            bytes("[1, 2, 3]"),
                            "malformed-json",
                            null,
                            "orders-in.decode",
                            SOURCE),
                    new Sent(
                            1,
                            bytes("{\"id\": \"seven\", \"amount\": 1.0}"),
                            "bad-value",
                            "id",
                            "orders-in.decode",
                            ID_FIELD),
                    new Sent(1, new byte[0], "empty-line", null, "orders-in.decode", SOURCE),
                    new Sent(1, bytes("{\"id\": 3, \"amount\": 4.0}"), null, null, null, null),
                    new Sent(
                            1,
                            bytes("{\"id\": 4}"),
                            "missing-field",
                            "amount",
                            "orders.check",
                            REQUIRED),
                    new Sent(
                            1,
                            bytes("{\"id\": 5, \"amount\": 1.0} trailing"),
                            "malformed-json",
                            null,
                            "orders-in.decode",
                            SOURCE));

    static Spec spec;
    static final Map<String, Sent> byOrigin = new LinkedHashMap<>();
    static List<ConsumerRecord<byte[], byte[]>> dead;
    static List<ConsumerRecord<byte[], byte[]>> accepted;

    @BeforeAll
    static void produceRunAndRead() throws Exception {
        KAFKA.createTopic(IN, 2);
        KAFKA.createTopic(ACCEPTED, 1);
        KAFKA.createTopic(DEAD, 1);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig())) {
            for (Sent s : SENT) {
                RecordMetadata m =
                        producer.send(new ProducerRecord<>(IN, s.partition(), null, s.value()))
                                .get();
                byOrigin.put(m.topic() + ":" + m.partition() + ":" + m.offset(), s);
            }
        }
        // one partition does not hold the other back: offsets count per partition
        assertThat(byOrigin.keySet())
                .startsWith(IN + ":0:0", IN + ":0:1", IN + ":0:2", IN + ":0:3", IN + ":0:4")
                .contains(IN + ":1:0", IN + ":1:5");

        spec = new SpecLoader(PluginRegistry.load()).load(FILE, specText());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        env.execute(spec.name());

        dead = CommittedRecords.read(KAFKA.bootstrapServers(), DEAD);
        accepted = CommittedRecords.read(KAFKA.bootstrapServers(), ACCEPTED);
    }

    static String specText() {
        return """
                name: kafka-dead-letters
                runtime:
                  parallelism: 1
                sources:
                  - id: orders-in
                    type: kafka
                    bootstrap-servers: %1$s
                    topics: [%2$s]
                    bounded: latest
                    format: json
                    fields:
                      - {name: id, type: long}
                      - {name: amount, type: double}
                sinks:
                  - {id: accepted, type: kafka, bootstrap-servers: %1$s, topic: %3$s, key: [id]}
                  - {id: dead-letters, type: kafka, bootstrap-servers: %1$s, topic: %4$s}
                pipelines:
                  - id: orders
                    source: orders-in
                    dead-letters: dead-letters
                    steps:
                      - id: check
                        processor: validate
                        required: [id, amount]
                        output: accepted
                """
                .formatted(KAFKA.bootstrapServers(), IN, ACCEPTED, DEAD);
    }

    @Test
    void eachRejectedRecordIsOneDeadLetterWithItsReasonAndExactOrigin() {
        Map<String, Sent> expected = new LinkedHashMap<>();
        byOrigin.forEach(
                (origin, s) -> {
                    if (s.reason() != null) {
                        expected.put(origin, s);
                    }
                });
        List<String> origins = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            JsonNode n = TaxiOnKafka.json(r);
            String origin = n.get("origin").asText();
            origins.add(origin);
            Sent s = expected.get(origin);
            assertThat(s).as("a dead letter for a record that should pass: " + n).isNotNull();
            assertThat(n.get("reason").asText()).as(origin).isEqualTo(s.reason());
            assertThat(n.get("field").isNull() ? null : n.get("field").asText())
                    .as(origin)
                    .isEqualTo(s.field());
            assertThat(n.get("step").asText()).as(origin).isEqualTo(s.step());
            assertThat(n.get("position").asText())
                    .as(origin)
                    .isEqualTo(FILE + ":" + lineOf(s.at()));
            assertThat(n.get("message").asText()).as(origin).isNotBlank();
            assertThat(n.get("spec_hash").asText()).isEqualTo(spec.hash());
        }
        assertThat(origins).containsExactlyInAnyOrderElementsOf(expected.keySet());
    }

    @Test
    void theOriginalPayloadTravelsWithTheDeadLetter() {
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            JsonNode n = TaxiOnKafka.json(r);
            Sent s = byOrigin.get(n.get("origin").asText());
            byte[] original = s.value() == null ? new byte[0] : s.value();
            if (s.value() == NOT_UTF8) {
                // the text form cannot hold the bytes: base64 keeps them exactly
                assertThat(Base64.getDecoder().decode(n.get("payload_base64").asText()))
                        .isEqualTo(NOT_UTF8);
                assertThat(n.get("payload").asText())
                        .isEqualTo(new String(NOT_UTF8, StandardCharsets.UTF_8));
            } else {
                assertThat(n.get("payload").asText())
                        .as(n.toString())
                        .isEqualTo(new String(original, StandardCharsets.UTF_8));
                assertThat(n.get("payload_base64").isNull()).as(n.toString()).isTrue();
            }
        }
    }

    @Test
    void messagesSayWhatIsWrong() {
        Map<String, String> byReasonAndField = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            JsonNode n = TaxiOnKafka.json(r);
            Sent s = byOrigin.get(n.get("origin").asText());
            byReasonAndField.put(
                    new String(
                            s.value() == null ? new byte[] {'~'} : s.value(),
                            StandardCharsets.UTF_8),
                    n.get("message").asText());
        }
        assertThat(byReasonAndField)
                .containsEntry("[1, 2, 3]", "expected a JSON object per line")
                .containsEntry("~", "empty line")
                .containsEntry("", "empty line")
                .containsEntry("{\"id\": 4}", "amount is required but missing")
                .containsEntry(
                        "{\"id\": \"seven\", \"amount\": 1.0}",
                        "id: expected a number, found the string \"seven\"")
                .containsEntry(
                        "{\"id\": {\"a\": 1}, \"amount\": 1}",
                        "id: expected a single value, found object")
                .containsEntry(
                        new String(NOT_UTF8, StandardCharsets.UTF_8),
                        "the line is not valid UTF-8");
    }

    @Test
    void validRecordsPassKeyedById() {
        assertThat(accepted)
                .extracting(r -> CommittedRecords.text(r.key()))
                .containsExactlyInAnyOrder("1", "3");
        for (ConsumerRecord<byte[], byte[]> r : accepted) {
            JsonNode n = TaxiOnKafka.json(r);
            assertThat(n.get("id").asText()).isEqualTo(CommittedRecords.text(r.key()));
            assertThat(n.get("amount").asDouble()).isEqualTo(n.get("id").asLong() == 1 ? 2.5 : 4.0);
        }
    }

    /** The 1-based line of the spec text that contains {@code snippet}. */
    private static int lineOf(String snippet) {
        List<String> lines = specText().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(snippet)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line with " + snippet);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }
}
