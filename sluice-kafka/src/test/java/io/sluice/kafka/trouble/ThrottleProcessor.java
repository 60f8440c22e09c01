package io.sluice.kafka.trouble;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.processor.ProcessorFactory;
import io.sluice.runtime.processor.StepResult;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Test-only {@code throttle}: passes rows on at most one per {@code micros} microseconds, so a job
 * runs long enough for the test to break something while it runs; counts rows it has seen.
 */
public final class ThrottleProcessor implements ProcessorFactory {
    static final AtomicLong SEEN = new AtomicLong();

    /** How often the step's task has started: more than once means the job restarted. */
    static final AtomicLong STARTS = new AtomicLong();

    @Override
    public String identifier() {
        return "throttle";
    }

    @Override
    public String description() {
        return "test only: slows rows down";
    }

    @Override
    public OptionsSchema options() {
        return OptionsSchema.builder().required("micros", OptionType.INT, "pause per row").build();
    }

    @Override
    public Shape shape() {
        return Shape.TRANSFORM;
    }

    @Override
    public RowSchema check(Options options, RowSchema input, Problems problems) {
        return input;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        long micros = ctx.step().options().longValue("micros");
        RichMapFunction<EventRow, EventRow> slow =
                new RichMapFunction<>() {
                    @Override
                    public void open(OpenContext openContext) {
                        STARTS.incrementAndGet();
                    }

                    @Override
                    public EventRow map(EventRow row) {
                        LockSupport.parkNanos(micros * 1000);
                        SEEN.incrementAndGet();
                        return row;
                    }
                };
        return StepResult.of(
                input.map(slow)
                        .returns(new EventRowTypeInfo(ctx.step().input()))
                        .uid(ctx.uid("throttle"))
                        .name(ctx.name("throttle")));
    }
}
