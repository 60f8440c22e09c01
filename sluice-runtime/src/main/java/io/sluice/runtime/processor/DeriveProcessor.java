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
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * {@code derive}: new fields from CEL expressions, evaluated in order (a field may use the ones
 * before it). A field's type is the expression's type. With {@code when}, the field is null unless
 * the condition holds. A row whose expression fails (e.g. arithmetic on a missing value) goes to
 * dead letters.
 */
public final class DeriveProcessor implements ProcessorFactory, RouteProcessor {

    static final OptionsSchema FIELD =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "the new field's name (snake_case)")
                    .required("expr", OptionType.EXPRESSION, "CEL expression computing it")
                    .optional(
                            "when",
                            OptionType.EXPRESSION,
                            null,
                            "CEL condition; the field is null when false")
                    .build();

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "fields",
                            OptionType.listOf(OptionType.object(FIELD)),
                            "fields to compute, in order")
                    .build();

    @Override
    public String identifier() {
        return "derive";
    }

    @Override
    public String description() {
        return "Adds fields computed by CEL expressions.";
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
        RowSchema schema = input;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Options f : o.<Options>list("fields")) {
            String name = f.string("name");
            if (name == null || f.expr("expr") == null) {
                continue;
            }
            if (!names.add(name)) {
                problems.add(
                        f.pos("name"),
                        f.path("name"),
                        "'" + name + "' is derived twice in this step; give each field one name");
                continue;
            }
            if (!Field.isValidName(name)) {
                problems.add(
                        f.pos("name"),
                        f.path("name"),
                        "field names are snake_case identifiers; found '" + name + "'");
            }
            boolean nullable = false;
            if (f.expr("when") != null) {
                CelSupport.check(
                        f.expr("when"), schema, f.path("when"), problems, FieldType.BOOLEAN);
                nullable = true;
            }
            CelSupport.Checked c =
                    CelSupport.check(f.expr("expr"), schema, f.path("expr"), problems, null);
            if (c != null) {
                schema = schema.with(new Field(name, c.type(), nullable || c.nullable()));
            }
        }
        return schema;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        RowSchema result = ctx.step().result();
        List<Derivation> ds = derivations(ctx.step().options(), ctx.step().input(), result);
        SingleOutputStreamOperator<EventRow> out =
                input.process(
                                new DeriveFunction(ds, result.size(), ctx.stepRef()),
                                new EventRowTypeInfo(result))
                        .uid(ctx.uid("derive"))
                        .name(ctx.name("derive"));
        return new StepResult(out, out.getSideOutput(DeadLetters.TAG), List.of());
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        DeriveFunction f =
                new DeriveFunction(
                        derivations(route.params(), route.input(), route.result()),
                        route.result().size(),
                        step);
        RouteLogic.Stateless logic = (row, ts, scope) -> f.apply(row, RouteLogics.out(scope));
        return logic;
    }

    private static List<Derivation> derivations(Options o, RowSchema input, RowSchema result) {
        RowSchema schema = input;
        List<Derivation> ds = new ArrayList<>();
        for (Options f : o.<Options>list("fields")) {
            int target = result.indexOf(f.string("name"));
            Field field = result.fields().get(target);
            CelProgram when =
                    f.expr("when") == null ? null : new CelProgram(f.expr("when"), schema);
            ds.add(
                    new Derivation(
                            field.name(),
                            target,
                            field.type(),
                            new CelProgram(f.expr("expr"), schema),
                            when,
                            f.pos().fileLine()));
            schema = schema.with(field);
        }
        return ds;
    }

    record Derivation(
            String name,
            int target,
            FieldType type,
            CelProgram expr,
            CelProgram when,
            String position)
            implements Serializable {}

    /** Stateless. */
    static final class DeriveFunction extends ProcessFunction<EventRow, EventRow> {
        private final List<Derivation> derivations;
        private final int arity;
        private final String step;

        DeriveFunction(List<Derivation> derivations, int arity, String step) {
            this.derivations = derivations;
            this.arity = arity;
            this.step = step;
        }

        private transient FunctionOut rowOut;

        @Override
        public void processElement(EventRow in, Context ctx, Collector<EventRow> out) {
            if (rowOut == null) {
                rowOut = new FunctionOut(null);
            }
            apply(in, rowOut.bind(ctx, out));
        }

        void apply(EventRow in, RowOut out) {
            EventRow row = in.widen(arity);
            for (Derivation d : derivations) {
                boolean whenDone = false;
                try {
                    if (d.when() != null && !Boolean.TRUE.equals(d.when().eval(row))) {
                        row.set(d.target(), null);
                        continue;
                    }
                    whenDone = true;
                    Object v = d.expr().eval(row);
                    if (v instanceof Long l && d.type() == FieldType.DOUBLE) {
                        v = l.doubleValue();
                    }
                    row.set(d.target(), v);
                } catch (CelEvaluationException e) {
                    out.dead(
                            DeadLetters.of(
                                    Reason.EXPRESSION_ERROR,
                                    d.name()
                                            + ": "
                                            + (d.when() != null && !whenDone ? d.when() : d.expr())
                                                    .explain(row, e),
                                    d.name(),
                                    in.raw(),
                                    d.position(),
                                    in.origin(),
                                    step));
                    return;
                }
            }
            out.emit(row);
        }
    }
}
