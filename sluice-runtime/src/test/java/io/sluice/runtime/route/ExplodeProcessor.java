package io.sluice.runtime.route;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.processor.ProcessorFactory;
import io.sluice.runtime.processor.StepResult;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteSpec;
import org.apache.flink.streaming.api.datastream.DataStream;

/** A processor with a bug: it throws on every event (to test isolation and the breaker). */
public class ExplodeProcessor implements ProcessorFactory, RouteProcessor {
    @Override
    public String identifier() {
        return "explode";
    }

    @Override
    public String description() {
        return "Throws on every event (tests only).";
    }

    @Override
    public boolean listed() {
        return false;
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
    public RowSchema check(Options options, RowSchema input, Problems problems) {
        return input;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        throw new UnsupportedOperationException("explode runs in routes only");
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        return (row, ts, scope) -> {
            throw new IllegalStateException("boom on " + row.get(0));
        };
    }
}
