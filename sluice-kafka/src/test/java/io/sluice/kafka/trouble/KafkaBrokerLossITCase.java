package io.sluice.kafka.trouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.kafka.broker.LocalBroker;
import io.sluice.kafka.tools.TopicReader;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The broker goes away while a job reads from it and writes to it, and comes back on the same
 * address with its data: the job fails, restarts from its last checkpoint, and every input record
 * reaches the output: exactly once with an exactly-once sink (readers use read_committed), at least
 * once with an at-least-once sink.
 */
class KafkaBrokerLossITCase {
    static final int RECORDS = 2_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @ParameterizedTest
    @ValueSource(strings = {"exactly-once", "at-least-once"})
    void aBrokerLostMidRunLosesNothing(String guarantee, @TempDir Path dir) throws Exception {
        LocalBroker broker = LocalBroker.start(dir.resolve("kafka"), 0);
        int port = broker.port();
        String bootstrap = broker.bootstrapServers();
        try {
            broker.createTopic("in", 1);
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < RECORDS; i++) {
                    String json = "{\"id\": " + i + ", \"ts\": " + (1_700_000_000_000L + i) + "}";
                    producer.send(
                            new ProducerRecord<>("in", json.getBytes(StandardCharsets.UTF_8)));
                }
            }
            Files.writeString(
                    dir.resolve("spec.yaml"),
                    """
                    name: broker-loss
                    runtime: {parallelism: 1, checkpoint-interval: 500ms, restart-attempts: 20}
                    sources:
                      - id: in
                        type: kafka
                        bootstrap-servers: BOOTSTRAP
                        topics: [in]
                        bounded: latest
                        format: json
                        fields: [{name: id, type: long}, {name: ts, type: timestamp}]
                    sinks:
                      - {id: out, type: kafka, bootstrap-servers: BOOTSTRAP, topic: out, delivery-guarantee: GUARANTEE, transaction-timeout: 60s, properties: {delivery.timeout.ms: "8000", request.timeout.ms: "3000", max.block.ms: "3000"}}
                      - {id: dead, type: kafka, bootstrap-servers: BOOTSTRAP, topic: dead}
                    pipelines:
                      - id: p
                        source: in
                        dead-letters: dead
                        steps:
                          - {id: slow, processor: throttle, micros: 2000, output: out}
                    """
                            .replace("BOOTSTRAP", bootstrap)
                            .replace("GUARANTEE", guarantee));
            Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("spec.yaml"));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(
                    Configuration.fromMap(
                            Map.of(
                                    "pipeline.generic-types", "false",
                                    "restart-strategy.type", "fixed-delay",
                                    "restart-strategy.fixed-delay.attempts", "20",
                                    "restart-strategy.fixed-delay.delay", "1 s")));
            new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                    .compose(spec, env);
            ThrottleProcessor.SEEN.set(0);
            ThrottleProcessor.STARTS.set(0);
            JobClient job = env.executeAsync("broker-loss");

            // the broker disappears a third of the way in, and comes back a few seconds later
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> ThrottleProcessor.SEEN.get() >= RECORDS / 3);
            broker.close();
            // The outage lasts 12 s on purpose: longer than the sink producer's delivery timeout
            // (8 s), so the job's writes must fail; the job cannot finish meanwhile.
            await().during(Duration.ofSeconds(12))
                    .atMost(Duration.ofSeconds(17))
                    .until(() -> !job.getJobStatus().get().isTerminalState());
            broker = LocalBroker.start(dir.resolve("kafka"), port);

            job.getJobExecutionResult().get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ThrottleProcessor.STARTS.get())
                    .as("the job failed during the outage and restarted from a checkpoint")
                    .isGreaterThanOrEqualTo(2);
            List<ConsumerRecord<byte[], byte[]>> out =
                    TopicReader.of(bootstrap, "out")
                            .fromBeginning(true)
                            .max(10L * RECORDS)
                            .idleTimeout(Duration.ofSeconds(5))
                            .readAll();
            ObjectMapper json = new ObjectMapper();
            Map<Long, Integer> copies = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : out) {
                JsonNode n = json.readTree(r.value());
                copies.merge(n.get("id").asLong(), 1, Integer::sum);
            }
            assertThat(copies.keySet())
                    .as("every input record arrived")
                    .containsExactlyInAnyOrderElementsOf(
                            IntStream.range(0, RECORDS).mapToObj(i -> (long) i).toList());
            if (guarantee.equals("exactly-once")) {
                assertThat(copies)
                        .as("no record arrived twice")
                        .allSatisfy(
                                (id, n) -> assertThat(n).as("copies of id %d", id).isEqualTo(1));
            }
        } finally {
            broker.close();
        }
    }
}
