package io.sluice.runtime.processor;

import static io.sluice.runtime.testutil.Rows.assertSameRows;
import static io.sluice.runtime.testutil.Rows.assertValues;
import static io.sluice.runtime.testutil.Rows.dl;
import static io.sluice.runtime.testutil.Rows.drain;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.compose.Emitted;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.testutil.Harnesses;
import io.sluice.runtime.testutil.Specs;
import io.sluice.runtime.testutil.Specs.LoadedStep;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The window-aggregate operator as the processor builds it, driven row by row and watermark by
 * watermark; every emission is checked against a brute-force model of event-time sliding windows
 * with allowed lateness written in this test.
 */
class WindowAggregateProcessorTest {
    static final long MINUTE = 60_000L;
    static final long T0 =
            Instant.parse("2024-01-01T00:00:00Z").toEpochMilli(); // a multiple of 5 minutes

    /** {@code %s}: window, allowed lateness, extra step keys. */
    static final String SPEC =
            """
      name: window-test
      sources:
        - id: trips
          type: file
          path: trips.csv
          fields:
            - {name: area, type: long}
            - {name: ts, type: timestamp}
            - {name: fare, type: double}
          event-time: {field: ts}
      sinks: [{id: out, type: console}, {id: dead, type: console}, {id: late, type: console}]
      pipelines:
        - id: taxi
          source: trips
          dead-letters: dead
          steps:
            - id: area-stats
              processor: window-aggregate
              key: [area]
              window: %s
              allowed-lateness: %s
              aggregates:
                - {name: trips, fn: count}
                - {name: fares, fn: count, field: fare}
                - {name: total, fn: sum, field: fare}
                - {name: avg_fare, fn: avg, field: fare}
                - {name: min_fare, fn: min, field: fare}
                - {name: max_fare, fn: max, field: fare}
                - {name: fare_sd, fn: stddev, field: fare}
              output: out
      %s
      """;

    static final String HOURLY = "{type: sliding, size: 1h, slide: 5m}";
    static final String SHORT = "{type: sliding, size: 10m, slide: 5m}";
    static final String LATE_OUTPUT = "        late-output: late";

    /** Key first (nulls first), then window start. */
    static final Comparator<Object[]> BY_KEY_AND_WINDOW =
            Comparator.<Object[], Long>comparing(
                            r -> (Long) r[0], Comparator.nullsFirst(Comparator.naturalOrder()))
                    .thenComparing(r -> (Long) r[1]);

    @TempDir Path tmp;

    static String spec(String window, String lateness, String extra) {
        return SPEC.formatted(window, lateness, extra);
    }

    static OutputTag<EventRow> lateTag(LoadedStep s) {
        return new OutputTag<>("taxi.area-stats.late", new EventRowTypeInfo(s.step().input()));
    }

    static EventRow trip(Long area, long ts, Double fare) {
        return row("trips.csv:" + ts, area, ts, fare);
    }

    @Test
    void resultSchemaIsKeyWindowBoundsAndAggregates() {
        LoadedStep s = Specs.step(spec(HOURLY, "0s", LATE_OUTPUT), "area-stats");
        assertThat(s.step().result().names())
                .containsExactly(
                        "area",
                        "window_start",
                        "window_end",
                        "trips",
                        "fares",
                        "total",
                        "avg_fare",
                        "min_fare",
                        "max_fare",
                        "fare_sd");
        StepResult r = Harnesses.apply(s, tmp);
        assertThat(r.deadLetters()).isNull();
        assertThat(r.extra()).hasSize(1);
        Emitted late = r.extra().get(0);
        assertThat(late.sinkId()).isEqualTo("late");
        assertThat(late.producerUid()).isEqualTo("taxi.area-stats.late");
        assertThat(late.schema()).isEqualTo(s.step().input());
    }

