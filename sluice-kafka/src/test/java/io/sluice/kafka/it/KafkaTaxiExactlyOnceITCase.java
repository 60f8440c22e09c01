package io.sluice.kafka.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.kafka.tools.Replay;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.model.Spec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/taxi/taxi-kafka.yaml on a real broker: 20,000 generated trips replayed into a topic, the
 * job run at parallelism 1 until the input's end with exactly-once sinks (a checkpoint every
 * second), and every committed record of every output topic compared with the brute-force
 * reference.
 */
class KafkaTaxiExactlyOnceITCase {
    static final int ROWS = 20_000;
    static final TaxiOnKafka.Topics TOPICS = new TaxiOnKafka.Topics("taxi-eo");

    @RegisterExtension static final SharedKafka KAFKA = new SharedKafka();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;

    static Replay.Counts replayed;
    static Spec spec;
    static JobExecutionResult result;
    static TaxiExpected expected;
    static TaxiOnKafka.Outputs out;

    @BeforeAll
    static void replayRunAndRead() throws Exception {
        List<byte[]> lines = TaxiExpected.lines(ROWS);
        expected = TaxiExpected.of(lines);
        replayed = TaxiOnKafka.replay(KAFKA, TOPICS, lines, dir);
        spec =
                TaxiOnKafka.spec(
                        KAFKA.bootstrapServers(),
                        TOPICS,
                        text ->
                                TaxiOnKafka.replace(
                                        text,
                                        "checkpoint-interval: 5s",
                                        "checkpoint-interval: 1s"));
        assertThat(spec.sinks())
                .allSatisfy(
                        s ->
                                assertThat(s.options().string("delivery-guarantee"))
                                        .isEqualTo("exactly-once"));
        result = TaxiOnKafka.run(spec, dir.resolve("out"));
        out = TaxiOnKafka.read(KAFKA.bootstrapServers(), TOPICS);
    }

    @Test
    void outputsWereWrittenInTransactions() {
        // each committed transaction leaves a marker that takes an offset of its own, so a topic
        // written in transactions ends past its records; an at-least-once sink would end at them
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", KAFKA.bootstrapServers());
        try (var consumer =
                new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                        p,
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var partitions =
                    consumer.partitionsFor(TOPICS.areaStats()).stream()
                            .map(
                                    i ->
                                            new org.apache.kafka.common.TopicPartition(
                                                    i.topic(), i.partition()))
                            .toList();
            long end =
                    consumer.endOffsets(partitions).values().stream()
                            .mapToLong(Long::longValue)
                            .sum();
            assertThat(end).isGreaterThan(out.areaStats().size());
        }
    }

    @Test
    void theInputIsRealistic() {
        TaxiOnKafka.assertInputIsRealistic(expected);
    }

    @Test
    void everyLineBecameOneRecordAndOnlyCleanCsvBecameJson() {
        // the lines the reference cannot split into columns are the ones replayed unchanged
        long unsplittable =
                expected.dead.stream()
                        .filter(
                                d ->
                                        List.of("invalid-utf8", "empty-line", "malformed-csv")
                                                .contains(d.reason()))
                        .count();
        assertThat(replayed)
                .isEqualTo(
                        new Replay.Counts(
                                Replay.Format.CSV, ROWS, ROWS - unsplittable, unsplittable));
    }

    @Test
    void everyRecordIsReadOnceAndAccountedFor() {
        Map<String, Object> acc = result.getAllAccumulatorResults();
        long dead =
                acc.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(Counters.DEAD_PREFIX))
                        .mapToLong(e -> (Long) e.getValue())
                        .sum();
        assertThat(acc.get(Counters.ROWS_IN)).isEqualTo((long) ROWS);
        assertThat(acc.get(Counters.ACCEPTED)).isEqualTo(expected.accepted);
        assertThat(dead).isEqualTo(expected.dead.size());
    }

    @Test
    void areaStatsMatchTheReferenceAndAreKeyedByArea() {
        TaxiOnKafka.assertAreaStats(out, expected);
    }

    @Test
    void fareAlertsMatchTheReferenceInOrder() {
        TaxiOnKafka.assertAlerts(out, expected);
    }

    @Test
    void lateTripsMatchTheReference() {
        TaxiOnKafka.assertLateTrips(out, expected);
    }

    @Test
    void deadLettersMatchTheReferenceWithKafkaOrigins() {
        TaxiOnKafka.assertDeadLetters(out, expected, TOPICS);
    }

    @Test
    void everyRecordCarriesTheSpecHashAndConfigVersion() {
        TaxiOnKafka.assertStamps(out, spec);
    }
}
