package io.sluice.kafka.it;

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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Test-only processor {@code fail-once}: passes rows through unchanged, but once per test JVM
 * throws after {@code after} rows of a task attempt, and only once a checkpoint of that attempt has
 * completed, so the job restarts from a checkpoint with outputs both committed and pending. State
 * is static on purpose: the restarted attempt runs in the same JVM and must not fail again. Call
 * {@link #reset} before a job that uses it.
 */
public final class FailOnceProcessor implements ProcessorFactory {
    /** Whether the failure was thrown. */
    public static final AtomicBoolean FAILED = new AtomicBoolean();

    /** Rows the failing attempt had passed on when it failed. */
    public static final AtomicLong ROWS_BEFORE_FAILURE = new AtomicLong(-1);

    /** The last checkpoint the failing attempt saw completed. */
    public static final AtomicLong CHECKPOINT_BEFORE_FAILURE = new AtomicLong(-1);

    /** Flink's attempt number of each task attempt opened: [0, 1] after one restart. */
    public static final List<Integer> ATTEMPTS = new CopyOnWriteArrayList<>();

    /** The checkpoint Flink restored the last attempt from (-1: started afresh). */
    public static final AtomicLong RESTORED_FROM = new AtomicLong(-1);

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required("after", OptionType.INT, "rows to pass on before failing")
                    .build();

    public static void reset() {
        FAILED.set(false);
        ROWS_BEFORE_FAILURE.set(-1);
        CHECKPOINT_BEFORE_FAILURE.set(-1);
        ATTEMPTS.clear();
        RESTORED_FROM.set(-1);
    }

    @Override
    public String identifier() {
        return "fail-once";
    }

    @Override
    public String description() {
        return "Test only: throws once after a number of rows and a completed checkpoint.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public Shape shape() {
        return Shape.TRANSFORM;
    }

    @Override
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        if (o.has("after") && o.longValue("after") < 1) {
            problems.add(o.pos("after"), o.path("after"), "must be at least 1");
        }
        return input;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        SingleOutputStreamOperator<EventRow> out =
                input.process(
                                new FailOnce(ctx.step().options().longValue("after")),
                                new EventRowTypeInfo(ctx.step().input()))
                        .uid(ctx.uid("fail-once"))
                        .name(ctx.name("fail-once"));
        return StepResult.of(out);
    }

    /** Stateless apart from the attempt's row count; the static flags outlive the attempt. */
    static final class FailOnce extends ProcessFunction<EventRow, EventRow>
            implements CheckpointListener, CheckpointedFunction {
        private final long after;
        private transient long passed;
        private transient volatile long completedCheckpoint;

        FailOnce(long after) {
            this.after = after;
        }

        @Override
        public void open(OpenContext openContext) {
            ATTEMPTS.add(getRuntimeContext().getTaskInfo().getAttemptNumber());
            passed = 0;
            completedCheckpoint = -1;
        }

        @Override
        public void processElement(EventRow row, Context ctx, Collector<EventRow> out) {
            if (passed >= after && !FAILED.get()) {
                if (completedCheckpoint >= 0) {
                    ROWS_BEFORE_FAILURE.set(passed);
                    CHECKPOINT_BEFORE_FAILURE.set(completedCheckpoint);
                    FAILED.set(true);
                    throw new IllegalStateException(
                            "fail-once: injected failure after " + passed + " rows");
                }
                // No checkpoint has completed yet: hold each row back a little, so the task's
                // mailbox (which runs between rows) gets to take one before the input runs out.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            passed++;
            out.collect(row);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            completedCheckpoint = checkpointId;
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            RESTORED_FROM.set(context.getRestoredCheckpointId().orElse(-1));
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) {
            // no state: the function only observes checkpoints
        }
    }
}
