package io.sluice.runtime.processor;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.route.RouteLogic;
import io.sluice.runtime.route.RouteProcessor;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * {@code threshold-alert}: window aggregates like {@code window-aggregate}, emitting a window's
 * result only when a CEL condition over the aggregates holds (e.g. {@code adds > 20}): one alert
 * per window crossing the threshold.
 */
public final class ThresholdAlertProcessor implements ProcessorFactory, RouteProcessor {
    static final OptionsSchema OPTIONS =
            WindowAggregateProcessor.OPTIONS.plus(
                    OptionsSchema.builder()
                            .required(
                                    "condition",
                                    OptionType.EXPRESSION,
                                    "CEL over the key fields, window bounds and aggregates")
                            .build());

    private final WindowAggregateProcessor windows = new WindowAggregateProcessor();

    @Override
    public String identifier() {
        return "threshold-alert";
    }

    @Override
    public String description() {
        return "Alerts when window aggregates meet a CEL condition.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public OptionsSchema routeOptions() {
        return WindowAggregateProcessor.forRoutes(OPTIONS);
    }

    @Override
    public Shape shape() {
        return Shape.BRANCH;
    }

    @Override
    public boolean needsEventTime() {
        return true;
    }

    @Override
    public List<String> sinkOptions() {
        return windows.sinkOptions();
    }

    @Override
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        RowSchema result = windows.check(o, input, problems);
        if (o.expr("condition") != null) {
            CelSupport.check(
                    o.expr("condition"), result, o.path("condition"), problems, FieldType.BOOLEAN);
        }
        return result;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        StepResult aggregated = windows.apply(ctx, input);
        RowSchema result = ctx.step().result();
        SingleOutputStreamOperator<EventRow> alerts =
                aggregated
                        .rows()
                        .process(
                                new FilterProcessor.FilterFunction(
                                        new CelProgram(
                                                ctx.step().options().expr("condition"), result),
                                        ctx.stepRef(),
                                        ctx.position()),
                                new EventRowTypeInfo(result))
                        .uid(ctx.uid("condition"))
                        .name(ctx.name("threshold"));
        List<DataStream<EventRow>> dead = new ArrayList<>();
        dead.add(alerts.getSideOutput(DeadLetters.TAG));
        DataStream<EventRow> all =
                aggregated.deadLetters() == null
                        ? dead.get(0)
                        : dead.get(0).union(aggregated.deadLetters());
        return new StepResult(alerts, all, aggregated.extra());
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        return RouteWindows.of(
                route, step, new CelProgram(route.params().expr("condition"), route.result()));
    }
}
