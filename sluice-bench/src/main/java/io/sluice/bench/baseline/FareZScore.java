package io.sluice.bench.baseline;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Per company, in arrival order: alerts when the fare is more than {@code k} population standard
 * deviations from the mean of the company's previous fares (once there are {@code minCount} of
 * them), then adds the fare to the statistics (Welford). State: one {@link Stats} per company,
 * cleared by its TTL after {@code ttl} without an update (processing time); nothing ends a company
 * sooner.
 */
public class FareZScore extends KeyedProcessFunction<String, TripFeatures, FareAlert> {

    /** Count, mean and sum of squared deviations of a company's fares so far. */
    public static class Stats {
        public long count;
        public double mean;
        public double m2;

        public Stats() {}
    }

    private final double k;
    private final long minCount;
    private final Duration ttl;
    private final String rule;
    private transient ValueState<Stats> stats;

    public FareZScore(double k, long minCount, Duration ttl, String rule) {
        this.k = k;
        this.minCount = minCount;
        this.ttl = ttl;
        this.rule = rule;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Stats> descriptor =
                new ValueStateDescriptor<>("fare-stats", Types.POJO(Stats.class));
        descriptor.enableTimeToLive(
                StateTtlConfig.newBuilder(ttl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build());
        stats = getRuntimeContext().getState(descriptor);
    }

    @Override
    public void processElement(TripFeatures trip, Context ctx, Collector<FareAlert> out)
            throws Exception {
        double fare = trip.fare;
        Stats s = stats.value();
        if (s == null) {
            s = new Stats();
        }
        if (s.count >= minCount) {
            double stddev = Math.sqrt(s.m2 / s.count);
            if (stddev > 0) {
                double z = (fare - s.mean) / stddev;
                if (Math.abs(z) > k) {
                    FareAlert a = new FareAlert();
                    a.key = ctx.getCurrentKey();
                    a.value = fare;
                    a.mean = s.mean;
                    a.stddev = stddev;
                    a.z = z;
                    a.eventTime = ctx.timestamp();
                    a.rule = rule;
                    out.collect(a);
                }
            }
        }
        s.count++;
        double delta = fare - s.mean;
        s.mean += delta / s.count;
        s.m2 += delta * (fare - s.mean);
        stats.update(s);
    }
}
