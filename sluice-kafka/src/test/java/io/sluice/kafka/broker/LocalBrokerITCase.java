package io.sluice.kafka.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.kafka.tools.TopicReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real in-process KRaft broker: plain and transactional clients, restarts, a taken port. */
class LocalBrokerITCase {
    private static final Duration IDLE = Duration.ofSeconds(3);

    @TempDir Path dir;

    @Test
    void producesConsumesAndKeepsRecordsAcrossARestart() throws Exception {
        String clusterId;
        try (LocalBroker broker = LocalBroker.start(dir, 0)) {
            assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
            assertThat(broker.dataDir()).isEqualTo(dir.toAbsolutePath());
            broker.createTopic("plain", 2);
            broker.createTopic("plain", 2); // idempotent

            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(producerConfig(broker, null))) {
                for (int i = 1; i <= 3; i++) {
                    producer.send(new ProducerRecord<>("plain", "k" + i, "v" + i)).get();
                }
            }
            assertThat(consumeWithGroup(broker, "plain", 3))
                    .containsExactlyInAnyOrder("k1=v1", "k2=v2", "k3=v3");
            clusterId = Files.readString(dir.resolve("cluster.id")).strip();

            assertThatThrownBy(() -> LocalBroker.start(dir, 0))
                    .isInstanceOf(IOException.class)
                    .hasMessage(
                            "another Kafka broker is using "
                                    + dir.toAbsolutePath()
                                    + "; stop it, or pass another --data-dir");
            broker.createTopic("still-running", 1); // the refused start left the broker alone
        }

        try (LocalBroker again = LocalBroker.start(dir, 0)) {
            assertThat(Files.readString(dir.resolve("cluster.id")).strip()).isEqualTo(clusterId);
            List<String> values = values(again, "plain");
            assertThat(values).containsExactlyInAnyOrder("v1", "v2", "v3");
        }
    }

    @Test
    void abortedTransactionsAreInvisibleToReadCommitted() throws Exception {
        try (LocalBroker broker = LocalBroker.start(dir, 0)) {
            broker.createTopic("tx", 1);
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(producerConfig(broker, "sluice-test-tx"))) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx", "committed-1"));
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx", "aborted"));
                producer.flush();
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx", "committed-2"));
                producer.commitTransaction();
            }

            assertThat(values(broker, "tx")).containsExactly("committed-1", "committed-2");
            // the aborted record is in the log: only the isolation level hides it
            assertThat(readUncommitted(broker, "tx"))
                    .containsExactly("committed-1", "aborted", "committed-2");
        }
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> LocalBroker.start(dir, port))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("port " + port + " is in use; pass --port");
        }
    }

    private static Properties producerConfig(LocalBroker broker, String transactionalId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        if (transactionalId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return p;
    }

    /** A subscribed consumer in a group, as an application would read. */
    private static List<String> consumeWithGroup(LocalBroker broker, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "sluice-test-group");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(
                            () -> {
                                for (ConsumerRecord<String, String> r :
                                        consumer.poll(Duration.ofMillis(200))) {
                                    seen.add(r.key() + "=" + r.value());
                                }
                                return seen.size() >= expected;
                            });
            consumer.commitSync();
        }
        return seen;
    }

    private static List<String> readUncommitted(LocalBroker broker, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            org.apache.kafka.common.TopicPartition tp =
                    new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(
                            () -> {
                                consumer.poll(Duration.ofMillis(200))
                                        .forEach(r -> seen.add(r.value()));
                                return seen.size() >= 3;
                            });
        }
        return seen;
    }

    private static List<String> values(LocalBroker broker, String topic) {
        return TopicReader.of(broker.bootstrapServers(), topic).idleTimeout(IDLE).readAll().stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .toList();
    }
}
