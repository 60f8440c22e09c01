package io.sluice.bench.routes;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.RowSchema;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The input of the routing benchmarks: JSON lines in the business envelope ({@code event_id,
 * event_type, domain, tenant_id, scenario_id, event_time, payload{user_id, order_id, amount,
 * items}}), generated once before any run and held in memory, so generating them is not measured.
 * Event types {@code t0..t(K-1)} are drawn uniformly; amounts follow the shop generator's
 * distribution ({@code 5 + e^(3 + N(0,1))}, median about 25).
 *
 * <p>Both jobs read the lines through the same FLIP-27 source with the same element type ({@link
 * EventRow} of arity 0 carrying the raw bytes, as Sluice's own sources emit them). The lines sit in
 * a static field: the MiniCluster runs in this JVM, and shipping 200 MB in every job graph would
 * measure Java serialization.
 */
final class RoutesInput {
    static final EventRowTypeInfo RAW_LINE = new EventRowTypeInfo(new RowSchema(List.of()));
    private static final long START = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    private static volatile byte[][] lines;
    private static volatile int[] types;
    private static volatile double[] amounts;

    /** Lines handed out by the endless source since the last {@link #resetEmitted}. */
    static final LongAdder EMITTED = new LongAdder();

    private RoutesInput() {}

    /** Generates and installs {@code rows} lines with {@code kinds} event types. */
    static void install(int rows, int kinds, long seed) {
        byte[][] l = new byte[rows][];
        int[] t = new int[rows];
        double[] a = new double[rows];
        IntStream.range(0, rows)
                .parallel()
                .forEach(
                        i -> {
                            SplittableRandom r =
                                    new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
                            t[i] = r.nextInt(kinds);
                            a[i] = Math.round((5 + Math.exp(3 + r.nextGaussian())) * 100) / 100.0;
                            long time = START + i * 10L + r.nextLong(10);
                            String tenant = r.nextDouble() < 0.7 ? "acme" : "globex";
                            String user = "u-" + (1 + r.nextInt(50));
                            int items = 1 + r.nextInt(5);
                            String line =
                                    "{\"event_id\":\"e-"
                                            + i
                                            + "\",\"event_type\":\"t"
                                            + t[i]
                                            + "\",\"domain\":\"shop\",\"tenant_id\":\""
                                            + tenant
                                            + "\",\"scenario_id\":\"web\",\"event_time\":\""
                                            + Instant.ofEpochMilli(time)
                                            + "\",\"payload\":{\"user_id\":\""
                                            + user
                                            + "\",\"order_id\":\"o-"
                                            + (i / 2)
                                            + "\",\"amount\":"
                                            + a[i]
                                            + ",\"items\":"
                                            + items
                                            + "}}";
                            l[i] = line.getBytes(StandardCharsets.UTF_8);
                        });
        lines = l;
        types = t;
        amounts = a;
    }

    static int rows() {
        return lines.length;
    }

    static long payloadBytes() {
        long sum = 0;
        for (byte[] l : lines) {
            sum += l.length;
        }
        return sum;
    }

    /**
     * Records a correct job writes for the first {@code n} lines: those whose amount exceeds their
     * type's threshold. Computed here from the generator's values, not from any job's output.
     */
    static long expectedOutputs(int n, double[] thresholdByType) {
        long count = 0;
        for (int i = 0; i < n; i++) {
            if (amounts[i] > thresholdByType[types[i]]) {
                count++;
            }
        }
        return count;
    }

    /**
     * The first {@code n} installed lines once each, as a bounded stream named {@code sourceId}.
     */
    static DataStream<EventRow> bounded(StreamExecutionEnvironment env, String sourceId, int n) {
        DataGeneratorSource<EventRow> source =
                new DataGeneratorSource<>(
                        new LineAt(sourceId), n, RateLimiterStrategy.noOp(), RAW_LINE);
        return env.fromSource(
                        source, WatermarkStrategy.noWatermarks(), sourceId + " (in-memory lines)")
                .uid(sourceId + ".source");
    }

    /**
     * The installed lines over and over, without end, at {@code eventsPerSecond} in all, split
     * evenly over the source tasks. Source task {@code s} of {@code p} reads only lines whose index
     * is {@code s} modulo {@code p}, so an output's {@code event_id} tells which source task, and
     * so which routing task (the edge is forward), it went through.
     *
     * <p>The pace is kept by {@link Cycle} itself on an absolute schedule, not by Flink's {@code
     * RateLimiterStrategy.perSecond}: that one takes every record's permit on another thread, and
     * on a 2-core machine it held the source to about 120,000 events/s in all whether 175,000 or
     * 220,000 were asked for, while the same job read 250,000 events/s unthrottled.
     */
    static DataStream<EventRow> endless(
            StreamExecutionEnvironment env, String sourceId, double eventsPerSecond) {
        DataGeneratorSource<EventRow> source =
                new DataGeneratorSource<>(
                        new Cycle(sourceId, eventsPerSecond),
                        Long.MAX_VALUE,
                        RateLimiterStrategy.noOp(),
                        RAW_LINE);
        return env.fromSource(
                        source, WatermarkStrategy.noWatermarks(), sourceId + " (in-memory lines)")
                .uid(sourceId + ".source");
    }

    static void resetEmitted() {
        EMITTED.reset();
    }

    /** Line {@code i}, with origin {@code id:n} as Sluice's generator source writes it. */
    static final class LineAt implements GeneratorFunction<Long, EventRow> {
        private static final long serialVersionUID = 1L;
        private final String sourceId;

        LineAt(String sourceId) {
            this.sourceId = sourceId;
        }

        @Override
        public EventRow map(Long index) {
            int i = (int) (long) index;
            return new EventRow(new Object[0], lines[i], sourceId + ":" + (i + 1), 0L);
        }
    }

    /**
     * Lines {@code s, s + p, s + 2p, ...} of the installed ones, round and round, at this task's
     * share of the rate: line {@code n} is due {@code n / rate} after the first, and every {@value
     * #PACE_EVERY} lines the task sleeps until the next one is due (so it never runs ahead, and
     * after a stall catches up at full speed).
     */
    static final class Cycle implements GeneratorFunction<Long, EventRow> {
        private static final long serialVersionUID = 1L;
        private static final int PACE_EVERY = 32;
        private final String sourceId;
        private final double eventsPerSecond;
        private transient int task;
        private transient int tasks;
        private transient int usable;
        private transient double nanosPerLine;
        private transient long start;
        private transient long next;

        Cycle(String sourceId, double eventsPerSecond) {
            this.sourceId = sourceId;
            this.eventsPerSecond = eventsPerSecond;
        }

        @Override
        public void open(SourceReaderContext context) {
            task = context.getIndexOfSubtask();
            tasks = Math.max(1, context.currentParallelism());
            usable = lines.length - lines.length % tasks;
            nanosPerLine = 1e9 * tasks / eventsPerSecond;
        }

        @Override
        public EventRow map(Long ignored) {
            if (next == 0) {
                start = System.nanoTime();
            } else if (next % PACE_EVERY == 0) {
                long wait = start + (long) (next * nanosPerLine) - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            int i = (int) ((next++ * tasks + task) % usable);
            EMITTED.increment();
            return new EventRow(new Object[0], lines[i], sourceId + ":" + (i + 1), 0L);
        }
    }
}