    @Test
    void smallSlidingWindowsByHand() throws Exception {
        LoadedStep s = Specs.step(spec(SHORT, "0s", LATE_OUTPUT), "area-stats");
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            push(h, trip(1L, T0 + MINUTE, 10.0));
            push(h, trip(1L, T0 + 4 * MINUTE, 20.0));
            push(h, trip(1L, T0 + 7 * MINUTE, 30.0));
            push(h, trip(2L, T0 + 3 * MINUTE, null));
            assertThat(drain(h)).isEmpty();

            h.processWatermark(T0 + 5 * MINUTE - 1); // closes [-5m, 5m)
            assertSameRows(
                    drain(h),
                    List.of(
                            new Object[] {
                                1L,
                                T0 - 5 * MINUTE,
                                T0 + 5 * MINUTE,
                                2L,
                                2L,
                                30.0,
                                15.0,
                                10.0,
                                20.0,
                                5.0
                            },
                            new Object[] {
                                2L,
                                T0 - 5 * MINUTE,
                                T0 + 5 * MINUTE,
                                1L,
                                0L,
                                null,
                                null,
                                null,
                                null,
                                null
                            }),
                    BY_KEY_AND_WINDOW);

            h.processWatermark(T0 + 20 * MINUTE);
            assertSameRows(
                    drain(h),
                    List.of(
                            // 10, 20, 30: mean 20, population variance (100 + 0 + 100) / 3
                            new Object[] {
                                1L,
                                T0,
                                T0 + 10 * MINUTE,
                                3L,
                                3L,
                                60.0,
                                20.0,
                                10.0,
                                30.0,
                                Math.sqrt(200.0 / 3)
                            },
                            new Object[] {
                                2L, T0, T0 + 10 * MINUTE, 1L, 0L, null, null, null, null, null
                            },
                            new Object[] {
                                1L,
                                T0 + 5 * MINUTE,
                                T0 + 15 * MINUTE,
                                1L,
                                1L,
                                30.0,
                                30.0,
                                30.0,
                                30.0,
                                0.0
                            }),
                    BY_KEY_AND_WINDOW);

            EventRow late = trip(1L, T0 + 2 * MINUTE, 99.0);
            push(h, late);
            assertThat(drain(h)).isEmpty();
            List<EventRow> lateRows = drain(h, lateTag(s));
            assertThat(lateRows).containsExactly(late);
            assertThat(lateRows.get(0).origin()).isEqualTo(late.origin());
            assertThat(lateRows.get(0).raw()).isEqualTo(late.raw());

            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void hourlyWindowsSlidingEveryFiveMinutesMatchTheModel() throws Exception {
        LoadedStep s = Specs.step(spec(HOURLY, "0s", LATE_OUTPUT), "area-stats");
        Model model = new Model(60 * MINUTE, 5 * MINUTE, 0);
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            runRandomTrips(h, s, model, 42, 2 * MINUTE);
        }
        assertThat(model.emissions).isGreaterThan(100);
        assertThat(model.lateRows).isGreaterThan(3);
    }

    @Test
    void allowedLatenessUpdatesAFiredWindow() throws Exception {
        LoadedStep s = Specs.step(spec(SHORT, "5m", LATE_OUTPUT), "area-stats");
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            push(h, trip(1L, T0 + MINUTE, 10.0));
            h.processWatermark(T0 + 10 * MINUTE - 1); // fires [-5m, 5m) and [0, 10m)
            assertSameRows(
                    drain(h),
                    List.of(
                            new Object[] {
                                1L,
                                T0 - 5 * MINUTE,
                                T0 + 5 * MINUTE,
                                1L,
                                1L,
                                10.0,
                                10.0,
                                10.0,
                                10.0,
                                0.0
                            },
                            new Object[] {
                                1L, T0, T0 + 10 * MINUTE, 1L, 1L, 10.0, 10.0, 10.0, 10.0, 0.0
                            }),
                    BY_KEY_AND_WINDOW);

            // [-5m, 5m) is past its lateness (cleanup at 10m - 1 ms); [0, 10m) still takes it and
            // fires again
            push(h, trip(1L, T0 + 2 * MINUTE, 30.0));
            assertSameRows(
                    drain(h),
                    List.<Object[]>of(
                            new Object[] {
                                1L, T0, T0 + 10 * MINUTE, 2L, 2L, 40.0, 20.0, 10.0, 30.0, 10.0
                            }),
                    BY_KEY_AND_WINDOW);
            assertThat(drain(h, lateTag(s))).isEmpty();

            h.processWatermark(T0 + 15 * MINUTE - 1); // cleanup of [0, 10m): no new emission
            assertThat(drain(h)).isEmpty();
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numEventTimeTimers()).isZero();

