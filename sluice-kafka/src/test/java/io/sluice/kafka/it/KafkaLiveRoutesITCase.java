package io.sluice.kafka.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live routes on a real broker: business events come from a Kafka topic, results go to Kafka
 * topics, and the routes change while the job runs. Every result must follow the version stamped on
 * it, which a route emitting every event reveals per event; the reference below applies it.
 */
class KafkaLiveRoutesITCase {
    static final String IN = "lr-events";
    static final String SEEN = "lr-seen";
    static final String BIG = "lr-big";
    static final String DEAD = "lr-dead";
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension static final SharedKafka KAFKA = new SharedKafka();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    @TempDir Path dir;

    static final String ROUTES =
            """
            routes:
              - id: seen
                event-types: ['*']
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
            """;

    @Test
    void aRouteChangedWhileEventsFlowFromKafkaAppliesToTheEventsStampedWithIt() throws Exception {
        KAFKA.createTopic(IN, 2);
        for (String t : List.of(SEEN, BIG, DEAD)) {
            KAFKA.createTopic(t, 1);
        }
        Path storeDir = dir.resolve("config");
        Spec spec =
                new SpecLoader(PluginRegistry.load())
                        .load("live.yaml", specText(storeDir.toString()));
        RouteCatalog catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        RoutesLoader loader = new RoutesLoader(PluginRegistry.load());
        try (ConfigStore store =
                ConfigStores.open(
                        StoreLocation.parse(storeDir.toString()),
                        (f, t) -> loader.validate(f, t, catalog))) {
            store.commit(ROUTES, 0, "test", "first");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
            new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                    .compose(spec, env);
            JobClient job = env.executeAsync(spec.name());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig())) {
                Map<String, Double> amounts = new HashMap<>();
                int n = 0;
                for (; n < 20; n++) {
                    send(producer, n, 80.0 + 5 * n, amounts);
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> stamps().size() >= 20);

                store.commit(ROUTES.replace("amount > 100.0", "amount > 150.0"), 1, "t", "up");
                // keep events flowing until one comes back stamped with the new version
                int[] next = {n};
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(20))
                        .until(
                                () -> {
                                    send(producer, next[0]++, 120.0, amounts);
                                    return stamps().containsValue(2L);
                                });
                n = next[0];
                for (int i = 0; i < 20; i++) {
                    send(producer, n++, 100.0 + 5 * i, amounts);
                }
                int total = n;
                await().atMost(Duration.ofSeconds(60)).until(() -> stamps().size() >= total);

                Map<String, Long> stamp = stamps();
                List<String> expected = new ArrayList<>();
                amounts.forEach(
                        (id, amount) -> {
                            long v = stamp.get(id);
                            if (amount > (v == 1 ? 100.0 : 150.0)) {
                                expected.add(id + "@" + v);
                            }
                        });
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> read(BIG).size() >= expected.size());
                List<String> big = new ArrayList<>();
                for (JsonNode r : read(BIG)) {
                    big.add(r.get("event_id").asText() + "@" + r.get("config_version").asLong());
                }
                assertThat(big).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(stamp.values()).contains(1L, 2L);
                assertThat(read(DEAD)).isEmpty();
            } finally {
                job.cancel().get();
                // until it has stopped: it must not write into the temporary folder while JUnit
                // deletes it
                org.apache.flink.core.execution.JobClient stoppingJob = job;
                org.awaitility.Awaitility.await()
                        .atMost(java.time.Duration.ofSeconds(60))
                        .until(() -> stoppingJob.getJobStatus().get().isGloballyTerminalState());
            }
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, int i, double amount, Map<String, Double> sent)
            throws Exception {
        String id = "e-" + i;
        String json =
                "{\"event_id\":\""
                        + id
                        + "\",\"event_type\":\"order_created\",\"domain\":\"shop\","
                        + "\"tenant_id\":\"acme\",\"scenario_id\":\"web\",\"event_time\":\""
                        + Instant.ofEpochSecond(1_700_000_000L + i)
                        + "\",\"payload\":{\"amount\":"
                        + amount
                        + "}}";
        producer.send(new ProducerRecord<>(IN, i % 2, null, json.getBytes(StandardCharsets.UTF_8)))
                .get();
        sent.put(id, amount);
    }

    private static Map<String, Long> stamps() throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (JsonNode n : read(SEEN)) {
            out.put(n.get("event_id").asText(), n.get("config_version").asLong());
        }
        return out;
    }

    private static List<JsonNode> read(String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                CommittedRecords.read(KAFKA.bootstrapServers(), topic)) {
            out.add(JSON.readTree(r.value()));
        }
        return out;
    }

    static String specText(String store) {
        return """
                name: kafka-live-routes
                runtime:
                  parallelism: 2
                  buffer-timeout: 5ms
                sources:
                  - id: events
                    type: kafka
                    bootstrap-servers: %1$s
                    topics: [%2$s]
                    format: json
                    fields:
                      - {name: event_id, type: string}
                      - {name: event_type, type: string}
                      - {name: domain, type: string}
                      - {name: tenant_id, type: string}
                      - {name: scenario_id, type: string}
                      - {name: event_time, type: timestamp}
                      - {name: payload, type: json}
                sinks:
                  - {id: seen, type: kafka, bootstrap-servers: %1$s, topic: %3$s}
                  - {id: big, type: kafka, bootstrap-servers: %1$s, topic: %4$s}
                  - {id: dead, type: kafka, bootstrap-servers: %1$s, topic: %5$s}
                pipelines:
                  - id: shop
                    source: events
                    dead-letters: dead
                    routes:
                      store: %6$s
                      outputs: [seen, big]
                      unrouted: dead
                """
                .formatted(KAFKA.bootstrapServers(), IN, SEEN, BIG, DEAD, store);
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
