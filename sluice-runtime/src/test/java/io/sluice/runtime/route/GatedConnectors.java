package io.sluice.runtime.route;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Test connectors: an endless source whose lines the test hands over one by one (so a test decides
 * what the job sees before and after a config change), and sinks collecting each record's JSON per
 * sink id. State is static: the MiniCluster runs in the test's JVM; one test at a time uses it.
 */
final class GatedConnectors implements JobComposer.Connectors {
    static final BlockingQueue<String> LINES = new LinkedBlockingQueue<>();
    static final Map<String, ConcurrentLinkedQueue<String>> OUT = new ConcurrentHashMap<>();

    static void reset() {
        LINES.clear();
        OUT.clear();
    }

    static List<String> out(String sink) {
        return new ArrayList<>(OUT.getOrDefault(sink, new ConcurrentLinkedQueue<>()));
    }

    @Override
    public DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec spec) {
        DataGeneratorSource<EventRow> source =
                new DataGeneratorSource<>(
                        new Gate(spec.id()),
                        Long.MAX_VALUE,
                        RateLimiterStrategy.noOp(),
                        new EventRowTypeInfo(new RowSchema(List.of())));
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "gated").setParallelism(1);
    }

    @Override
    public List<String> csvHeader(SourceSpec spec) {
        return null;
    }

    @Override
    public boolean bounded(SourceSpec spec) {
        return false;
    }

    @Override
    public Sink<SinkRecord> sink(Spec job, SinkSpec spec) {
        return new Collect(spec.id());
    }

    /** Blocks until the test hands over the next line. */
    static final class Gate implements GeneratorFunction<Long, EventRow> {
        private final String id;

        Gate(String id) {
            this.id = id;
        }

        @Override
        public EventRow map(Long seq) throws Exception {
            String line = LINES.take();
            return new EventRow(
                    new Object[0], line.getBytes(StandardCharsets.UTF_8), id + ":" + seq, 0L);
        }
    }

    static final class Collect implements Sink<SinkRecord> {
        private final String id;

        Collect(String id) {
            this.id = id;
        }

        @Override
        public SinkWriter<SinkRecord> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(SinkRecord r, Context ctx) {
                    OUT.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>())
                            .add(new String(r.value, StandardCharsets.UTF_8));
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
