package io.sluice.runtime.processor;

import static io.sluice.runtime.testutil.Rows.assertSameRows;
import static io.sluice.runtime.testutil.Rows.drain;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Harnesses;
import io.sluice.runtime.testutil.Specs;
import io.sluice.runtime.testutil.Specs.LoadedStep;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.DoublePrimitiveArraySerializer;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zscore-alert through its keyed operator: alerts against a brute force over each key's previous
 * values (population mean and stddev), the per-key statistics held in state, and their expiry.
 */
class ZScoreAlertProcessorTest {
    /** {@code %s}: the key list. */
    static final String SPEC =
            """
      name: zscore-test
      sources:
        - id: trips
          type: file
          path: trips.csv
          fields:
            - {name: company, type: string}
            - {name: region, type: string}
            - {name: fare, type: double}
      sinks: [{id: alerts, type: console}, {id: dead, type: console}]
      pipelines:
        - id: taxi
          source: trips
          dead-letters: dead
          steps:
            - id: fare-anomaly
              processor: zscore-alert
              key: %s
              value: fare
              k: 2.0
              min-count: 5
              state-ttl: 1h
              output: alerts
      """;

    static final double K = 2.0;
    static final int MIN_COUNT = 5;
    static final long TTL = Duration.ofHours(1).toMillis();

    @TempDir Path tmp;

    static LoadedStep step(String key) {
        return Specs.step(SPEC.formatted(key), "fare-anomaly");
    }

    /** Alert rows by key, then value. */
    static final Comparator<Object[]> ORDER =
            Comparator.<Object[], String>comparing(r -> (String) r[0])
                    .thenComparing(r -> (Double) r[1]);

