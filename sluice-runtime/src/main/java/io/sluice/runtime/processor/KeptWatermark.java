package io.sluice.runtime.processor;

import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.runtime.state.StateInitializationContext;

/**
 * An event-time operator's last watermark, kept in operator state. Flink does not checkpoint
 * watermarks: a restored task starts from none, so rows replayed after a restore would be judged
 * against {@code Long.MIN_VALUE} and could reopen windows that had already fired. Operators that
 * keep it judge rows against the watermark they had before the failure until a newer one arrives.
 * The state is a union list named {@code watermark}: after rescaling every task sees all tasks'
 * watermarks, and the smallest is the safe one.
 */
public final class KeptWatermark {
    private ListState<Long> state;
    private long restored = Long.MIN_VALUE;

    public void initialize(StateInitializationContext context) throws Exception {
        state =
                context.getOperatorStateStore()
                        .getUnionListState(
                                new ListStateDescriptor<>("watermark", LongSerializer.INSTANCE));
        restored = Long.MIN_VALUE;
        if (context.isRestored()) {
            long min = Long.MAX_VALUE;
            for (Long w : state.get()) {
                min = Math.min(min, w);
            }
            restored = min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
        }
    }

    /** The watermark to judge rows by: the timer service's, or the restored one while newer. */
    public long current(long timerServiceWatermark) {
        return Math.max(timerServiceWatermark, restored);
    }

    public void snapshot(long timerServiceWatermark) throws Exception {
        state.update(List.of(current(timerServiceWatermark)));
    }
}
