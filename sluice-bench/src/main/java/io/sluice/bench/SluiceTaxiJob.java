package io.sluice.bench;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.runtime.sink.ValueSink;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Sluice side: the taxi spec composed by {@link JobComposer} exactly as a real run composes it,
 * except that the source is the shared in-memory input and the sinks are the benchmark's
 * (discarding the JSON-encoded records: encoding is part of the work, writing files is not).
 */
final class SluiceTaxiJob {
    private final PluginRegistry registry;
    private final Spec spec;
    private final RunContext run;

    SluiceTaxiJob(PluginRegistry registry, Spec spec, Path specDir, Path outputDir) {
        this.registry = registry;
        this.spec = spec;
        this.run = new RunContext(specDir, outputDir);
    }

    /**
     * Adds the spec's job at {@code parallelism} to {@code env}, its sinks made by {@code sinks}.
     */
    void compose(
            StreamExecutionEnvironment env, int parallelism, Function<String, Sink<byte[]>> sinks)
            throws Exception {
        new JobComposer(registry, run, new InMemoryConnectors(sinks))
                .compose(spec.withParallelism(parallelism), env);
    }

    private static final class InMemoryConnectors implements JobComposer.Connectors {
        private final Function<String, Sink<byte[]>> sinks;

        InMemoryConnectors(Function<String, Sink<byte[]>> sinks) {
            this.sinks = sinks;
        }

        @Override
        public DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec source) {
            return TaxiInput.stream(env, source.id());
        }

        @Override
        public List<String> csvHeader(SourceSpec source) {
            return TaxiTrips.HEADER;
        }

        @Override
        public Sink<SinkRecord> sink(Spec job, SinkSpec sink) {
            return ValueSink.of(sinks.apply(sink.id()));
        }
    }
}
