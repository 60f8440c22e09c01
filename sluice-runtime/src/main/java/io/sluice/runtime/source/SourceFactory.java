package io.sluice.runtime.source;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.plugin.PluginDescriptor;
import io.sluice.spec.plugin.PluginKind;
import java.io.IOException;
import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A source type's Flink binding: a stream of raw input lines (rows with no fields, carrying {@code
 * raw} bytes and {@code origin}); decoding is shared by all sources.
 */
public interface SourceFactory extends PluginDescriptor {
    @Override
    default PluginKind kind() {
        return PluginKind.SOURCE;
    }

    DataStream<EventRow> create(StreamExecutionEnvironment env, SourceSpec spec, RunContext run)
            throws IOException;

    /** The CSV column names this source's lines follow. */
    List<String> csvHeader(SourceSpec spec, RunContext run) throws IOException;

    /** Whether the source ends by itself (a file, a counted generator); then the run does too. */
    default boolean bounded(SourceSpec spec) {
        return true;
    }
}
