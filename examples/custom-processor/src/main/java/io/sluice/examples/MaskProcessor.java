package io.sluice.examples;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.processor.ProcessorFactory;
import io.sluice.runtime.processor.StepResult;
import io.sluice.runtime.route.RouteLogic;
import io.sluice.runtime.route.RouteProcessor;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.routes.RouteSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * {@code mask}: replaces string fields with a salted SHA-256 pseudonym (first 16 hex digits), so
 * outputs can be joined on a user without showing who it is. A custom processor: registered in
 * {@code META-INF/services/io.sluice.spec.plugin.PluginDescriptor}, named by its identifier in
 * specs and routes, validated like the built-in ones.
 */
public final class MaskProcessor implements ProcessorFactory, RouteProcessor {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "fields",
                            OptionType.listOf(OptionType.STRING),
                            "string fields to replace with pseudonyms")
                    .optional(
                            "salt",
                            OptionType.STRING,
                            "",
                            "mixed into the hash, e.g. ${env:MASK_SALT}")
                    .build();

    @Override
    public String identifier() {
        return "mask";
    }

    @Override
    public String description() {
        return "Replaces string fields with salted SHA-256 pseudonyms.";
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
        List<String> fields = o.list("fields");
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i) == null ? null : input.field(fields.get(i));
            if (f == null && fields.get(i) != null) {
                problems.add(
                        o.pos("fields", i),
                        o.path("fields") + "[" + i + "]",
                        Suggest.unknown("field", fields.get(i), input.names()));
            } else if (f != null && f.type() != FieldType.STRING) {
                problems.add(
                        o.pos("fields", i),
                        o.path("fields") + "[" + i + "]",
                        "'" + f.name() + "' is " + f.type().id() + "; mask takes string fields");
            }
        }
        return input;
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        Mask mask = mask(ctx.step().options(), ctx.step().input());
        return StepResult.of(
                input.map(mask)
                        .returns(new EventRowTypeInfo(ctx.step().result()))
                        .uid(ctx.uid("mask"))
                        .name(ctx.name("mask")));
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        Mask mask = mask(route.params(), route.input());
        return (row, timestamp, scope) -> scope.emit(mask.map(row));
    }

    private static Mask mask(Options o, RowSchema input) {
        return new Mask(
                o.<String>list("fields").stream().mapToInt(input::indexOf).toArray(),
                o.string("salt"));
    }

    /** Stateless. */
    static final class Mask implements MapFunction<EventRow, EventRow> {
        private final int[] fields;
        private final String salt;

        Mask(int[] fields, String salt) {
            this.fields = fields;
            this.salt = salt;
        }

        @Override
        public EventRow map(EventRow row) {
            Object[] v = row.values().clone();
            for (int i : fields) {
                if (v[i] != null) {
                    v[i] = pseudonym(salt, (String) v[i]);
                }
            }
            return new EventRow(v, row.raw(), row.origin(), row.configVersion());
        }
    }

    static String pseudonym(String salt, String value) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest((salt + value).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
