package io.sluice.kafka.it;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;

/**
 * Reads every committed record of a topic, the way a downstream application with {@code
 * isolation.level=read_committed} sees it. Unlike reading until the topic is idle, it reads exactly
 * up to each partition's last stable offset taken when reading starts, so it neither stops early
 * nor waits for nothing: call it once the job that writes the topic has finished.
 */
final class CommittedRecords {
    private CommittedRecords() {}

    /** Partition by partition, each in offset order. */
    static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config(bootstrap))) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                throw new AssertionError("topic '" + topic + "' does not exist");
            }
            List<TopicPartition> partitions =
                    infos.stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                            .toList();
            // read_committed: the end offsets are the last stable offsets, past every
            // committed transaction's marker
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            // a record deleted (e.g. by time retention) would otherwise just be missing
            consumer.beginningOffsets(partitions)
                    .forEach(
                            (p, first) -> {
                                if (first != 0) {
                                    throw new AssertionError(
                                            p
                                                    + " starts at offset "
                                                    + first
                                                    + ": records were deleted");
                                }
                            });
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<List<ConsumerRecord<byte[], byte[]>>> byPartition = new ArrayList<>();
            partitions.forEach(p -> byPartition.add(new ArrayList<>()));
            Awaitility.await("committed records of " + topic + " up to " + end)
                    .atMost(Duration.ofSeconds(30))
                    .pollInSameThread()
                    .pollInterval(Duration.ofMillis(1))
                    .until(
                            () -> {
                                for (ConsumerRecord<byte[], byte[]> r :
                                        consumer.poll(Duration.ofMillis(100))) {
                                    byPartition.get(partitions.indexOf(tp(r))).add(r);
                                }
                                return partitions.stream()
                                        .allMatch(p -> consumer.position(p) >= end.get(p));
                            });
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            byPartition.forEach(all::addAll);
            return all;
        }
    }

    static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : text(h.value());
    }

    private static TopicPartition tp(ConsumerRecord<?, ?> r) {
        return new TopicPartition(r.topic(), r.partition());
    }

    private static Properties config(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        return p;
    }
}