    @Test
    void alertsMatchABruteForceOverPreviousValuesPerKey() throws Exception {
        Random random = new Random(3);
        Brute brute = new Brute();
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(step("[company]"), tmp)) {
            h.setStateTtlProcessingTime(0);
            for (int i = 0; i < 300; i++) {
                String company = random.nextBoolean() ? "acme" : "zip";
                double base = company.equals("acme") ? 20 : 50;
                double fare = base + random.nextGaussian() * 3;
                if (random.nextInt(15) == 0) {
                    fare += (random.nextBoolean() ? 1 : -1) * 15; // a spike
                }
                fare = Math.round(fare * 100) / 100.0;
                Double value =
                        random.nextInt(20) == 0 ? null : fare; // rows without a value are skipped
                long ts = 1_000L * i;
                h.processElement(row("trips.csv:" + i, company, "north", value), ts);
                List<Object[]> expected = brute.accept(company, value, ts);
                List<EventRow> alerts = drain(h);
                assertSameRows(alerts, expected, ORDER);
                for (EventRow a : alerts) {
                    assertThat(a.origin()).isEqualTo("trips.csv:" + i);
                }
            }
            assertThat(brute.alerts).as("alerts in the sequence").isBetween(5, 60);
            assertThat(h.numKeyedStateEntries()).isEqualTo(2);
            for (String company : List.of("acme", "zip")) {
                double[] state = stats(h, EventRow.of(company));
                double[] expected = brute.stats(company);
                assertThat(state[0]).isEqualTo(expected[0]);
                assertThat(state[1]).isCloseTo(expected[1], within(Math.abs(expected[1]) * 1e-9));
                assertThat(state[2]).isCloseTo(expected[2], within(Math.abs(expected[2]) * 1e-9));
            }
        }
    }

    @Test
    void exactAlertByHand() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(step("[company]"), tmp)) {
            // 8, 10, 12, 10, 10: mean 10, population variance (4 + 0 + 4 + 0 + 0) / 5 = 1.6
            for (double v : new double[] {8, 10, 12, 10, 10}) {
                h.processElement(row("f:1", "acme", "n", v), 100L);
            }
            h.processElement(
                    row("f:2", "acme", "n", 12.5), 200L); // z = 2.5 / 1.2649 = 1.976: no alert
            assertThat(drain(h)).isEmpty();
            // now 6 values: mean 62.5 / 6, m2 = sum of squares about it
            double[] prev = {8, 10, 12, 10, 10, 12.5};
            double mean = 62.5 / 6;
            double m2 = 0;
            for (double p : prev) {
                m2 += (p - mean) * (p - mean);
            }
            double sd = Math.sqrt(m2 / 6);
            h.processElement(row("f:3", "acme", "n", 4.0), 300L);
            List<EventRow> alerts = drain(h);
            assertThat(alerts).hasSize(1);
            io.sluice.runtime.testutil.Rows.assertValues(
                    alerts.get(0), "acme", 4.0, mean, sd, (4.0 - mean) / sd, 300L, "fare-anomaly");
            assertThat(alerts.get(0).origin()).isEqualTo("f:3");
        }
    }

    @Test
    void noAlertWhileTheStddevIsZeroOrTheCountTooSmall() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(step("[company]"), tmp)) {
            for (int i = 0; i < 10; i++) {
                h.processElement(row("f", "flat", "n", 5.0), i);
            }
            h.processElement(
                    row("f", "flat", "n", 500.0), 11L); // stddev of the previous values is 0
            h.processElement(row("f", "young", "n", 1.0), 12L);
            h.processElement(row("f", "young", "n", 2.0), 13L);
            h.processElement(row("f", "young", "n", 1000.0), 14L); // only 2 previous values
            assertThat(drain(h)).isEmpty();
            assertThat(stats(h, EventRow.of("flat"))[0]).isEqualTo(11.0);
            assertThat(stats(h, EventRow.of("young"))[0]).isEqualTo(3.0);
        }
    }

    @Test
    void compositeKeysAreJoinedInTheAlert() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(step("[company, region]"), tmp)) {
            for (double v : new double[] {1, 2, 1, 2, 1, 2}) {
                h.processElement(row("f", "acme", "north", v), 1L);
                h.processElement(
                        row("f", "acme", "south", v * 100), 1L); // a different statistics group
            }
            h.processElement(row("f", "acme", "north", 9.0), 2L);
            List<EventRow> alerts = drain(h);
            assertThat(alerts).hasSize(1);
            assertThat(alerts.get(0).get(0)).isEqualTo("acme|north");
            assertThat(alerts.get(0).get(1)).isEqualTo(9.0);
            assertThat(h.numKeyedStateEntries()).isEqualTo(2);
        }
    }

    @Test
    void statisticsExpireAfterTheTtlWithoutUpdates() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(step("[company]"), tmp)) {
            h.setStateTtlProcessingTime(0);
            double[] history = {10, 11, 9, 10, 11, 9};
            for (double v : history) {
                h.processElement(row("f", "stale", "n", v), 1L);
                h.processElement(row("f", "fresh", "n", v), 1L);
            }
            // "fresh" is written again half-way through the TTL, which restarts its clock
            h.setStateTtlProcessingTime(TTL / 2);
            h.processElement(row("f", "fresh", "n", 10.0), 2L);

            h.setStateTtlProcessingTime(TTL + 1);
            h.processElement(row("f", "fresh", "n", 100.0), 3L);
            h.processElement(row("f", "stale", "n", 100.0), 3L);

            List<EventRow> alerts = drain(h);
            assertThat(alerts).extracting(a -> a.get(0)).containsExactly("fresh");
            double[] stale = stats(h, EventRow.of("stale"));
            assertThat(stale)
                    .containsExactly(1.0, 100.0, 0.0); // a fresh count, started by the last value
            assertThat(stats(h, EventRow.of("fresh"))[0]).isEqualTo(history.length + 2.0);

            // the restarted key needs min-count values again before it can alert
            for (int i = 0; i < MIN_COUNT - 2; i++) {
                h.processElement(row("f", "stale", "n", 100.0 + (i % 2 == 0 ? 1 : -1)), 4L);
            }
            h.processElement(row("f", "stale", "n", 0.0), 5L); // 4 previous values: no alert yet
            assertThat(drain(h)).isEmpty();
        }
    }

    @Test
    void everyKeysStatisticsExpire() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(step("[company]"), tmp)) {
            h.setStateTtlProcessingTime(0);
            h.processElement(row("f", "a", "n", 1.0), 1L);
            h.processElement(row("f", "b", "n", 2.0), 1L);
            h.setStateTtlProcessingTime(TTL);
            assertThat(stats(h, EventRow.of("a"))).isNull();
            assertThat(stats(h, EventRow.of("b"))).isNull();
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** The operator's statistics for {@code key}: [count, mean, m2], or null. */
    private static double[] stats(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h, EventRow key)
            throws Exception {
        ValueStateDescriptor<double[]> d =
                new ValueStateDescriptor<>("zscore-stats", DoublePrimitiveArraySerializer.INSTANCE);
        d.enableTimeToLive(
                StateTtlConfig.newBuilder(Duration.ofMillis(TTL))
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        h.getOperator().setCurrentKey(key);
        ValueState<double[]> state =
                h.getOperator()
                        .getKeyedStateBackend()
                        .getPartitionedState(
                                VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, d);
        double[] v = state.value();
        return v == null ? null : v.clone();
    }

    /** Per key, the previous values; alerts computed from them with two-pass statistics. */
    static final class Brute {
        final Map<String, List<Double>> previous = new HashMap<>();
        int alerts;

        List<Object[]> accept(String key, Double value, long ts) {
            List<Object[]> out = new ArrayList<>();
            if (value == null) {
                return out;
            }
            List<Double> prev = previous.computeIfAbsent(key, k -> new ArrayList<>());
            int n = prev.size();
            if (n >= MIN_COUNT) {
                double mean = prev.stream().mapToDouble(Double::doubleValue).sum() / n;
                double sd =
                        Math.sqrt(
                                prev.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / n);
                if (sd > 0) {
                    double z = (value - mean) / sd;
                    if (Math.abs(z) > K) {
                        out.add(new Object[] {key, value, mean, sd, z, ts, "fare-anomaly"});
                        alerts++;
                    }
                }
            }
            prev.add(value);
            return out;
        }

        /** [count, mean, sum of squared deviations] of everything seen for {@code key}. */
        double[] stats(String key) {
            List<Double> xs = previous.get(key);
            double mean = xs.stream().mapToDouble(Double::doubleValue).sum() / xs.size();
            double m2 = xs.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum();
            return new double[] {xs.size(), mean, m2};
        }
    }
}
