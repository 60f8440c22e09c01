package io.sluice.runtime.processor;

import io.sluice.runtime.compose.Emitted;
import io.sluice.runtime.compose.StepContext;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * {@code window-aggregate}: keyed event-time windows (tumbling, sliding, session or cumulating)
 * with count, sum, avg, min, max and population stddev. A row whose windows have all closed
 * (watermark past window end plus allowed lateness) goes to the late output, or to dead letters
 * when none is named. Window state is cleared when the watermark passes a window's end plus the
 * allowed lateness.
 */
public final class WindowAggregateProcessor implements ProcessorFactory, RouteProcessor {
    static final List<String> FUNCTIONS = List.of("count", "sum", "avg", "min", "max", "stddev");

    static final OptionsSchema WINDOW =
            OptionsSchema.builder()
                    .required(
                            "type",
                            OptionType.oneOf("tumbling", "sliding", "session", "cumulate"),
                            "window kind")
                    .required(
                            "size",
                            OptionType.DURATION,
                            "window length; for a session, the gap without rows that ends it")
                    .optional(
                            "slide", OptionType.DURATION, null, "how often a sliding window starts")
                    .optional(
                            "step",
                            OptionType.DURATION,
                            null,
                            "how often a cumulating window emits its running result")
                    .build();

    /** Live routes keep windows per version and do not merge sessions: no session type there. */
    static final OptionsSchema ROUTE_WINDOW =
            OptionsSchema.builder()
                    .required("type", OptionType.oneOf("tumbling", "sliding"), "window kind")
                    .required("size", OptionType.DURATION, "window length")
                    .optional(
                            "slide", OptionType.DURATION, null, "how often a sliding window starts")
                    .build();

