package io.sluice.runtime.processor;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.route.RouteLogic;
import io.sluice.runtime.route.RouteProcessor;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteSpec;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * {@code emit}: sends the event as it is (envelope and the route's payload fields) to the route's
 * outputs; as a pipeline step, to its {@code output}.
 */
public final class EmitProcessor implements ProcessorFactory, RouteProcessor {
    @Override
    public String identifier() {
        return "emit";
    }

    @Override
    public String description() {
        return "Sends events unchanged to the named outputs.";
    }

    @Override
    public OptionsSchema options() {
        return OptionsSchema.builder().build();
    }

    @Override
    public Shape shape() {
        return Shape.BRANCH;
    }

    @Override
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        return input;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        return StepResult.of(input);
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        RouteLogic.Stateless logic = (row, ts, scope) -> scope.emit(row);
        return logic;
    }
}
