package io.sluice.kafka.tools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic's committed records (all partitions, {@code isolation.level=read_committed}, no
 * consumer group, nothing committed) until it has {@link #max} records or none arrived for {@link
 * #idleTimeout}. Records of aborted or still-open transactions are never seen.
 *
 * <pre>{@code
 * List<ConsumerRecord<byte[], byte[]>> records =
 *         TopicReader.of(bootstrap, "trip-features").max(100).idleTimeout(Duration.ofSeconds(5)).readAll();
 * }</pre>
 */
public final class TopicReader {
    /** Why reading stopped. */
    public enum Stop {
        /** {@link #max} records were read. */
        MAX,
        /** no record arrived for the idle timeout. */
        IDLE,
        /** the topic did not exist within the idle timeout. */
        NO_TOPIC
    }

    public record Result(long count, Stop stop) {}

    private final String bootstrapServers;
    private final String topic;
    private boolean fromBeginning = true;
    private long max = Long.MAX_VALUE;
    private Duration idleTimeout = Duration.ofSeconds(5);

    private TopicReader(String bootstrapServers, String topic) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
    }

    public static TopicReader of(String bootstrapServers, String topic) {
        return new TopicReader(bootstrapServers, topic);
    }

    /** From the first record (the default), or only records written after reading starts. */
    public TopicReader fromBeginning(boolean fromBeginning) {
        this.fromBeginning = fromBeginning;
        return this;
    }

    public TopicReader max(long records) {
        this.max = records;
        return this;
    }

    public TopicReader idleTimeout(Duration idle) {
        this.idleTimeout = idle;
        return this;
    }

    /** Reads into a list; see {@link #read(Consumer)}. */
    public List<ConsumerRecord<byte[], byte[]>> readAll() {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        read(out::add);
        return out;
    }

    /**
     * Hands each record to {@code each}, partition by partition in offset order within a poll.
     * Waits up to the idle timeout for the topic to exist.
     */
    public Result read(Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config())) {
            long start = System.nanoTime();
            List<TopicPartition> partitions = partitions(consumer);
            while (partitions.isEmpty()) {
                if (System.nanoTime() - start >= idleTimeout.toNanos()) {
                    return new Result(0, Stop.NO_TOPIC);
                }
                // an unknown topic is answered at once: do not flood the broker with requests
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                partitions = partitions(consumer);
            }
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            // seeks are lazy: fix the positions now, so "from the end" means from now
            partitions.forEach(consumer::position);
            long count = 0;
            long lastRecord = System.nanoTime();
            while (count < max) {
                long idleNanos = System.nanoTime() - lastRecord;
                if (idleNanos >= idleTimeout.toNanos()) {
                    return new Result(count, Stop.IDLE);
                }
                long wait =
                        Math.min(200, Math.max(1, (idleTimeout.toNanos() - idleNanos) / 1_000_000));
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(wait));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (count >= max) {
                        break;
                    }
                    each.accept(r);
                    count++;
                }
                if (!records.isEmpty()) {
                    lastRecord = System.nanoTime();
                }
            }
            return new Result(count, Stop.MAX);
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        List<TopicPartition> out = new ArrayList<>();
        if (infos != null) {
            for (PartitionInfo p : infos) {
                out.add(new TopicPartition(p.topic(), p.partition()));
            }
        }
        return out;
    }

    private Properties config() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // reading must not create the topic (the broker auto-creates topics on metadata requests)
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-topic-reader");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        return p;
    }
}
