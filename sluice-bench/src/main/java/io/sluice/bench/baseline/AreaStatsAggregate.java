package io.sluice.bench.baseline;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Per area and window: trip count, mean fare, mean miles and the population standard deviation of
 * fares. The fare variance follows Welford (as Sluice does), so it stays accurate where the
 * sum-of-squares formula cancels.
 */
public class AreaStatsAggregate
        implements AggregateFunction<TripFeatures, AreaStatsAggregate.Acc, AreaStats> {

    /** Running sums of one window. */
    public static class Acc {
        public long count;
        public double fareSum;
        public double fareMean;
        public double fareM2;
        public double milesSum;

        public Acc() {}
    }

    @Override
    public Acc createAccumulator() {
        return new Acc();
    }

    @Override
    public Acc add(TripFeatures t, Acc acc) {
        acc.count++;
        acc.fareSum += t.fare;
        double delta = t.fare - acc.fareMean;
        acc.fareMean += delta / acc.count;
        acc.fareM2 += delta * (t.fare - acc.fareMean);
        acc.milesSum += t.tripMiles;
        return acc;
    }

    @Override
    public AreaStats getResult(Acc acc) {
        AreaStats s = new AreaStats();
        s.tripCount = acc.count;
        s.avgFare = acc.fareSum / acc.count;
        s.avgDistance = acc.milesSum / acc.count;
        s.fareStddev = Math.sqrt(Math.max(0.0, acc.fareM2 / acc.count));
        return s;
    }

    @Override
    public Acc merge(Acc a, Acc b) {
        Acc m = new Acc();
        m.count = a.count + b.count;
        m.fareSum = a.fareSum + b.fareSum;
        m.milesSum = a.milesSum + b.milesSum;
        if (m.count > 0) {
            double delta = b.fareMean - a.fareMean;
            m.fareMean = a.fareMean + delta * b.count / m.count;
            m.fareM2 = a.fareM2 + b.fareM2 + delta * delta * a.count * b.count / m.count;
        }
        return m;
    }

    /** Adds the area and the window bounds to the aggregate. */
    public static class WithWindow
            extends ProcessWindowFunction<AreaStats, AreaStats, Long, TimeWindow> {
        @Override
        public void process(
                Long area, Context ctx, Iterable<AreaStats> results, Collector<AreaStats> out) {
            AreaStats s = results.iterator().next();
            s.area = area;
            s.windowStart = ctx.window().getStart();
            s.windowEnd = ctx.window().getEnd();
            out.collect(s);
        }
    }
}