            EventRow tooLate = trip(1L, T0 + 3 * MINUTE, 50.0);
            push(h, tooLate);
            assertThat(drain(h)).isEmpty();
            assertThat(drain(h, lateTag(s))).containsExactly(tooLate);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aWindowIsClosedOnceTheWatermarkReachesItsLastMillisecond() throws Exception {
        LoadedStep s = Specs.step(spec(SHORT, "0s", LATE_OUTPUT), "area-stats");
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            h.processWatermark(T0 + 10 * MINUTE - 1); // exactly the last millisecond of [0, 10m)

            EventRow both = trip(1L, T0 + 4 * MINUTE, 1.0); // [-5m, 5m) and [0, 10m): both closed
            push(h, both);
            assertThat(drain(h, lateTag(s))).containsExactly(both);

            EventRow half = trip(1L, T0 + 7 * MINUTE, 2.0); // [0, 10m) closed, [5m, 15m) open
            push(h, half);
            assertThat(drain(h, lateTag(s))).isEmpty();
            assertThat(drain(h)).isEmpty(); // nothing fires: the open window's end is still ahead

            h.processWatermark(T0 + 15 * MINUTE - 1);
            assertSameRows(
                    drain(h),
                    List.<Object[]>of(
                            new Object[] {
                                1L,
                                T0 + 5 * MINUTE,
                                T0 + 15 * MINUTE,
                                1L,
                                1L,
                                2.0,
                                2.0,
                                2.0,
                                2.0,
                                0.0
                            }),
                    BY_KEY_AND_WINDOW);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.numEventTimeTimers()).isZero();
        }
    }

    @Test
    void allowedLatenessMatchesTheModelOnRandomTrips() throws Exception {
        LoadedStep s = Specs.step(spec(SHORT, "5m", LATE_OUTPUT), "area-stats");
        Model model = new Model(10 * MINUTE, 5 * MINUTE, 5 * MINUTE);
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            runRandomTrips(h, s, model, 7, 30_000L);
        }
        assertThat(model.lateFirings).as("late rows that updated fired windows").isGreaterThan(0);
        assertThat(model.lateRows).isGreaterThan(0);
    }

    @Test
    void withoutALateOutputLateRowsBecomeDeadLetters() throws Exception {
        String spec = spec(SHORT, "0s", "");
        LoadedStep s = Specs.step(spec, "area-stats");
        StepResult result = Harnesses.apply(s, tmp);
        assertThat(result.extra()).isEmpty();
        assertThat(result.deadLetters()).isNotNull();
        assertThat(result.deadLetters().getType()).isEqualTo(DeadLetters.TYPE);

        EventRow late = trip(3L, T0 + MINUTE, 12.0);
        List<EventRow> lateRows;
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            h.processWatermark(T0 + 60 * MINUTE);
            push(h, late);
            lateRows = drain(h, lateTag(s));
        }
        assertThat(lateRows).containsExactly(late);

        @SuppressWarnings("unchecked")
        OneInputTransformation<EventRow, EventRow> toDead =
                (OneInputTransformation<EventRow, EventRow>)
                        result.deadLetters().getTransformation();
        OneInputStreamOperator<EventRow, EventRow> map = toDead.getOperator();
        try (OneInputStreamOperatorTestHarness<EventRow, EventRow> h =
                new OneInputStreamOperatorTestHarness<>(
                        map, toDead.getInputType().createSerializer(new SerializerConfigImpl()))) {
            h.open();
            h.processElement(lateRows.get(0), T0 + MINUTE);
            List<EventRow> dead = drain(h);
            assertThat(dead).hasSize(1);
            EventRow d = dead.get(0);
            assertThat(dl(d, "reason")).isEqualTo("late");
            assertThat((String) dl(d, "message")).contains("after all its windows closed");
            assertThat(dl(d, "position")).isEqualTo(Specs.position(spec, "- id: area-stats"));
            assertThat(dl(d, "origin")).isEqualTo(late.origin());
            assertThat(dl(d, "step")).isEqualTo("taxi.area-stats");
            assertThat(dl(d, "payload"))
                    .isEqualTo(new String(late.raw(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void theModelItselfAgreesWithTheHandWorkedExample() {
        Model m = new Model(10 * MINUTE, 5 * MINUTE, 0);
        m.row(trip(1L, T0 + MINUTE, 10.0));
        m.row(trip(1L, T0 + 4 * MINUTE, 20.0));
        m.row(trip(1L, T0 + 7 * MINUTE, 30.0));
        m.watermark(T0 + 20 * MINUTE);
        List<Object[]> out = new ArrayList<>(m.drainEmitted());
        out.sort(BY_KEY_AND_WINDOW);
        assertThat(out).hasSize(3);
        assertValues(
                EventRow.of(out.get(1)),
                1L,
                T0,
                T0 + 10 * MINUTE,
                3L,
                3L,
                60.0,
                20.0,
                10.0,
                30.0,
                Math.sqrt(200.0 / 3));
        assertThat(out.get(0)[1]).isEqualTo(T0 - 5 * MINUTE);
        assertThat(out.get(2)[1]).isEqualTo(T0 + 5 * MINUTE);
        assertThat(m.windows).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------

    private static void push(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h, EventRow r)
            throws Exception {
        h.processElement(r, (Long) r.get(1));
    }

    /**
     * Random trips over about three hours for four keys (one null), out of order within {@code
     * outOfOrder}, with a few far-too-late rows and missing fares; watermarks follow the rows as
     * {@code RowWatermarks} makes them. After every row and watermark the operator's new output
     * must equal the model's.
     */
    private static void runRandomTrips(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h,
            LoadedStep s,
            Model model,
            long seed,
            long outOfOrder)
            throws Exception {
        Random random = new Random(seed);
        Long[] keys = {1L, 2L, 77L, null};
        long maxTs = Long.MIN_VALUE;
        OutputTag<EventRow> lateTag = lateTag(s);
        for (int i = 0; i < 400; i++) {
            long ts = T0 + i * 27_000L - random.nextInt((int) (outOfOrder * 3));
            if (i % 37 == 36) {
                ts = maxTs - 2 * 60 * MINUTE; // behind every window that could still take it
            } else if (i % 11 == 10 && Math.floorMod(model.watermark + 1, model.slide) == 0) {
                // in the window whose last millisecond plus lateness is exactly the watermark
                ts = model.watermark - model.lateness - random.nextInt((int) model.size);
            }
            Double fare =
                    random.nextInt(10) == 0 ? null : Math.round(random.nextDouble() * 5000) / 100.0;
            EventRow r = trip(keys[random.nextInt(keys.length)], ts, fare);
            push(h, r);
            model.row(r);
            check(h, model, lateTag);
            maxTs = Math.max(maxTs, ts);
            long wm = maxTs - outOfOrder - 1;
            if (i % 5 == 4) {
                wm -= Math.floorMod(wm + 1, model.slide); // snapped to a window's last millisecond
            }
            if (wm > model.watermark) {
                h.processWatermark(wm);
                model.watermark(wm);
                check(h, model, lateTag);
            }
        }
        long end = model.lastCleanupTime();
        h.processWatermark(end);
        model.watermark(end);
        check(h, model, lateTag);
        assertThat(model.windows).isEmpty();
        assertThat(h.numKeyedStateEntries())
                .as("window state left after the last cleanup")
                .isZero();
        assertThat(h.numEventTimeTimers()).as("timers left after the last cleanup").isZero();
    }

    private static void check(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h,
            Model model,
            OutputTag<EventRow> lateTag) {
        assertSameRows(drain(h), model.drainEmitted(), BY_KEY_AND_WINDOW);
        List<EventRow> late = drain(h, lateTag);
        List<EventRow> expectedLate = model.drainLate();
        assertThat(late).containsExactlyElementsOf(expectedLate);
        for (int i = 0; i < late.size(); i++) {
            assertThat(late.get(i).origin()).isEqualTo(expectedLate.get(i).origin());
        }
    }

    /**
     * Event-time sliding windows with allowed lateness, by the book: a row joins every window that
     * contains it and whose end plus lateness the watermark has not reached; a window fires when
     * the watermark reaches its last millisecond and again for each row joining it afterwards; its
     * contents are dropped when the watermark reaches its last millisecond plus the lateness. A row
     * no window takes is late.
     */
    static final class Model {
        record Win(Long key, long start) {}

        final long size;
        final long slide;
        final long lateness;
        long watermark = Long.MIN_VALUE;
        final Map<Win, List<Double>> windows = new HashMap<>();
        private final List<Object[]> emitted = new ArrayList<>();
        private final List<EventRow> late = new ArrayList<>();
        int emissions;
        int lateRows;
        int lateFirings;

        Model(long size, long slide, long lateness) {
            this.size = size;
            this.slide = slide;
            this.lateness = lateness;
        }

        void row(EventRow r) {
            Long key = (Long) r.get(0);
            long ts = (Long) r.get(1);
            Double fare = (Double) r.get(2);
            boolean taken = false;
            for (long start = ts - Math.floorMod(ts, slide); start > ts - size; start -= slide) {
                long last = start + size - 1;
                if (last + lateness <= watermark) {
                    continue;
                }
                taken = true;
                Win w = new Win(key, start);
                windows.computeIfAbsent(w, x -> new ArrayList<>()).add(fare);
                if (last <= watermark) {
                    emit(w);
                    lateFirings++;
                }
            }
            if (!taken) {
                late.add(r);
                lateRows++;
            }
        }

        void watermark(long wm) {
            for (Map.Entry<Win, List<Double>> e : windows.entrySet()) {
                long last = e.getKey().start() + size - 1;
                if (last > watermark && last <= wm) {
                    emit(e.getKey());
                }
            }
            watermark = wm;
            windows.keySet().removeIf(w -> w.start() + size - 1 + lateness <= watermark);
        }

        long lastCleanupTime() {
            long t = watermark;
            for (Win w : windows.keySet()) {
                t = Math.max(t, w.start() + size - 1 + lateness);
            }
            return t;
        }

        private void emit(Win w) {
            List<Double> all = windows.get(w);
            List<Double> xs = all.stream().filter(Objects::nonNull).toList();
            int n = xs.size();
            Double sum = null;
            Double avg = null;
            Double min = null;
            Double max = null;
            Double sd = null;
            if (n > 0) {
                double total = 0;
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (double x : xs) {
                    total += x;
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
                double mean = total / n;
                double squares = 0;
                for (double x : xs) {
                    squares += (x - mean) * (x - mean);
                }
                sum = total;
                avg = mean;
                min = lo;
                max = hi;
                sd = Math.sqrt(squares / n);
            }
            emitted.add(
                    new Object[] {
                        w.key(),
                        w.start(),
                        w.start() + size,
                        (long) all.size(),
                        (long) n,
                        sum,
                        avg,
                        min,
                        max,
                        sd
                    });
            emissions++;
        }

        List<Object[]> drainEmitted() {
            List<Object[]> out = new ArrayList<>(emitted);
            emitted.clear();
            return out;
        }

        List<EventRow> drainLate() {
            List<EventRow> out = new ArrayList<>(late);
            late.clear();
            return out;
        }
    }
}
