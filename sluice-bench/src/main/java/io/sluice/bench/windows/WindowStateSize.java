package io.sluice.bench.windows;

import io.sluice.runtime.processor.KeyProjector;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import java.time.Duration;
import java.util.SplittableRandom;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * Keyed state per window key, both operators of the benchmark in Flink's keyed harness: 2 h of
 * trips for every area, then a full snapshot (timers included) with the watermark 1 min behind the
 * last trip, as in a running job; bytes of keyed state divided by the number of keys.
 */
final class WindowStateSize {
    private WindowStateSize() {}

    /** Keyed state bytes per key of each side on {@code backend}: {sluice, native}. */
    static long[] perKey(String backend, int keys) throws Exception {
        return new long[] {
            bytesPerKey(SlidingBenchmark.Side.SLUICE, backend, keys),
            bytesPerKey(SlidingBenchmark.Side.NATIVE, backend, keys)
        };
    }

    private static long bytesPerKey(SlidingBenchmark.Side side, String backend, int keys)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        var trips =
                env.fromData(
                        new EventRowTypeInfo(SlidingBenchmark.TRIPS),
                        EventRow.of(0L, 0L, 0.0, 0.0));
        SingleOutputStreamOperator<EventRow> out;
        KeyProjector byArea = new KeyProjector(new int[] {0});
        if (side == SlidingBenchmark.Side.SLUICE) {
            out =
                    io.sluice.runtime.processor.WindowAggregateProcessor.paneWindows(
                            trips.keyBy(byArea, new EventRowTypeInfo(SlidingBenchmark.AREA)),
                            SlidingBenchmark.SIZE,
                            SlidingBenchmark.SLIDE,
                            Duration.ZERO,
                            new int[] {-1, 2, 3, 2},
                            new String[] {"count", "avg", "avg", "stddev"},
                            new EventRowTypeInfo(SlidingBenchmark.STATS),
                            new OutputTag<>("late", new EventRowTypeInfo(SlidingBenchmark.TRIPS)),
                            "panes");
        } else {
            out = NativeSlidingJob.compose(trips, SlidingBenchmark.SIZE, SlidingBenchmark.SLIDE);
        }
        @SuppressWarnings("unchecked")
        OneInputStreamOperator<EventRow, EventRow> operator =
                ((OneInputTransformation<EventRow, EventRow>) out.getTransformation())
                        .getOperator();
        @SuppressWarnings({"unchecked", "rawtypes"})
        KeyedOneInputStreamOperatorTestHarness<Object, EventRow, EventRow> h =
                side == SlidingBenchmark.Side.SLUICE
                        ? new KeyedOneInputStreamOperatorTestHarness(
                                operator, byArea, new EventRowTypeInfo(SlidingBenchmark.AREA))
                        : new KeyedOneInputStreamOperatorTestHarness(
                                operator,
                                (org.apache.flink.api.java.functions.KeySelector<EventRow, Long>)
                                        r -> (Long) r.get(0),
                                org.apache.flink.api.common.typeinfo.Types.LONG);
        if (backend.equals("rocksdb")) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        h.open();
        SplittableRandom random = new SplittableRandom(3);
        long spacing = 7_200_000L / (keys * 40L); // 2 h, 40 trips per key
        long ts = 0;
        for (int i = 0; i < keys * 40; i++) {
            ts = i * spacing;
            long area = i % keys;
            h.processElement(
                    new StreamRecord<>(
                            EventRow.of(
                                    area, ts, random.nextDouble(5, 80), random.nextDouble(0, 20)),
                            ts));
            if (i % 1_000 == 999) {
                h.processWatermark(ts - 60_000);
            }
        }
        h.prepareSnapshotPreBarrier(1L);
        OperatorSubtaskState state = h.snapshot(1L, 1L);
        long bytes = state.getManagedKeyedState().getStateSize();
        h.close();
        return bytes / keys;
    }
}
