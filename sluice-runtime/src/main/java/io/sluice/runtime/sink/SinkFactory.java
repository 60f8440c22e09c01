package io.sluice.runtime.sink;

import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.plugin.PluginDescriptor;
import io.sluice.spec.plugin.PluginKind;
import org.apache.flink.api.connector.sink2.Sink;

/** A sink type's Flink binding: a Sink V2 of encoded records (one JSON document each). */
public interface SinkFactory extends PluginDescriptor {
    @Override
    default PluginKind kind() {
        return PluginKind.SINK;
    }

    Sink<byte[]> create(SinkSpec spec, RunContext run);
}
