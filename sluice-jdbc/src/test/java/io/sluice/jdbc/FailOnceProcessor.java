package io.sluice.jdbc;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * An injected failure (tests only): passes rows on, and throws the first time, in this JVM, it sees
 * the row whose {@code event_id} is {@code event-id}; counts the starts of its tasks, so a test can
 * tell the job restarted. With {@code micros}, each row takes that long (a job slow enough to be
 * cancelled halfway).
 */
public class FailOnceProcessor implements ProcessorFactory {
    static final AtomicBoolean FAILED = new AtomicBoolean();
    static final AtomicInteger STARTS = new AtomicInteger();
    static final java.util.concurrent.atomic.AtomicLong SEEN =
            new java.util.concurrent.atomic.AtomicLong();

    @Override
    public String identifier() {
        return "fail-once";
    }

    @Override
    public String description() {
        return "Throws once on one event (tests only).";
    }

    @Override
    public boolean listed() {
        return false;
    }

    @Override
    public OptionsSchema options() {
        return OptionsSchema.builder()
                .required("event-id", OptionType.STRING, "the event to fail on")
                .optional("micros", OptionType.INT, 0L, "time taken per event")
                .build();
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
        String id = ctx.step().options().string("event-id");
        int field = ctx.step().input().indexOf("event_id");
        long micros = ctx.step().options().longValue("micros");
        return StepResult.of(
                input.map(new FailOnce(id, field, micros))
                        .returns(new EventRowTypeInfo(ctx.step().result()))
                        .uid(ctx.uid("fail-once"))
                        .name(ctx.name("fail-once")));
    }

    static final class FailOnce extends RichMapFunction<EventRow, EventRow> {
        private final String id;
        private final int field;
        private final long micros;

        FailOnce(String id, int field, long micros) {
            this.id = id;
            this.field = field;
            this.micros = micros;
        }

        @Override
        public void open(OpenContext openContext) {
            STARTS.incrementAndGet();
        }

        @Override
        public EventRow map(EventRow row) {
            SEEN.incrementAndGet();
            if (micros > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(micros * 1_000);
            }
            if (id.equals(row.get(field)) && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure at " + id);
            }
            return row;
        }
    }
}
