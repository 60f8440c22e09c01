package io.sluice.runtime.processor;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.route.RouteLogic;
import io.sluice.runtime.route.RouteProcessor;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.routes.RouteSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * {@code project}: keeps the listed fields, in that order (all when none are listed), and renames
 * fields per {@code rename} (old name → new name).
 */
public final class ProjectProcessor implements ProcessorFactory, RouteProcessor {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .optional(
                            "fields",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "fields to keep, in order (default: all)")
                    .optional(
                            "rename",
                            OptionType.mapOf(OptionType.STRING),
                            Map.of(),
                            "new names: old-name: new_name")
                    .build();

    @Override
    public String identifier() {
        return "project";
    }

    @Override
    public String description() {
        return "Keeps, orders and renames fields.";
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
        List<String> keep = o.list("fields");
        List<Field> out = new ArrayList<>();
        if (keep.isEmpty()) {
            out.addAll(input.fields());
        }
        for (int i = 0; i < keep.size(); i++) {
            Field f = keep.get(i) == null ? null : input.field(keep.get(i));
            if (f == null) {
                if (keep.get(i) != null) {
                    problems.add(
                            o.pos("fields", i),
                            o.path("fields") + "[" + i + "]",
                            Suggest.unknown("field", keep.get(i), input.names()));
                }
                continue;
            }
            out.add(f);
        }
        Map<String, String> rename = o.map("rename");
        for (Map.Entry<String, String> e : rename.entrySet()) {
            int i = indexOf(out, e.getKey());
            if (i < 0) {
                problems.add(
                        o.pos("rename"),
                        o.path("rename") + "." + e.getKey(),
                        Suggest.unknown(
                                "field", e.getKey(), out.stream().map(Field::name).toList()));
            } else if (e.getValue() == null || !Field.isValidName(e.getValue())) {
                problems.add(
                        o.pos("rename"),
                        o.path("rename") + "." + e.getKey(),
                        "new names are snake_case identifiers; found '" + e.getValue() + "'");
            } else {
                Field f = out.get(i);
                out.set(i, new Field(e.getValue(), f.type(), f.nullable()));
            }
        }
        Set<String> names = new HashSet<>();
        for (Field f : out) {
            if (!names.add(f.name())) {
                problems.add(o.pos(), o.path(), "two fields would be named '" + f.name() + "'");
            }
        }
        return new RowSchema(out);
    }

    private static int indexOf(List<Field> fields, String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Where each output field comes from in the input. */
    private static int[] sources(Options o, RowSchema input, RowSchema result) {
        List<String> keep = o.list("fields");
        List<String> names = keep.isEmpty() ? input.names() : keep;
        int[] idx = new int[result.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = input.indexOf(names.get(i));
        }
        return idx;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        Project p =
                new Project(sources(ctx.step().options(), ctx.step().input(), ctx.step().result()));
        return StepResult.of(
                input.map(p)
                        .returns(new EventRowTypeInfo(ctx.step().result()))
                        .uid(ctx.uid("project"))
                        .name(ctx.name("project")));
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        Project p = new Project(sources(route.params(), route.input(), route.result()));
        RouteLogic.Stateless logic = (row, ts, scope) -> scope.emit(p.map(row));
        return logic;
    }

    /** Stateless. */
    static final class Project implements MapFunction<EventRow, EventRow> {
        private final int[] from;

        Project(int[] from) {
            this.from = from;
        }

        @Override
        public EventRow map(EventRow row) {
            Object[] v = new Object[from.length];
            for (int i = 0; i < from.length; i++) {
                v[i] = row.get(from[i]);
            }
            return new EventRow(v, row.raw(), row.origin(), row.configVersion());
        }
    }
}
