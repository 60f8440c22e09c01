package io.sluice.runtime.processor;

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
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * {@code zscore-alert}: per key, in arrival order, compares each value with the population mean and
 * stddev of that key's previous values; alerts when count ≥ min-count, stddev > 0 and |z| > k; then
 * the value joins the statistics (Welford). Rows without a value are skipped.
 */
public final class ZScoreAlertProcessor implements ProcessorFactory, RouteProcessor {
    public static final RowSchema ALERT =
            RowSchema.of(
                    new Field("key", FieldType.STRING, false),
                    new Field("value", FieldType.DOUBLE, false),
                    new Field("mean", FieldType.DOUBLE, false),
                    new Field("stddev", FieldType.DOUBLE, false),
                    new Field("z", FieldType.DOUBLE, false),
                    new Field("event_time", FieldType.TIMESTAMP, true),
                    new Field("rule", FieldType.STRING, false));

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "key",
                            OptionType.listOf(OptionType.STRING),
                            "fields whose values form a statistics group")
                    .required("value", OptionType.STRING, "numeric field compared")
                    .optional("k", OptionType.DOUBLE, 3.0, "alert when |z| exceeds this")
                    .optional(
                            "min-count",
                            OptionType.INT,
                            30L,
                            "previous values needed before alerting")
                    .optional(
                            "state-ttl",
                            OptionType.DURATION,
                            Duration.ofDays(7),
                            "a key's statistics expire after this long without an update (processing time)")
                    .optional(
                            "rule",
                            OptionType.STRING,
                            null,
                            "rule name on alerts; defaults to the step id")
                    .build();

    @Override
    public String identifier() {
        return "zscore-alert";
    }

    @Override
    public String description() {
        return "Alerts on values far from their key's running mean (z-score over previous values).";
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
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        KeyProjector.check(o, "key", input, problems);
        String v = o.string("value");
        if (v != null) {
            Field f = input.field(v);
            if (f == null) {
                problems.add(
                        o.pos("value"),
                        o.path("value"),
                        Suggest.unknown("field", v, input.names()));
            } else if (!f.type().isNumeric()) {
                problems.add(
                        o.pos("value"),
                        o.path("value"),
                        "'" + v + "' is " + f.type().id() + "; the value must be numeric");
            }
        }
        if (o.get("k") != null && o.doubleValue("k") <= 0) {
            problems.add(o.pos("k"), o.path("k"), "k must be positive");
        }
        if (o.get("min-count") != null && o.longValue("min-count") < 1) {
            problems.add(o.pos("min-count"), o.path("min-count"), "min-count must be at least 1");
        }
        if (o.duration("state-ttl") != null && o.duration("state-ttl").isZero()) {
            problems.add(o.pos("state-ttl"), o.path("state-ttl"), "the state TTL must be positive");
        }
        return ALERT;
    }

    @Override
    public OptionsSchema routeOptions() {
        return OPTIONS.minus("key");
    }

    /**
     * In a route the statistics live in the route key's state (they survive new versions of the
     * route); {@code state-ttl} is the routes' own, set in the spec.
     */
    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        Options o = route.params();
        int valueIndex = route.input().indexOf(o.string("value"));
        int[] keyIndex = route.key().stream().mapToInt(route.input()::indexOf).toArray();
        double k = o.doubleValue("k");
        long minCount = o.longValue("min-count");
        String rule = o.string("rule") != null ? o.string("rule") : route.id();
        return (row, ts, scope) -> {
            Object v = row.get(valueIndex);
            if (v == null) {
                return;
            }
            double[] s = scope.stats();
            if (s == null) {
                s = new double[3];
            }
            Object[] key = new Object[keyIndex.length];
            for (int i = 0; i < key.length; i++) {
                key[i] = row.get(keyIndex[i]);
            }
            EventRow alert =
                    ZScoreFunction.observe(
                            s,
                            ((Number) v).doubleValue(),
                            k,
                            minCount,
                            ZScoreFunction.keyText(EventRow.of(key)),
                            ts,
                            rule,
                            row);
            scope.stats(s);
            if (alert != null) {
                scope.emit(alert);
            }
        };
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        Options o = ctx.step().options();
        RowSchema in = ctx.step().input();
        List<String> key = o.list("key");
        String rule = o.string("rule") != null ? o.string("rule") : ctx.step().id();
        SingleOutputStreamOperator<EventRow> alerts =
                input.keyBy(KeyProjector.of(in, key), KeyProjector.keyType(in, key))
                        .process(
                                new ZScoreFunction(
                                        in.indexOf(o.string("value")),
                                        o.doubleValue("k"),
                                        o.longValue("min-count"),
                                        o.duration("state-ttl"),
                                        rule),
                                new EventRowTypeInfo(ALERT))
                        .uid(ctx.uid("zscore"))
                        .name(ctx.name("zscore-alert"));
        return StepResult.of(alerts);
    }

    /**
     * State: per key {@code [count, mean, m2]}. It is cleared when the TTL passes without an
     * update; there is no end-of-key event to clear it sooner.
     */
    public static final class ZScoreFunction
            extends KeyedProcessFunction<EventRow, EventRow, EventRow> {
        private final int valueIndex;
        private final double k;
        private final long minCount;
        private final Duration ttl;
        private final String rule;
        private transient ValueState<double[]> stats;

        public ZScoreFunction(int valueIndex, double k, long minCount, Duration ttl, String rule) {
            this.valueIndex = valueIndex;
            this.k = k;
            this.minCount = minCount;
            this.ttl = ttl;
            this.rule = rule;
        }

        @Override
        public void open(OpenContext openContext) {
            ValueStateDescriptor<double[]> d =
                    new ValueStateDescriptor<>(
                            "zscore-stats",
                            PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO);
            d.enableTimeToLive(
                    StateTtlConfig.newBuilder(ttl)
                            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                            .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                            .build());
            stats = getRuntimeContext().getState(d);
        }

        @Override
        public void processElement(EventRow row, Context ctx, Collector<EventRow> out)
                throws Exception {
            Object v = row.get(valueIndex);
            if (v == null) {
                return;
            }
            double[] s = stats.value();
            if (s == null) {
                s = new double[3];
            }
            EventRow alert =
                    observe(
                            s,
                            ((Number) v).doubleValue(),
                            k,
                            minCount,
                            keyText(ctx.getCurrentKey()),
                            ctx.timestamp(),
                            rule,
                            row);
            if (alert != null) {
                out.collect(alert);
            }
            stats.update(s);
        }

        /**
         * Compares {@code x} with the statistics {@code s = [count, mean, m2]} (updated in place to
         * include it); the alert row, or null.
         */
        static EventRow observe(
                double[] s,
                double x,
                double k,
                long minCount,
                String key,
                Long timestamp,
                String rule,
                EventRow row) {
            EventRow alert = null;
            double n = s[0];
            if (n >= minCount) {
                double stddev = Math.sqrt(s[2] / n);
                if (stddev > 0) {
                    double z = (x - s[1]) / stddev;
                    if (Math.abs(z) > k) {
                        alert =
                                new EventRow(
                                        new Object[] {key, x, s[1], stddev, z, timestamp, rule},
                                        null,
                                        row.origin(),
                                        row.configVersion());
                    }
                }
            }
            n += 1;
            double delta = x - s[1];
            s[0] = n;
            s[1] += delta / n;
            s[2] += delta * (x - s[1]);
            return alert;
        }

        static String keyText(EventRow key) {
            if (key.arity() == 1) {
                return String.valueOf(key.get(0));
            }
            StringJoiner j = new StringJoiner("|");
            for (Object o : key.values()) {
                j.add(String.valueOf(o));
            }
            return j.toString();
        }
    }
}
