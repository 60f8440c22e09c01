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
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.routes.RouteSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * {@code validate}: required fields, numeric ranges and CEL checks. A failing row goes to dead
 * letters with the first rule it breaks; passing rows continue unchanged, with required fields
 * known to be present from here on.
 */
public final class ValidateProcessor implements ProcessorFactory, RouteProcessor {
    static final OptionsSchema RANGE =
            OptionsSchema.builder()
                    .required("field", OptionType.STRING, "numeric field to check")
                    .optional("at-least", OptionType.DOUBLE, null, "value >= this")
                    .optional("greater-than", OptionType.DOUBLE, null, "value > this")
                    .optional("at-most", OptionType.DOUBLE, null, "value <= this")
                    .optional("less-than", OptionType.DOUBLE, null, "value < this")
                    .build();

    static final OptionsSchema CHECK =
            OptionsSchema.builder()
                    .required(
                            "expr",
                            OptionType.EXPRESSION,
                            "CEL condition every valid row satisfies")
                    .optional(
                            "message",
                            OptionType.STRING,
                            null,
                            "what the dead letter says when it fails")
                    .build();

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .optional(
                            "required",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "fields that must have a value")
                    .optional(
                            "ranges",
                            OptionType.listOf(OptionType.object(RANGE)),
                            List.of(),
                            "numeric bounds (a missing value passes; require it to reject it)")
                    .optional(
                            "checks",
                            OptionType.listOf(OptionType.object(CHECK)),
                            List.of(),
                            "CEL conditions")
                    .build();

    @Override
    public String identifier() {
        return "validate";
    }

    @Override
    public String description() {
        return "Rejects rows that miss required fields, break numeric ranges or fail CEL checks; they go to dead letters.";
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
        RowSchema out = input;
        List<String> required = o.list("required");
        for (int i = 0; i < required.size(); i++) {
            String f = required.get(i);
            if (f != null && input.field(f) == null) {
                problems.add(
                        o.pos("required", i),
                        o.path("required") + "[" + i + "]",
                        Suggest.unknown("field", f, input.names()));
            } else if (f != null) {
                out = out.nonNull(f);
            }
        }
        for (Options r : o.<Options>list("ranges")) {
            String f = r.string("field");
            if (f == null) {
                continue;
            }
            Field field = input.field(f);
            if (field == null) {
                problems.add(
                        r.pos("field"),
                        r.path("field"),
                        Suggest.unknown("field", f, input.names()));
            } else if (!field.type().isNumeric()) {
                problems.add(
                        r.pos("field"),
                        r.path("field"),
                        "ranges apply to numeric fields; '" + f + "' is " + field.type().id());
            }
            if (!r.has("at-least")
                    && !r.has("greater-than")
                    && !r.has("at-most")
                    && !r.has("less-than")) {
                problems.add(
                        r.pos(),
                        r.path(),
                        "a range needs at least one of at-least, greater-than, at-most, less-than");
            }
        }
        for (Options c : o.<Options>list("checks")) {
            if (c.expr("expr") != null) {
                CelSupport.check(
                        c.expr("expr"), input, c.path("expr"), problems, FieldType.BOOLEAN);
            }
        }
        return out;
    }

    private static List<Rule> rules(Options o, RowSchema schema) {
        List<Rule> rules = new ArrayList<>();
        for (String f : o.<String>list("required")) {
            rules.add(
                    new Rule(
                            Kind.REQUIRED,
                            schema.indexOf(f),
                            f,
                            0,
                            null,
                            null,
                            o.pos("required").fileLine()));
        }
        for (Options r : o.<Options>list("ranges")) {
            int i = schema.indexOf(r.string("field"));
            String pos = r.pos().fileLine();
            addBound(rules, Kind.AT_LEAST, i, r, "at-least", pos);
            addBound(rules, Kind.GREATER_THAN, i, r, "greater-than", pos);
            addBound(rules, Kind.AT_MOST, i, r, "at-most", pos);
            addBound(rules, Kind.LESS_THAN, i, r, "less-than", pos);
        }
        for (Options c : o.<Options>list("checks")) {
            rules.add(
                    new Rule(
                            Kind.CHECK,
                            -1,
                            null,
                            0,
                            new CelProgram(c.expr("expr"), schema),
                            c.string("message"),
                            c.pos().fileLine()));
        }
        return rules;
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        ValidateFunction f = new ValidateFunction(rules(route.params(), route.input()), step);
        RouteLogic.Stateless logic = (row, ts, scope) -> f.apply(row, RouteLogics.out(scope));
        return logic;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        List<Rule> rules = rules(ctx.step().options(), ctx.step().input());
        SingleOutputStreamOperator<EventRow> out =
                input.process(
                                new ValidateFunction(rules, ctx.stepRef()),
                                new EventRowTypeInfo(ctx.step().result()))
                        .uid(ctx.uid("validate"))
                        .name(ctx.name("validate"));
        return new StepResult(out, out.getSideOutput(DeadLetters.TAG), List.of());
    }

