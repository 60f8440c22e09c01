package io.sluice.runtime.compose;

import io.sluice.runtime.row.EventRow;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Bounded out-of-orderness, advanced with every row rather than on a timer: the watermark after a
 * row is {@code max event time so far − max-out-of-orderness − 1 ms}. Being driven by the data
 * alone, each task's watermarks are the same in every run of the same input. A downstream keyed
 * operator takes the minimum over its input tasks, so at parallelism 1 which rows are late is fully
 * deterministic; above 1 it also depends on how far each task has got, and can vary slightly.
 */
public final class RowWatermarks implements WatermarkGenerator<EventRow> {
    private final long delay;
    private long emitted = Long.MIN_VALUE;

    RowWatermarks(long delay) {
        this.delay = delay;
    }

    public static WatermarkStrategy<EventRow> strategy(int timeField, Duration maxOutOfOrderness) {
        long delay = maxOutOfOrderness.toMillis();
        return WatermarkStrategy.<EventRow>forGenerator(ctx -> new RowWatermarks(delay))
                .withTimestampAssigner((row, previous) -> (Long) row.get(timeField));
    }

    /**
     * As {@link #strategy(int, Duration)}; with {@code idleTimeout}, a task that sees no rows for
     * that long is marked idle, so it does not hold back the watermark of operators downstream.
     */
    public static WatermarkStrategy<EventRow> strategy(
            int timeField, Duration maxOutOfOrderness, Duration idleTimeout) {
        WatermarkStrategy<EventRow> s = strategy(timeField, maxOutOfOrderness);
        return idleTimeout == null ? s : s.withIdleness(idleTimeout);
    }

    @Override
    public void onEvent(EventRow row, long timestamp, WatermarkOutput out) {
        // saturate: a timestamp near Long.MIN_VALUE must not wrap around to the far future
        long wm = timestamp < Long.MIN_VALUE + delay + 1 ? Long.MIN_VALUE : timestamp - delay - 1;
        if (wm > emitted) {
            emitted = wm;
            out.emitWatermark(new Watermark(wm));
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {}
}
