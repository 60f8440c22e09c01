package io.sluice.runtime.sink;

import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.plugin.PluginDescriptor;
import io.sluice.spec.plugin.PluginKind;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;

/**
 * A sink type's Flink binding: a Sink V2 of encoded records (a JSON value each, with an optional
 * key from the fields {@link #keyFields} names).
 */
public interface SinkFactory extends PluginDescriptor {
    @Override
    default PluginKind kind() {
        return PluginKind.SINK;
    }

    Sink<SinkRecord> create(SinkSpec spec, Spec job, RunContext run);

    /** Fields whose values form each record's key; none by default. */
    default List<String> keyFields(SinkSpec spec) {
        return List.of();
    }

    /**
     * Whether records must reach the sink's writers partitioned by their key, so that one key's
     * records are written by one writer in order (e.g. upserts and deletes of a table row).
     */
    default boolean partitionedByKey(SinkSpec spec) {
        return false;
    }
}
