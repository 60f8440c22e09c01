package io.sluice.runtime.run;

import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.api.common.accumulators.SimpleAccumulator;

/**
 * The job's event-time progress for progress lines: each task keeps the highest watermark it has
 * seen; merging takes the lowest across tasks (as Flink does), ignoring tasks that saw none yet.
 */
public final class WatermarkAccumulator implements SimpleAccumulator<Long> {
    private static final long serialVersionUID = 1L;
    private long value = Long.MIN_VALUE;

    /** The task's watermark accumulator; operators chained into one task share it. */
    public static WatermarkAccumulator of(
            org.apache.flink.api.common.functions.RuntimeContext ctx) {
        Accumulator<Long, Long> existing = ctx.getAccumulator(Counters.WATERMARK);
        if (existing instanceof WatermarkAccumulator w) {
            return w;
        }
        WatermarkAccumulator w = new WatermarkAccumulator();
        ctx.addAccumulator(Counters.WATERMARK, w);
        return w;
    }

    @Override
    public void add(Long v) {
        value = Math.max(value, v);
    }

    @Override
    public Long getLocalValue() {
        return value;
    }

    @Override
    public void resetLocal() {
        value = Long.MIN_VALUE;
    }

    @Override
    public void merge(Accumulator<Long, Long> other) {
        long o = other.getLocalValue();
        if (value == Long.MIN_VALUE) {
            value = o;
        } else if (o != Long.MIN_VALUE) {
            value = Math.min(value, o);
        }
    }

    @Override
    public Accumulator<Long, Long> clone() {
        WatermarkAccumulator c = new WatermarkAccumulator();
        c.value = value;
        return c;
    }
}
