package io.sluice.runtime.processor;

import static io.sluice.runtime.testutil.Rows.assertValues;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.processor.WindowAggregateProcessor.Accumulate;
import io.sluice.runtime.processor.WindowAggregateProcessor.Emit;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pane-sliced windows against a second engine: Flink's own window operator ({@code
 * SlidingEventTimeWindows} with the same aggregate function) gets the same random rows and
 * watermarks, and both must emit the same results with the same timestamps, send the same rows to
 * the late output, and leave no state behind. The pane operator is snapshotted and restored midway.
 */
class PaneWindowOperatorTest {
    static final long MINUTE = 60_000L;
    static final RowSchema INPUT =
            new RowSchema(
                    List.of(
                            new Field("area", FieldType.LONG, true),
                            new Field("ts", FieldType.TIMESTAMP, false),
                            new Field("fare", FieldType.DOUBLE, true)));
    static final RowSchema KEY = new RowSchema(List.of(INPUT.field("area")));
    static final RowSchema RESULT =
            new RowSchema(
                    List.of(
                            new Field("area", FieldType.LONG, true),
                            new Field("window_start", FieldType.TIMESTAMP, false),
                            new Field("window_end", FieldType.TIMESTAMP, false),
                            new Field("rows", FieldType.LONG, false),
                            new Field("fares", FieldType.LONG, false),
                            new Field("total", FieldType.DOUBLE, true),
                            new Field("avg_fare", FieldType.DOUBLE, true),
                            new Field("min_fare", FieldType.DOUBLE, true),
                            new Field("fare_sd", FieldType.DOUBLE, true)));
    static final int[] FIELDS = {-1, 2, 2, 2, 2, 2};
    static final String[] FNS = {"count", "count", "sum", "avg", "min", "stddev"};
    static final OutputTag<EventRow> LATE = new OutputTag<>("late", new EventRowTypeInfo(INPUT));

    @ParameterizedTest(name = "size {0} min, slide {1} min, lateness {2} min, seed {3}")
    @CsvSource({
        "60, 5, 0, 1",
        "60, 5, 7, 2",
        "10, 4, 0, 3", // panes of 2 min: gcd(10, 4)
        "10, 4, 9, 4",
        "15, 15, 0, 5", // tumbling
        "15, 15, 20, 6",
        "7, 3, 2, 7"
    })
    void sameResultsAsFlinksWindowOperator(long size, long slide, long lateness, long seed)
            throws Exception {
        run(size, slide, lateness, seed, false);
    }

    /**
     * Cumulating windows (Flink SQL's CUMULATE) against Flink's window operator with an assigner
     * putting a row into every growing window [block start, end) of its block that contains it.
     */
    @ParameterizedTest(name = "size {0} min, step {1} min, lateness {2} min, seed {3}")
    @CsvSource({"60, 15, 0, 11", "60, 15, 7, 12", "10, 2, 0, 13", "12, 4, 9, 14", "15, 15, 0, 15"})
    void cumulatingWindowsAsFlinksWindowOperator(long size, long step, long lateness, long seed)
            throws Exception {
        run(size, step, lateness, seed, true);
    }

    private static void run(long size, long slide, long lateness, long seed, boolean cumulative)
            throws Exception {
        Random random = new Random(seed);
        var panes = harness(paneOperator(size, slide, lateness, cumulative));
        var flink = harness(flinkOperator(size, slide, lateness, cumulative));
        long maxTs = 0;
        long wm = Long.MIN_VALUE;
        int results = 0;
        int late = 0;
        for (int i = 0; i < 4_000; i++) {
            if (i == 2_000) {
                // no watermark is sent after the restore: the operator keeps the last one in its
                // state, so rows right after it are judged as Flink's never-stopped operator does
                panes = restored(panes, size, slide, lateness, cumulative);
            }
            if (random.nextInt(8) == 0) {
                long next = maxTs - random.nextInt((int) (3 * MINUTE));
                if (next > wm) {
                    wm = next;
                    panes.processWatermark(wm);
                    flink.processWatermark(wm);
                    results += compare(panes, flink);
                }
                continue;
            }
            long ts =
                    random.nextInt(6) == 0
                            ? maxTs - random.nextInt((int) ((lateness + size + 5) * MINUTE))
                            : maxTs + random.nextInt((int) MINUTE);
            maxTs = Math.max(maxTs, ts);
            Long area = random.nextInt(20) == 0 ? null : (long) random.nextInt(6);
            Double fare =
                    random.nextInt(15) == 0 ? null : Math.round(random.nextDouble() * 5000) / 100.0;
            EventRow r = row("t:" + i, area, ts, fare);
            panes.processElement(new StreamRecord<>(r, ts));
            flink.processElement(new StreamRecord<>(r, ts));
            results += compare(panes, flink);
            late += sameLateRows(panes, flink);
        }
        panes.processWatermark(Long.MAX_VALUE);
        flink.processWatermark(Long.MAX_VALUE);
        results += compare(panes, flink);
        assertThat(results).as("window results compared").isGreaterThan(200);
        assertThat(late).as("late rows compared").isGreaterThan(5);
        assertThat(panes.numKeyedStateEntries()).as("state left").isZero();
        assertThat(panes.numEventTimeTimers()).as("timers left").isZero();
        panes.close();
        flink.close();
    }

