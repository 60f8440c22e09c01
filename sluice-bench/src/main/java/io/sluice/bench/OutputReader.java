package io.sluice.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The latency benchmark's consumer: one thread reading every partition of the job's output topic
 * from the beginning and handing each record to a handler with its consume time (epoch nanoseconds
 * of {@link EpochClock}, taken when the poll that returned it came back).
 */
final class OutputReader implements Runnable {
    interface Handler {
        void accept(byte[] value, long consumedNanos);
    }

    private final Properties config;
    private final String topic;
    private final Handler handler;
    private final AtomicLong received = new AtomicLong();
    private volatile boolean stop;
    private volatile boolean assigned;
    private volatile long lastReceiveNanoTime = System.nanoTime();
    private volatile Throwable failure;

    OutputReader(String bootstrapServers, String topic, Handler handler) {
        this.topic = topic;
        this.handler = handler;
        this.config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // at-least-once outputs: nothing to wait for (read_committed would change nothing here)
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-bench-latency-reader");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    }

    @Override
    public void run() {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            partitions.forEach(consumer::position);
            assigned = true;
            while (!stop) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(20));
                if (records.isEmpty()) {
                    continue;
                }
                long now = EpochClock.nanos();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    handler.accept(r.value(), now);
                }
                received.addAndGet(records.count());
                lastReceiveNanoTime = System.nanoTime();
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    void stop() {
        stop = true;
    }

    boolean assigned() {
        return assigned;
    }

    long received() {
        return received.get();
    }

    /** How long ago the last record arrived ({@link System#nanoTime()} based). */
    Duration idle() {
        return Duration.ofNanos(System.nanoTime() - lastReceiveNanoTime);
    }

    Throwable failure() {
        return failure;
    }
}