    private static void addBound(
            List<Rule> rules, Kind kind, int field, Options r, String key, String pos) {
        if (r.has(key)) {
            rules.add(
                    new Rule(kind, field, r.string("field"), r.doubleValue(key), null, null, pos));
        }
    }

    enum Kind {
        REQUIRED,
        AT_LEAST,
        GREATER_THAN,
        AT_MOST,
        LESS_THAN,
        CHECK
    }

    record Rule(
            Kind kind,
            int field,
            String name,
            double bound,
            CelProgram check,
            String message,
            String position)
            implements Serializable {}

    /** Stateless: each row is checked on its own. */
    static final class ValidateFunction extends ProcessFunction<EventRow, EventRow> {
        private final List<Rule> rules;
        private final String step;

        ValidateFunction(List<Rule> rules, String step) {
            this.rules = rules;
            this.step = step;
        }

        private transient FunctionOut rowOut;

        @Override
        public void processElement(EventRow row, Context ctx, Collector<EventRow> out) {
            if (rowOut == null) {
                rowOut = new FunctionOut(null);
            }
            apply(row, rowOut.bind(ctx, out));
        }

        void apply(EventRow row, RowOut out) {
            for (Rule r : rules) {
                EventRow dead = apply(r, row);
                if (dead != null) {
                    out.dead(dead);
                    return;
                }
            }
            out.emit(row);
        }

        private EventRow apply(Rule r, EventRow row) {
            if (r.kind() == Kind.CHECK) {
                try {
                    Object ok = r.check().eval(row);
                    if (Boolean.TRUE.equals(ok)) {
                        return null;
                    }
                    String msg =
                            r.message() != null
                                    ? r.message()
                                    : "check failed: " + r.check().expr().text();
                    return dead(Reason.CHECK_FAILED, msg, null, row, r);
                } catch (CelEvaluationException e) {
                    return dead(
                            Reason.EXPRESSION_ERROR,
                            "check '"
                                    + r.check().expr().text()
                                    + "' could not be evaluated: "
                                    + r.check().explain(row, e),
                            null,
                            row,
                            r);
                }
            }
            Object v = row.get(r.field());
            if (r.kind() == Kind.REQUIRED) {
                return v == null
                        ? dead(
                                Reason.MISSING_FIELD,
                                r.name() + " is required but missing",
                                r.name(),
                                row,
                                r)
                        : null;
            }
            if (v == null) {
                return null;
            }
            double d = ((Number) v).doubleValue();
            boolean ok =
                    switch (r.kind()) {
                        case AT_LEAST -> d >= r.bound();
                        case GREATER_THAN -> d > r.bound();
                        case AT_MOST -> d <= r.bound();
                        case LESS_THAN -> d < r.bound();
                        default -> true;
                    };
            if (ok) {
                return null;
            }
            String rel =
                    switch (r.kind()) {
                        case AT_LEAST -> "at least";
                        case GREATER_THAN -> "greater than";
                        case AT_MOST -> "at most";
                        default -> "less than";
                    };
            return dead(
                    Reason.OUT_OF_RANGE,
                    r.name() + " = " + v + " must be " + rel + " " + num(r.bound()),
                    r.name(),
                    row,
                    r);
        }

        private EventRow dead(Reason reason, String msg, String field, EventRow row, Rule r) {
            return DeadLetters.of(reason, msg, field, row.raw(), r.position(), row.origin(), step);
        }
    }

    static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15
                ? Long.toString((long) d)
                : Double.toString(d);
    }
}