    static final OptionsSchema AGGREGATE =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "output field")
                    .required("fn", new OptionType.OneOf(FUNCTIONS), "aggregate function")
                    .optional(
                            "field",
                            OptionType.STRING,
                            null,
                            "input field (count without it counts rows)")
                    .build();

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "key", OptionType.listOf(OptionType.STRING), "fields grouping the rows")
                    .required("window", OptionType.object(WINDOW), "the window")
                    .required(
                            "aggregates",
                            OptionType.listOf(OptionType.object(AGGREGATE)),
                            "what to compute per window")
                    .optional(
                            "allowed-lateness",
                            OptionType.DURATION,
                            Duration.ZERO,
                            "how long after a window closes late rows still update it")
                    .optional(
                            "late-output",
                            OptionType.STRING,
                            null,
                            "sink for rows too late for every window (default: dead letters)")
                    .build();

    @Override
    public String identifier() {
        return "window-aggregate";
    }

    @Override
    public String description() {
        return "Aggregates rows per key over tumbling, sliding, session or cumulating event-time"
                + " windows.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
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
        return List.of("late-output");
    }

    @Override
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        KeyProjector.check(o, "key", input, problems);
        Options w = o.object("window");
        if (w != null) {
            checkWindow(w, problems);
        }
        List<Field> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String k : o.<String>list("key")) {
            if (k != null && input.field(k) != null) {
                out.add(input.field(k));
                names.add(k);
            }
        }
        out.add(new Field("window_start", FieldType.TIMESTAMP, false));
        out.add(new Field("window_end", FieldType.TIMESTAMP, false));
        names.add("window_start");
        names.add("window_end");
        for (Options a : o.<Options>list("aggregates")) {
            String name = a.string("name");
            String fn = a.string("fn");
            if (name == null || fn == null) {
                continue;
            }
            if (!names.add(name)) {
                problems.add(
                        a.pos("name"), a.path("name"), "duplicate output field '" + name + "'");
            }
            String f = a.string("field");
            if (f == null && !fn.equals("count")) {
                problems.add(a.pos(), a.path("field"), "'" + fn + "' needs a field");
            } else if (f != null) {
                Field field = input.field(f);
                if (field == null) {
                    problems.add(
                            a.pos("field"),
                            a.path("field"),
                            Suggest.unknown("field", f, input.names()));
                } else if (!field.type().isNumeric() && !fn.equals("count")) {
                    problems.add(
                            a.pos("field"),
                            a.path("field"),
                            "'"
                                    + fn
                                    + "' needs a numeric field; '"
                                    + f
                                    + "' is "
                                    + field.type().id());
                }
            }
            out.add(
                    fn.equals("count")
                            ? new Field(name, FieldType.LONG, false)
                            : new Field(name, FieldType.DOUBLE, true));
        }
        return new RowSchema(out);
    }

    /** Size and slide for sliding windows; only a size (for sessions: the gap) otherwise. */
    static void checkWindow(Options w, Problems problems) {
        String type = w.string("type");
        Duration size = w.duration("size");
        if (type == null || size == null) {
            return;
        }
        Duration slide = w.duration("slide");
        Duration step = w.has("step") ? w.duration("step") : null;
        if (type.equals("cumulate")) {
            if (slide != null) {
                problems.add(
                        w.pos("slide"),
                        w.path("slide"),
                        "a cumulating window has a step, not a slide: use step (e.g. 15m)");
            }
            if (step == null) {
                problems.add(
                        w.pos(),
                        w.path("step"),
                        "a cumulating window needs 'step': how often it emits (e.g. 15m)");
            } else if (step.isZero()
                    || step.isNegative()
                    || size.isZero()
                    || size.isNegative()
                    || size.toMillis() % step.toMillis() != 0) {
                problems.add(
                        w.pos("step"),
                        w.path("step"),
                        "the step must be positive and divide the size (" + size + ")");
            }
            return;
        }
        if (step != null) {
            problems.add(
                    w.pos("step"),
                    w.path("step"),
                    "only a cumulating window has a step (type: cumulate)");
        }
        if (size.isZero() || size.isNegative()) {
            problems.add(w.pos("size"), w.path("size"), "the window size must be positive");
        }
        if (type.equals("sliding")) {
            if (slide == null) {
                problems.add(w.pos(), w.path("slide"), "a sliding window needs 'slide' (e.g. 5m)");
            } else if (slide.isZero() || slide.isNegative() || slide.compareTo(size) > 0) {
                problems.add(
                        w.pos("slide"),
                        w.path("slide"),
                        "the slide must be positive and at most the size (" + size + ")");
            }
        } else if (slide != null) {
            problems.add(
                    w.pos("slide"),
                    w.path("slide"),
                    type.equals("session")
                            ? "a session window has no slide: it lasts until 'size' passes"
                                    + " without rows"
                            : "a tumbling window has no slide; use type: sliding");
        }
    }

    @Override
    public OptionsSchema routeOptions() {
        return forRoutes(OPTIONS);
    }

    /** A window processor's route params: no key (the route has it), no session windows. */
    static OptionsSchema forRoutes(OptionsSchema options) {
        return options.minus("key")
                .minus("window")
                .plus(
                        OptionsSchema.builder()
                                .required(
                                        "window",
                                        OptionType.object(ROUTE_WINDOW),
                                        "the window (tumbling or sliding)")
                                .build());
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        return RouteWindows.of(route, step, null);
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        Options o = ctx.step().options();
        RowSchema in = ctx.step().input();
        List<String> key = o.list("key");
        Options w = o.object("window");
        List<Options> aggs = o.list("aggregates");
        int[] measureField = new int[aggs.size()];
        String[] fns = new String[aggs.size()];
        for (int i = 0; i < aggs.size(); i++) {
            String f = aggs.get(i).string("field");
            measureField[i] = f == null ? -1 : in.indexOf(f);
            fns[i] = aggs.get(i).string("fn");
        }
        OutputTag<EventRow> lateTag = new OutputTag<>(ctx.uid("late"), new EventRowTypeInfo(in));
        KeyedStream<EventRow, EventRow> keyed =
                input.keyBy(KeyProjector.of(in, key), KeyProjector.keyType(in, key));
        Duration lateness = o.duration("allowed-lateness");
        EventRowTypeInfo resultType = new EventRowTypeInfo(ctx.step().result());
        SingleOutputStreamOperator<EventRow> results;
        boolean session = "session".equals(w.string("type"));
        if (session) {
            results =
                    keyed.window(EventTimeSessionWindows.withGap(w.duration("size")))
                            .allowedLateness(lateness)
                            .sideOutputLateData(lateTag)
                            .aggregate(
                                    new Accumulate(measureField, fns),
                                    new Emit(new Accumulate(measureField, fns)),
                                    PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO,
                                    PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO,
                                    resultType);
        } else {
            Duration size = w.duration("size");
            boolean cumulate = "cumulate".equals(w.string("type"));
            Duration slide =
                    cumulate
                            ? w.duration("step")
                            : "sliding".equals(w.string("type")) ? w.duration("slide") : size;
            results =
                    keyed.transform(
                            ctx.name("window-aggregate"),
                            resultType,
                            new PaneWindowOperator(
                                    size.toMillis(),
                                    slide.toMillis(),
                                    lateness.toMillis(),
                                    new Accumulate(measureField, fns),
                                    lateTag,
                                    cumulate));
        }
        // pane windows keep other state than Flink's window operator did under "window": a new uid,
        // so a savepoint from before panes fails to map its window state loudly, not silently
        results.uid(ctx.uid(session ? "window" : "panes")).name(ctx.name("window-aggregate"));
        DataStream<EventRow> late = results.getSideOutput(lateTag);
        String lateSink = o.string("late-output");
        if (lateSink != null) {
            return new StepResult(
                    results, null, List.of(new Emitted(lateSink, late, in, ctx.uid("late"))));
        }
        DataStream<EventRow> lateDead =
                late.map(new LateToDeadLetter(ctx.stepRef(), ctx.position()))
                        .returns(io.sluice.runtime.row.DeadLetters.TYPE)
                        .uid(ctx.uid("late-dead-letters"))
                        .name(ctx.name("late rows"));
        return new StepResult(results, lateDead, List.of());
    }

    /**
     * Tumbling ({@code slide == size}) or sliding windows over panes, as {@code window-aggregate}
     * runs them: for each aggregate its function and input field index (-1: count rows).
     */
    public static SingleOutputStreamOperator<EventRow> paneWindows(
            KeyedStream<EventRow, EventRow> keyed,
            Duration size,
            Duration slide,
            Duration lateness,
            int[] measureFields,
            String[] fns,
            EventRowTypeInfo resultType,
            OutputTag<EventRow> lateTag,
            String name) {
        return keyed.transform(
                name,
                resultType,
                new PaneWindowOperator(
                        size.toMillis(),
                        slide.toMillis(),
                        lateness.toMillis(),
                        new Accumulate(measureFields, fns),
                        lateTag));
    }

    /** Late rows without a late output become dead letters: never dropped silently. */
    static final class LateToDeadLetter
            implements org.apache.flink.api.common.functions.MapFunction<EventRow, EventRow> {
        private final String step;
        private final String position;

        LateToDeadLetter(String step, String position) {
            this.step = step;
            this.position = position;
        }

        @Override
        public EventRow map(EventRow row) {
            return io.sluice.runtime.row.DeadLetters.of(
                    io.sluice.runtime.row.DeadLetters.Reason.LATE,
                    "the row arrived after all its windows closed",
                    null,
                    row.raw(),
                    position,
                    row.origin(),
                    step);
        }
    }

    /**
     * Accumulator layout: {@code [rows, then per aggregate only what it needs]}: nothing for a row
     * count, {@code n} for a count of values, {@code n, sum} for sum and avg, {@code n, min} and
     * {@code n, max}, {@code n, mean, m2} for stddev (Welford, so it stays accurate where
     * sum-of-squares cancels). A window or pane thus holds a few doubles per aggregate.
     */
    static final class Accumulate implements AggregateFunction<EventRow, double[], double[]> {
        /** An aggregate without a field counts rows. */
        static final int ROWS = -1;

        /** The aggregate's field is not in this row's schema: it keeps its slots, unchanged. */
        static final int ABSENT = -2;

        private final int[] fields;
        private final String[] fns;
        private final int[] offset;
        private final int size;

        /**
         * @param fields per aggregate, its input field's index, {@link #ROWS} or {@link #ABSENT}
         * @param fns per aggregate, its function
         */
        Accumulate(int[] fields, String[] fns) {
            this.fields = fields;
            this.fns = fns;
            this.offset = new int[fields.length];
            int next = 1;
            for (int j = 0; j < fields.length; j++) {
                offset[j] = next;
                next += fields[j] == ROWS ? 0 : slots(fns[j]);
            }
            this.size = next;
        }

        private static int slots(String fn) {
            return switch (fn) {
                case "count" -> 1;
                case "stddev" -> 3;
                default -> 2;
            };
        }

        @Override
        public double[] createAccumulator() {
            double[] acc = new double[size];
            for (int j = 0; j < fields.length; j++) {
                if (fields[j] != ROWS && fns[j].equals("min")) {
                    acc[offset[j] + 1] = Double.POSITIVE_INFINITY;
                } else if (fields[j] != ROWS && fns[j].equals("max")) {
                    acc[offset[j] + 1] = Double.NEGATIVE_INFINITY;
                }
            }
            return acc;
        }

        @Override
        public double[] add(EventRow row, double[] acc) {
            acc[0] += 1;
            for (int j = 0; j < fields.length; j++) {
                if (fields[j] < 0) {
                    continue;
                }
                Object v = row.get(fields[j]);
                if (v == null) {
                    continue;
                }
                double x = v instanceof Number num ? num.doubleValue() : 0.0;
                int b = offset[j];
                double n = acc[b] + 1;
                acc[b] = n;
                switch (fns[j]) {
                    case "count" -> {}
                    case "min" -> acc[b + 1] = Math.min(acc[b + 1], x);
                    case "max" -> acc[b + 1] = Math.max(acc[b + 1], x);
                    case "stddev" -> {
                        double delta = x - acc[b + 1];
                        acc[b + 1] += delta / n;
                        acc[b + 2] += delta * (x - acc[b + 1]);
                    }
                    default -> acc[b + 1] += x; // sum, avg
                }
            }
            return acc;
        }

        @Override
        public double[] getResult(double[] acc) {
            return acc;
        }

        @Override
        public double[] merge(double[] a, double[] b) {
            double[] out = createAccumulator();
            out[0] = a[0] + b[0];
            for (int j = 0; j < fields.length; j++) {
                if (fields[j] == ROWS) {
                    continue;
                }
                int s = offset[j];
                double na = a[s];
                double nb = b[s];
                double n = na + nb;
                out[s] = n;
                switch (fns[j]) {
                    case "count" -> {}
                    case "min" -> out[s + 1] = Math.min(a[s + 1], b[s + 1]);
                    case "max" -> out[s + 1] = Math.max(a[s + 1], b[s + 1]);
                    case "stddev" -> {
                        if (n > 0) {
                            double delta = b[s + 1] - a[s + 1];
                            out[s + 1] = a[s + 1] + delta * nb / n;
                            out[s + 2] = a[s + 2] + b[s + 2] + delta * delta * na * nb / n;
                        }
                    }
                    default -> out[s + 1] = a[s + 1] + b[s + 1];
                }
            }
            return out;
        }

        /** Key values, window bounds, then each aggregate's value (null over no values). */
        Object[] values(Object[] key, long start, long end, double[] acc) {
            int k = key.length;
            Object[] v = new Object[k + 2 + fns.length];
            System.arraycopy(key, 0, v, 0, k);
            v[k] = start;
            v[k + 1] = end;
            for (int j = 0; j < fns.length; j++) {
                if (fields[j] == ROWS) {
                    v[k + 2 + j] = (long) acc[0];
                    continue;
                }
                int s = offset[j];
                double n = acc[s];
                v[k + 2 + j] =
                        switch (fns[j]) {
                            case "count" -> (long) n;
                            case "sum", "min", "max" -> n == 0 ? null : acc[s + 1];
                            case "avg" -> n == 0 ? null : acc[s + 1] / n;
                            default -> n == 0 ? null : Math.sqrt(Math.max(0.0, acc[s + 2] / n));
                        };
            }
            return v;
        }
    }

    /** Emits one row per fired window: key fields, window bounds, aggregates. */
    static final class Emit
            extends ProcessWindowFunction<double[], EventRow, EventRow, TimeWindow> {
        private final Accumulate accumulate;

        Emit(Accumulate accumulate) {
            this.accumulate = accumulate;
        }

        @Override
        public void process(
                EventRow key, Context ctx, Iterable<double[]> accs, Collector<EventRow> out) {
            out.collect(
                    EventRow.of(
                            accumulate.values(
                                    key.values(),
                                    ctx.window().getStart(),
                                    ctx.window().getEnd(),
                                    accs.iterator().next())));
        }
    }
}
