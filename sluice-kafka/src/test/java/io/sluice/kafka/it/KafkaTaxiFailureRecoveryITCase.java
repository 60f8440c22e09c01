package io.sluice.kafka.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.model.Spec;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * As {@link KafkaTaxiExactlyOnceITCase}, with a step ({@link FailOnceProcessor}) that throws once,
 * after 12,000 rows and a completed checkpoint: the job restarts from that checkpoint, re-reads the
 * records after it and aborts the transactions it had open. The committed outputs must still be
 * exactly the reference's: nothing lost, nothing twice.
 */
class KafkaTaxiFailureRecoveryITCase {
    static final int ROWS = 20_000;
    static final int FAIL_AFTER = 12_000;
    static final TaxiOnKafka.Topics TOPICS = new TaxiOnKafka.Topics("taxi-recovery");

    @RegisterExtension static final SharedKafka KAFKA = new SharedKafka();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;

    static Spec spec;
    static TaxiExpected expected;
    static TaxiOnKafka.Outputs out;

    @BeforeAll
    static void replayRunWithAFailureAndRead() throws Exception {
        List<byte[]> lines = TaxiExpected.lines(ROWS);
        expected = TaxiExpected.of(lines);
        assertThat(TaxiOnKafka.replay(KAFKA, TOPICS, lines, dir).sent()).isEqualTo(ROWS);
        spec =
                TaxiOnKafka.spec(
                        KAFKA.bootstrapServers(),
                        TOPICS,
                        text ->
                                TaxiOnKafka.replace(
                                        TaxiOnKafka.replace(
                                                text,
                                                "checkpoint-interval: 5s",
                                                "checkpoint-interval: 500ms"),
                                        "      - id: plausible-speed\n",
                                        "      - {id: crash, processor: fail-once, after: "
                                                + FAIL_AFTER
                                                + "}\n\n"
                                                + "      - id: plausible-speed\n"));
        assertThat(spec.runtime().restartAttempts()).isGreaterThanOrEqualTo(1);
        assertThat(spec.pipelines().get(0).steps())
                .extracting(s -> s.processor())
                .containsSubsequence("derive", "fail-once", "validate");

        FailOnceProcessor.reset();
        TaxiOnKafka.run(spec, dir.resolve("out"));
        out = TaxiOnKafka.read(KAFKA.bootstrapServers(), TOPICS);
    }

    @Test
    void theJobFailedOnceAfterACheckpointAndRestartedFromIt() {
        assertThat(FailOnceProcessor.FAILED).isTrue();
        assertThat(FailOnceProcessor.ROWS_BEFORE_FAILURE.get())
                .isBetween((long) FAIL_AFTER, (long) ROWS - 1);
        assertThat(FailOnceProcessor.CHECKPOINT_BEFORE_FAILURE.get()).isPositive();
        // Flink's own account: the task ran a second attempt (one restart), restored from a
        // checkpoint no older than the one completed before the failure
        assertThat(FailOnceProcessor.ATTEMPTS).containsExactly(0, 1);
        assertThat(FailOnceProcessor.RESTORED_FROM.get())
                .isGreaterThanOrEqualTo(FailOnceProcessor.CHECKPOINT_BEFORE_FAILURE.get());
    }

    @Test
    void theInputIsRealistic() {
        TaxiOnKafka.assertInputIsRealistic(expected);
    }

    @Test
    void areaStatsAreExactlyTheReference() {
        TaxiOnKafka.assertAreaStats(out, expected);
    }

    @Test
    void fareAlertsAreExactlyTheReferenceInOrder() {
        TaxiOnKafka.assertAlerts(out, expected);
    }

    @Test
    void lateTripsAreExactlyTheReference() {
        TaxiOnKafka.assertLateTrips(out, expected);
    }

    @Test
    void deadLettersAreExactlyTheReference() {
        TaxiOnKafka.assertDeadLetters(out, expected, TOPICS);
    }

    @Test
    void everyRecordCarriesTheSpecHashAndConfigVersion() {
        TaxiOnKafka.assertStamps(out, spec);
    }
}
