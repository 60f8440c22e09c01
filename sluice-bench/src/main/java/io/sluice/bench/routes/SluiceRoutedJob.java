package io.sluice.bench.routes;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import java.util.List;
import java.util.function.Function;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Sluice side: the routed spec composed by {@link JobComposer} exactly as a real run composes
 * it (control source polling the config store, stage 1 matching and forking, keyBy, stage 2 running
 * each route's processor, JSON encoding with route and version stamps), except that the source is
 * the in-memory input and the sinks are the benchmark's.
 */
final class SluiceRoutedJob {
    private SluiceRoutedJob() {}

    /**
     * Adds the routed job to {@code env}.
     *
     * @param rows the first {@code rows} input lines once (bounded), or 0 for the endless source
     * @param eventsPerSecond the endless source's rate
     */
    static void compose(
            RoutedSetup setup,
            StreamExecutionEnvironment env,
            int parallelism,
            int rows,
            double eventsPerSecond,
            Function<String, Sink<SinkRecord>> sinks)
            throws Exception {
        new JobComposer(
                        setup.registry,
                        new RunContext(setup.dir, setup.dir),
                        new Connectors(rows, eventsPerSecond, sinks))
                .compose(setup.spec.withParallelism(parallelism), env);
    }

    private static final class Connectors implements JobComposer.Connectors {
        private final int rows;
        private final double eventsPerSecond;
        private final Function<String, Sink<SinkRecord>> sinks;

        Connectors(int rows, double eventsPerSecond, Function<String, Sink<SinkRecord>> sinks) {
            this.rows = rows;
            this.eventsPerSecond = eventsPerSecond;
            this.sinks = sinks;
        }

        @Override
        public DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec source) {
            return rows > 0
                    ? RoutesInput.bounded(env, source.id(), rows)
                    : RoutesInput.endless(env, source.id(), eventsPerSecond);
        }

        @Override
        public List<String> csvHeader(SourceSpec source) {
            return null;
        }

        @Override
        public boolean bounded(SourceSpec source) {
            return rows > 0;
        }

        @Override
        public Sink<SinkRecord> sink(Spec job, SinkSpec sink) {
            return sinks.apply(sink.id());
        }
    }
}
