package io.sluice.runtime.processor;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** A pipeline step's {@link RowOut}: one per function, rebound to each element's context. */
final class FunctionOut implements RowOut {
    private final LongCounter dropped;
    private ProcessFunction<EventRow, EventRow>.Context ctx;
    private Collector<EventRow> out;

    FunctionOut(LongCounter dropped) {
        this.dropped = dropped;
    }

    FunctionOut bind(ProcessFunction<EventRow, EventRow>.Context ctx, Collector<EventRow> out) {
        this.ctx = ctx;
        this.out = out;
        return this;
    }

    @Override
    public void emit(EventRow row) {
        out.collect(row);
    }

    @Override
    public void dead(EventRow deadLetter) {
        ctx.output(DeadLetters.TAG, deadLetter);
    }

    @Override
    public void dropped() {
        if (dropped != null) {
            dropped.add(1);
        }
    }
}