    /** The operator snapshotted (buffered panes included) and restored into a new harness. */
    private static KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> restored(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h,
            long size,
            long slide,
            long lateness,
            boolean cumulative)
            throws Exception {
        h.prepareSnapshotPreBarrier(1L); // as the task does before each checkpoint barrier
        OperatorSubtaskState state = h.snapshot(1L, 1L);
        h.close();
        var fresh =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        paneOperator(size, slide, lateness, cumulative),
                        new KeyProjector(new int[] {0}),
                        new EventRowTypeInfo(KEY));
        fresh.setup();
        fresh.initializeState(state);
        fresh.open();
        return fresh;
    }

    /** Compares what both emitted since the last call (values and timestamps); returns how many. */
    private static int compare(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> panes,
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> flink) {
        List<StreamRecord<EventRow>> a = records(panes);
        List<StreamRecord<EventRow>> e = records(flink);
        assertThat(a).as("emitted results").hasSameSizeAs(e);
        for (int i = 0; i < e.size(); i++) {
            assertThat(a.get(i).getTimestamp()).isEqualTo(e.get(i).getTimestamp());
            assertValues(a.get(i).getValue(), e.get(i).getValue().values());
        }
        return e.size();
    }

    private static int sameLateRows(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> panes,
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> flink) {
        List<EventRow> a = drainLate(panes);
        List<EventRow> e = drainLate(flink);
        assertThat(a).as("late rows").isEqualTo(e);
        return e.size();
    }

    private static List<EventRow> drainLate(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h) {
        List<EventRow> out = new ArrayList<>();
        if (h.getSideOutput(LATE) != null) {
            h.getSideOutput(LATE).forEach(r -> out.add(r.getValue()));
            h.getSideOutput(LATE).clear();
        }
        return out;
    }

    /** Main output records ordered by timestamp, key (nulls first) and window start. */
    @SuppressWarnings("unchecked")
    private static List<StreamRecord<EventRow>> records(
            KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h) {
        List<StreamRecord<EventRow>> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((StreamRecord<EventRow>) r);
            }
        }
        h.getOutput().clear();
        out.sort(
                Comparator.<StreamRecord<EventRow>>comparingLong(StreamRecord::getTimestamp)
                        .thenComparing(
                                r -> (Long) r.getValue().get(0),
                                Comparator.nullsFirst(Comparator.naturalOrder()))
                        .thenComparing(r -> (Long) r.getValue().get(1)));
        return out;
    }

    private static PaneWindowOperator paneOperator(
            long size, long slide, long lateness, boolean cumulative) {
        return new PaneWindowOperator(
                size * MINUTE,
                slide * MINUTE,
                lateness * MINUTE,
                new Accumulate(FIELDS, FNS),
                LATE,
                cumulative);
    }

    /** Windows [block start, block start + k * step) of the size-aligned block of a row. */
    static final class Cumulative
            extends org.apache.flink.streaming.api.windowing.assigners.WindowAssigner<
                    Object, org.apache.flink.streaming.api.windowing.windows.TimeWindow> {
        private final long size;
        private final long step;

        Cumulative(long size, long step) {
            this.size = size;
            this.step = step;
        }

        @Override
        public java.util.Collection<org.apache.flink.streaming.api.windowing.windows.TimeWindow>
                assignWindows(Object element, long ts, WindowAssignerContext context) {
            long start = ts - Math.floorMod(ts, size);
            List<org.apache.flink.streaming.api.windowing.windows.TimeWindow> out =
                    new ArrayList<>();
            for (long end = start + size; end > ts; end -= step) {
                out.add(
                        new org.apache.flink.streaming.api.windowing.windows.TimeWindow(
                                start, end));
            }
            return out;
        }

        @Override
        public org.apache.flink.streaming.api.windowing.triggers.Trigger<
                        Object, org.apache.flink.streaming.api.windowing.windows.TimeWindow>
                getDefaultTrigger() {
            return org.apache.flink.streaming.api.windowing.triggers.EventTimeTrigger.create();
        }

        @Override
        public org.apache.flink.api.common.typeutils.TypeSerializer<
                        org.apache.flink.streaming.api.windowing.windows.TimeWindow>
                getWindowSerializer(org.apache.flink.api.common.ExecutionConfig config) {
            return new org.apache.flink.streaming.api.windowing.windows.TimeWindow.Serializer();
        }

        @Override
        public boolean isEventTime() {
            return true;
        }
    }

    @SuppressWarnings("unchecked")
    private static OneInputStreamOperator<EventRow, EventRow> flinkOperator(
            long size, long slide, long lateness, boolean cumulative) {
        SingleOutputStreamOperator<EventRow> out =
                StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(new EventRowTypeInfo(INPUT), new EventRow(3))
                        .keyBy(new KeyProjector(new int[] {0}), new EventRowTypeInfo(KEY))
                        .window(
                                cumulative
                                        ? new Cumulative(size * MINUTE, slide * MINUTE)
                                        : SlidingEventTimeWindows.of(
                                                Duration.ofMinutes(size),
                                                Duration.ofMinutes(slide)))
                        .allowedLateness(Duration.ofMinutes(lateness))
                        .sideOutputLateData(LATE)
                        .aggregate(
                                new Accumulate(FIELDS, FNS),
                                new Emit(new Accumulate(FIELDS, FNS)),
                                PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO,
                                PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO,
                                new EventRowTypeInfo(RESULT));
        return ((OneInputTransformation<EventRow, EventRow>) out.getTransformation()).getOperator();
    }

    private static KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> harness(
            OneInputStreamOperator<EventRow, EventRow> operator) throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator, new KeyProjector(new int[] {0}), new EventRowTypeInfo(KEY));
        h.open();
        return h;
    }
}
