package io.sluice.runtime.processor;

import dev.cel.runtime.CelEvaluationException;
import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.route.RouteLogic;
import io.sluice.runtime.route.RouteLogics;
import io.sluice.runtime.route.RouteProcessor;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteSpec;
import java.util.List;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * {@code filter}: keeps rows whose condition is true. Dropped rows are counted (they were valid,
 * just not wanted); a condition that cannot be evaluated sends the row to dead letters.
 */
public final class FilterProcessor implements ProcessorFactory, RouteProcessor {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "condition",
                            OptionType.EXPRESSION,
                            "CEL condition rows must meet to continue")
                    .build();

    @Override
    public String identifier() {
        return "filter";
    }

    @Override
    public String description() {
        return "Keeps rows matching a CEL condition.";
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
        if (o.expr("condition") != null) {
            CelSupport.check(
                    o.expr("condition"), input, o.path("condition"), problems, FieldType.BOOLEAN);
        }
        return input;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        RowSchema schema = ctx.step().input();
        SingleOutputStreamOperator<EventRow> out =
                input.process(
                                new FilterFunction(
                                        new CelProgram(
                                                ctx.step().options().expr("condition"), schema),
                                        ctx.stepRef(),
                                        ctx.position()),
                                new EventRowTypeInfo(schema))
                        .uid(ctx.uid("filter"))
                        .name(ctx.name("filter"));
        return new StepResult(out, out.getSideOutput(DeadLetters.TAG), List.of());
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        FilterFunction f =
                new FilterFunction(
                        new CelProgram(route.params().expr("condition"), route.input()),
                        step,
                        route.pos().fileLine());
        RouteLogic.Stateless logic = (row, ts, scope) -> f.apply(row, RouteLogics.out(scope));
        return logic;
    }

    /** Stateless. */
    static final class FilterFunction extends ProcessFunction<EventRow, EventRow> {
        private final CelProgram condition;
        private final String step;
        private final String position;
        private transient LongCounter filtered;
        private transient FunctionOut rowOut;

        FilterFunction(CelProgram condition, String step, String position) {
            this.condition = condition;
            this.step = step;
            this.position = position;
        }

        @Override
        public void open(OpenContext openContext) {
            filtered = getRuntimeContext().getLongCounter(Counters.FILTERED);
            rowOut = new FunctionOut(filtered);
        }

        @Override
        public void processElement(EventRow row, Context ctx, Collector<EventRow> out) {
            apply(row, rowOut.bind(ctx, out));
        }

        void apply(EventRow row, RowOut out) {
            try {
                if (Boolean.TRUE.equals(condition.eval(row))) {
                    out.emit(row);
                } else {
                    out.dropped();
                }
            } catch (CelEvaluationException e) {
                out.dead(
                        DeadLetters.of(
                                Reason.EXPRESSION_ERROR,
                                "condition could not be evaluated: " + condition.explain(row, e),
                                null,
                                row.raw(),
                                position,
                                row.origin(),
                                step));
            }
        }
    }
}
