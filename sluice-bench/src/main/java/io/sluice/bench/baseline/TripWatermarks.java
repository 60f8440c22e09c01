package io.sluice.bench.baseline;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Bounded out-of-orderness advanced by every trip (max start time − bound − 1 ms), not by the
 * periodic timer of {@code forBoundedOutOfOrderness}: this is the watermark the spec's runtime
 * uses, and which trips count as late depends on it, so the baseline must not differ here.
 */
public class TripWatermarks implements WatermarkGenerator<TripRecord> {
    private final long delay;
    private long emitted = Long.MIN_VALUE;

    TripWatermarks(long delay) {
        this.delay = delay;
    }

    public static WatermarkStrategy<TripRecord> strategy(Duration maxOutOfOrderness) {
        long delay = maxOutOfOrderness.toMillis();
        return WatermarkStrategy.<TripRecord>forGenerator(ctx -> new TripWatermarks(delay))
                .withTimestampAssigner((trip, previous) -> trip.startMillis);
    }

    @Override
    public void onEvent(TripRecord trip, long timestamp, WatermarkOutput out) {
        long wm = timestamp - delay - 1;
        if (wm > emitted) {
            emitted = wm;
            out.emitWatermark(new Watermark(wm));
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {}
}
