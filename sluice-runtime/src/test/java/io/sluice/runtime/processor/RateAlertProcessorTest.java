package io.sluice.runtime.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.row.EventRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * {@code rate-alert} against a brute force that keeps every event: for random bursts, out-of-order
 * times included, it alerts at exactly the events where the count within the window ending at the
 * latest time first exceeds the threshold, once per crossing.
 */
class RateAlertProcessorTest {
    static final long MINUTE = 60_000;

    /** Indexes of the events that alert, by the brute force. */
    static List<Integer> bruteForce(long[] times, long window, int threshold) {
        List<Integer> out = new ArrayList<>();
        boolean armed = true;
        long latest = Long.MIN_VALUE;
        for (int i = 0; i < times.length; i++) {
            latest = Math.max(latest, times[i]);
            int count = 0;
            for (int j = 0; j <= i; j++) {
                if (times[j] > latest - window) {
                    count++;
                }
            }
            boolean over = count > threshold;
            if (!over) {
                armed = true;
            } else if (armed) {
                out.add(i);
                armed = false;
            }
        }
        return out;
    }

    static long[] bursts(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] t = new long[n];
        long now = 0;
        for (int i = 0; i < n; i++) {
            // quiet stretches and bursts, and some events a few minutes late
            now += r.nextDouble() < 0.2 ? r.nextLong(20 * MINUTE) : r.nextLong(40_000);
            t[i] = r.nextDouble() < 0.1 ? now - r.nextLong(5 * MINUTE) : now;
        }
        return t;
    }

    @Test
    void alertsExactlyWhereTheBruteForceCrosses() {
        int checked = 0;
        for (long seed = 1; seed <= 200; seed++) {
            long[] times = bursts(seed, 400);
            int threshold = (int) (seed % 25);
            long window = (5 + seed % 11) * MINUTE;
            List<Integer> actual = new ArrayList<>();
            double[] s = null;
            for (int i = 0; i < times.length; i++) {
                s = RateAlertProcessor.observe(s, times[i], window, threshold);
                if (s[0] < 0) {
                    s[0] = 0;
                    actual.add(i);
                }
                assertThat(s.length - 1).isLessThanOrEqualTo(threshold + 1);
            }
            List<Integer> expected = bruteForce(times, window, threshold);
            assertThat(actual).as("seed %d", seed).isEqualTo(expected);
            checked += expected.size();
        }
        assertThat(checked).as("alerts compared").isGreaterThan(500);
    }

    @Test
    void theStepAlertsOncePerCrossingPerKey() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new RateAlertProcessor.RateFunction(
                                        10 * MINUTE, 3, Duration.ofHours(1), "too-many")),
                        new KeyProjector(new int[] {0}),
                        new io.sluice.runtime.row.EventRowTypeInfo(
                                io.sluice.spec.model.RowSchema.of(
                                        new io.sluice.spec.model.Field(
                                                "user_id",
                                                io.sluice.spec.model.FieldType.STRING,
                                                false))));
        h.open();
        // u-1: four within 10 min (alert), a fifth (no second alert), then quiet, then four again
        long[] u1 = {
            0,
            MINUTE,
            2 * MINUTE,
            3 * MINUTE,
            4 * MINUTE,
            30 * MINUTE,
            31 * MINUTE,
            32 * MINUTE,
            33 * MINUTE
        };
        for (long t : u1) {
            h.processElement(new StreamRecord<>(EventRow.of("u-1"), t));
            h.processElement(new StreamRecord<>(EventRow.of("u-2"), t * 4)); // never 4 in 10 min
        }
        List<String> alerts = new ArrayList<>();
        for (Object o : h.extractOutputValues()) {
            EventRow a = (EventRow) o;
            alerts.add(
                    a.get(0) + " " + a.get(1) + " " + a.get(2) + ".." + a.get(3) + " " + a.get(5));
        }
        assertThat(alerts)
                .containsExactly("u-1 4 0..180000 too-many", "u-1 4 1800000..1980000 too-many");
        h.close();
    }
}
