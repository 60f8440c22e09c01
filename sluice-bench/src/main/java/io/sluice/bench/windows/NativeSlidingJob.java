package io.sluice.bench.windows;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import java.time.Duration;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The baseline: the area statistics as written by hand on the DataStream API, with Flink's {@code
 * SlidingEventTimeWindows}, an incremental {@code AggregateFunction} over a POJO accumulator and a
 * {@code ProcessWindowFunction} adding the key and window bounds.
 */
final class NativeSlidingJob {
    private NativeSlidingJob() {}

    static SingleOutputStreamOperator<EventRow> compose(
            DataStream<EventRow> trips, Duration size, Duration slide) {
        return trips.keyBy(r -> (Long) r.get(0), Types.LONG)
                .window(SlidingEventTimeWindows.of(size, slide))
                .aggregate(
                        new Stats(),
                        new WithWindow(),
                        Types.POJO(Acc.class),
                        Types.POJO(Acc.class),
                        new EventRowTypeInfo(SlidingBenchmark.STATS))
                .name("area stats (SlidingEventTimeWindows)");
    }

    /** Running sums of one window; the fare variance follows Welford. */
    public static class Acc {
        public long count;
        public double fareMean;
        public double fareM2;
        public double fareSum;
        public double milesSum;

        public Acc() {}
    }

    static final class Stats implements AggregateFunction<EventRow, Acc, Acc> {
        @Override
        public Acc createAccumulator() {
            return new Acc();
        }

        @Override
        public Acc add(EventRow trip, Acc acc) {
            double fare = (Double) trip.get(2);
            acc.count++;
            acc.fareSum += fare;
            double delta = fare - acc.fareMean;
            acc.fareMean += delta / acc.count;
            acc.fareM2 += delta * (fare - acc.fareMean);
            acc.milesSum += (Double) trip.get(3);
            return acc;
        }

        @Override
        public Acc getResult(Acc acc) {
            return acc;
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
    }

    /** One result row per window: area, bounds, count, mean fare, mean miles, fare stddev. */
    static final class WithWindow extends ProcessWindowFunction<Acc, EventRow, Long, TimeWindow> {
        @Override
        public void process(Long area, Context ctx, Iterable<Acc> accs, Collector<EventRow> out) {
            Acc a = accs.iterator().next();
            out.collect(
                    EventRow.of(
                            area,
                            ctx.window().getStart(),
                            ctx.window().getEnd(),
                            a.count,
                            a.fareSum / a.count,
                            a.milesSum / a.count,
                            Math.sqrt(Math.max(0.0, a.fareM2 / a.count))));
        }
    }
}
