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
import io.sluice.spec.routes.RouteSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
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
 * {@code rate-alert}: per key, alerts when more than {@code threshold} events fall within {@code
 * window} of event time (e.g. a student adding more than 20 wrong answers within 10 minutes), once
 * per crossing: after an alert the key is quiet until an event finds the count back at or below the
 * threshold. The count is taken over the window ending at the key's latest event time, so events
 * arriving out of order count where they belong. Events without event time are skipped.
 */
public final class RateAlertProcessor implements ProcessorFactory, RouteProcessor {
    public static final RowSchema ALERT =
            RowSchema.of(
                    new Field("key", FieldType.STRING, false),
                    new Field("events", FieldType.LONG, false),
                    new Field("first_event_time", FieldType.TIMESTAMP, false),
                    new Field("last_event_time", FieldType.TIMESTAMP, false),
                    new Field("threshold", FieldType.LONG, false),
                    new Field("rule", FieldType.STRING, false));

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "key",
                            OptionType.listOf(OptionType.STRING),
                            "fields whose values form a group counted apart (e.g. user_id)")
                    .required("window", OptionType.DURATION, "how far back events are counted")
                    .required(
                            "threshold",
                            OptionType.INT,
                            "alert when more events than this fall within the window")
                    .optional(
                            "state-ttl",
                            OptionType.DURATION,
                            Duration.ofDays(1),
                            "a key's state expires after this long without an event (processing"
                                    + " time)")
                    .optional(
                            "rule",
                            OptionType.STRING,
                            null,
                            "rule name on alerts; defaults to the step id")
                    .build();

    @Override
    public String identifier() {
        return "rate-alert";
    }

    @Override
    public String description() {
        return "Alerts once when a key's events within a window exceed a threshold.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public OptionsSchema routeOptions() {
        return OPTIONS.minus("key");
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
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        KeyProjector.check(o, "key", input, problems);
        Duration w = o.duration("window");
        if (w != null && w.toMillis() < 1) {
            problems.add(o.pos("window"), o.path("window"), "the window must be positive");
        }
        if (o.get("threshold") != null) {
            long t = o.longValue("threshold");
            if (t < 0 || t > 100_000) {
                problems.add(o.pos("threshold"), o.path("threshold"), "must be 0 to 100000");
            }
        }
        return ALERT;
    }

    /** In a route the counts live in the route key's state and survive new versions of it. */
    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        Options o = route.params();
        int[] keyIndex = route.key().stream().mapToInt(route.input()::indexOf).toArray();
        long window = o.duration("window").toMillis();
        int threshold = (int) o.longValue("threshold");
        String rule = o.string("rule") != null ? o.string("rule") : route.id();
        return (row, ts, scope) -> {
            if (ts == null) {
                return;
            }
            double[] s = observe(scope.stats(), ts, window, threshold);
            boolean crossed = s[0] < 0;
            if (crossed) {
                s[0] = 0;
            }
            scope.stats(s);
            if (crossed) {
                scope.emit(alert(s, keyText(row, keyIndex), threshold, rule, row));
            }
        };
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        Options o = ctx.step().options();
        RowSchema in = ctx.step().input();
        List<String> key = o.list("key");
        SingleOutputStreamOperator<EventRow> alerts =
                input.keyBy(KeyProjector.of(in, key), KeyProjector.keyType(in, key))
                        .process(
                                new RateFunction(
                                        o.duration("window").toMillis(),
                                        (int) o.longValue("threshold"),
                                        o.duration("state-ttl"),
                                        o.string("rule") != null
                                                ? o.string("rule")
                                                : ctx.step().id()),
                                new EventRowTypeInfo(ALERT))
                        .uid(ctx.uid("rate"))
                        .name(ctx.name("rate-alert"));
        return StepResult.of(alerts);
    }

    /**
     * Adds an event at {@code ts} to a key's state {@code [armed, t1 <= ... <= tm]}: the {@code
     * threshold + 1} largest event times seen, and whether the next crossing alerts (1) or not (0).
     * More than {@code threshold} events lie within the window ending at the latest time exactly
     * when there are {@code threshold + 1} kept times and the smallest is inside it. The returned
     * state's first slot is -1 when this event crosses (the caller alerts and stores 0).
     */
    static double[] observe(double[] s, long ts, long window, int threshold) {
        int keep = threshold + 1;
        double[] out;
        if (s == null) {
            out = new double[] {1, ts};
        } else {
            int n = s.length - 1;
            int at = Arrays.binarySearch(s, 1, s.length, ts);
            int pos = at < 0 ? -at - 1 : at;
            out = new double[s.length + 1];
            out[0] = s[0];
            System.arraycopy(s, 1, out, 1, pos - 1);
            out[pos] = ts;
            System.arraycopy(s, pos, out, pos + 1, n - (pos - 1));
            if (out.length - 1 > keep) {
                double[] cut = new double[keep + 1];
                cut[0] = out[0];
                System.arraycopy(out, out.length - keep, cut, 1, keep);
                out = cut;
            }
        }
        int m = out.length - 1;
        double latest = out[m];
        boolean over = m == keep && out[1] > latest - window;
        if (!over) {
            out[0] = 1;
        } else if (out[0] == 1) {
            out[0] = -1;
        }
        return out;
    }

    static EventRow alert(double[] s, String key, int threshold, String rule, EventRow row) {
        int m = s.length - 1;
        return new EventRow(
                new Object[] {key, (long) m, (long) s[1], (long) s[m], (long) threshold, rule},
                null,
                row.origin(),
                row.configVersion());
    }

    private static String keyText(EventRow row, int[] keyIndex) {
        Object[] key = new Object[keyIndex.length];
        for (int i = 0; i < key.length; i++) {
            key[i] = row.get(keyIndex[i]);
        }
        return ZScoreAlertProcessor.ZScoreFunction.keyText(EventRow.of(key));
    }

    /**
     * State: per key the {@code threshold + 1} latest event times and the armed flag ({@link
     * #observe}); cleared when the TTL passes without an event.
     */
    public static final class RateFunction
            extends KeyedProcessFunction<EventRow, EventRow, EventRow> {
        private final long window;
        private final int threshold;
        private final Duration ttl;
        private final String rule;
        private transient ValueState<double[]> state;

        public RateFunction(long window, int threshold, Duration ttl, String rule) {
            this.window = window;
            this.threshold = threshold;
            this.ttl = ttl;
            this.rule = rule;
        }

        @Override
        public void open(OpenContext openContext) {
            ValueStateDescriptor<double[]> d =
                    new ValueStateDescriptor<>(
                            "rate", PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO);
            d.enableTimeToLive(
                    StateTtlConfig.newBuilder(ttl)
                            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                            .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                            .build());
            state = getRuntimeContext().getState(d);
        }

        @Override
        public void processElement(EventRow row, Context ctx, Collector<EventRow> out)
                throws Exception {
            Long ts = ctx.timestamp();
            if (ts == null) {
                return;
            }
            double[] s = observe(state.value(), ts, window, threshold);
            if (s[0] < 0) {
                s[0] = 0;
                out.collect(
                        alert(
                                s,
                                ZScoreAlertProcessor.ZScoreFunction.keyText(ctx.getCurrentKey()),
                                threshold,
                                rule,
                                row));
            }
            state.update(s);
        }
    }
}
