package io.sluice.bench.scenarios;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The baseline: hot items as written by hand on the DataStream API. Per (tenant, scenario, item),
 * Flink's {@code SlidingEventTimeWindows} with an incremental {@code AggregateFunction}
 * accumulating {@code Σ w · exp(λ · (t − ref))} and a {@code ProcessWindowFunction} scaling it by
 * {@code exp(−λ · (end − ref))}; then keyed by (tenant, scenario, window end), the window's scores
 * are collected in list state and the top N emitted when the watermark passes the window's end.
 */
final class NativeHotItemsJob {
    private NativeHotItemsJob() {}

    private static final org.apache.flink.api.common.typeinfo.TypeInformation<double[]> DOUBLES =
            org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo
                    .DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO;

    /** A reference instant near the data, so that exp(λ · (t − ref)) stays in range. */
    static long ref;

    static DataStream<EventRow> compose(
            DataStream<EventRow> events,
            Map<String, Double> weights,
            double lambdaPerHour,
            Duration size,
            Duration slide,
            int topN) {
        return itemScores(events, weights, lambdaPerHour, size, slide)
                .keyBy(r -> r.get(0) + "|" + r.get(1) + "|" + r.get(3), Types.STRING)
                .process(new TopN(topN), new EventRowTypeInfo(HotScoreBenchmark.HOT))
                .name("top N");
    }

    /** Per (tenant, scenario, item) and window: the item's score and events. */
    static org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator<EventRow>
            itemScores(
                    DataStream<EventRow> events,
                    Map<String, Double> weights,
                    double lambdaPerHour,
                    Duration size,
                    Duration slide) {
        double lambda = lambdaPerHour / 3_600_000.0;
        long reference = ref;
        return events.keyBy(NativeHotItemsJob::itemKey, Types.STRING)
                .window(SlidingEventTimeWindows.of(size, slide))
                .aggregate(
                        new Decayed(weights, lambda, reference),
                        new Scaled(lambda, reference),
                        DOUBLES,
                        DOUBLES,
                        new EventRowTypeInfo(HotScoreBenchmark.ITEM_SCORE))
                .name("item scores (SlidingEventTimeWindows)");
    }

    static String itemKey(EventRow r) {
        return r.get(0) + "|" + r.get(1) + "|" + r.get(3);
    }

    /** [Σ w · exp(λ (t − ref)), events]. */
    static final class Decayed implements AggregateFunction<EventRow, double[], double[]> {
        private final Map<String, Double> weights;
        private final double lambda;
        private final long ref;

        Decayed(Map<String, Double> weights, double lambda, long ref) {
            this.weights = weights;
            this.lambda = lambda;
            this.ref = ref;
        }

        @Override
        public double[] createAccumulator() {
            return new double[2];
        }

        @Override
        public double[] add(EventRow e, double[] acc) {
            Double w = weights.get((String) e.get(5));
            if (w != null) {
                acc[0] += w * Math.exp(lambda * ((Long) e.get(6) - ref));
            }
            acc[1]++;
            return acc;
        }

        @Override
        public double[] getResult(double[] acc) {
            return acc;
        }

        @Override
        public double[] merge(double[] a, double[] b) {
            return new double[] {a[0] + b[0], a[1] + b[1]};
        }
    }

    /** (tenant, scenario, item, window end, score, events). */
    static final class Scaled
            extends ProcessWindowFunction<double[], EventRow, String, TimeWindow> {
        private final double lambda;
        private final long ref;

        Scaled(double lambda, long ref) {
            this.lambda = lambda;
            this.ref = ref;
        }

        @Override
        public void process(
                String key, Context ctx, Iterable<double[]> accs, Collector<EventRow> out) {
            double[] acc = accs.iterator().next();
            String[] k = key.split("\\|", 3);
            long end = ctx.window().getEnd();
            out.collect(
                    EventRow.of(
                            k[0],
                            k[1],
                            k[2],
                            end,
                            acc[0] * Math.exp(-lambda * (end - ref)),
                            (long) acc[1]));
        }
    }

    /** Collects one window's item scores and emits the top N once the window is complete. */
    static final class TopN extends KeyedProcessFunction<String, EventRow, EventRow> {
        private final int n;
        private transient ListState<EventRow> scores;

        TopN(int n) {
            this.n = n;
        }

        @Override
        public void open(OpenContext ctx) {
            scores =
                    getRuntimeContext()
                            .getListState(
                                    new ListStateDescriptor<>(
                                            "scores",
                                            new EventRowTypeInfo(HotScoreBenchmark.ITEM_SCORE)));
        }

        @Override
        public void processElement(EventRow r, Context ctx, Collector<EventRow> out)
                throws Exception {
            scores.add(r);
            ctx.timerService().registerEventTimeTimer((Long) r.get(3));
        }

        @Override
        public void onTimer(long ts, OnTimerContext ctx, Collector<EventRow> out) throws Exception {
            List<EventRow> all = new ArrayList<>();
            scores.get().forEach(all::add);
            scores.clear();
            all.sort(
                    Comparator.comparingDouble((EventRow r) -> -(Double) r.get(4))
                            .thenComparing(r -> (String) r.get(2)));
            long end = ts;
            for (int i = 0; i < Math.min(n, all.size()); i++) {
                EventRow r = all.get(i);
                out.collect(
                        EventRow.of(
                                r.get(0),
                                r.get(1),
                                end - HotScoreBenchmark.SIZE.toMillis(),
                                end,
                                (long) i + 1,
                                r.get(2),
                                r.get(4),
                                r.get(5)));
            }
        }
    }
}
