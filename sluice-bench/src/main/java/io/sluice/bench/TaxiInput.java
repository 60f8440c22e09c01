package io.sluice.bench;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.source.GeneratorSourceFactory;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec.SourceSpec;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The benchmark's input: taxi-trip lines (CSV or JSON) generated once, before any run, and held in
 * memory, so that generating them (string formatting, date formatting) is not part of what is
 * measured.
 *
 * <p>Both jobs read these lines through {@link #stream}, the same FLIP-27 source with the same
 * element type ({@link EventRow} with arity 0, carrying the raw bytes and origin) that Sluice's own
 * generator source produces. The lines sit in a static field rather than in the source's closure:
 * the MiniCluster runs in this JVM, and serializing 250 MB into every job graph would measure Java
 * serialization instead of the jobs.
 */
public final class TaxiInput {
    private static final EventRowTypeInfo RAW_LINE = new EventRowTypeInfo(new RowSchema(List.of()));

    private static volatile byte[][] lines;

    private TaxiInput() {}

    /**
     * Generates {@code rows} lines with the generator options of {@code source} (seed, start,
     * interval, dirty and late shares: the same lines the spec's {@code generator} source yields).
     */
    public static byte[][] generate(SourceSpec source, int rows, boolean json) {
        TaxiTrips trips = GeneratorSourceFactory.trips(source.options(), json);
        byte[][] out = new byte[rows][];
        // trip i depends only on (seed, i), so generating in parallel gives the same lines
        IntStream.range(0, rows).parallel().forEach(i -> out[i] = trips.line(i));
        return out;
    }

    /** Makes {@code input} what every following job reads. */
    public static void install(byte[][] input) {
        lines = input;
    }

    public static int rows() {
        return lines.length;
    }

    /** Total bytes of the lines (payload only, without array headers). */
    public static long payloadBytes() {
        long sum = 0;
        for (byte[] l : lines) {
            sum += l.length;
        }
        return sum;
    }

    /** The installed lines as a bounded stream, named {@code sourceId} like the spec's source. */
    public static DataStream<EventRow> stream(StreamExecutionEnvironment env, String sourceId) {
        DataGeneratorSource<EventRow> source =
                new DataGeneratorSource<>(
                        new LineAt(sourceId), lines.length, RateLimiterStrategy.noOp(), RAW_LINE);
        return env.fromSource(
                        source, WatermarkStrategy.noWatermarks(), sourceId + " (in-memory lines)")
                .uid(sourceId + ".source");
    }

    /** Line {@code i} as Sluice's generator source emits it: raw bytes and origin {@code id:n}. */
    static final class LineAt implements GeneratorFunction<Long, EventRow> {
        private static final long serialVersionUID = 1L;
        private final String sourceId;

        LineAt(String sourceId) {
            this.sourceId = sourceId;
        }

        private transient int tasks;

        @Override
        public void open(org.apache.flink.api.connector.source.SourceReaderContext context) {
            tasks = context.currentParallelism();
        }

        /**
         * Rows are dealt to the source tasks in turn, exactly as Sluice's generator source does.
         */
        @Override
        public EventRow map(Long index) {
            int i =
                    (int)
                            GeneratorSourceFactory.Interleaved.row(
                                    index, lines.length, Math.max(tasks, 1));
            return new EventRow(new Object[0], lines[i], sourceId + ":" + (i + 1), 0L);
        }
    }
}
