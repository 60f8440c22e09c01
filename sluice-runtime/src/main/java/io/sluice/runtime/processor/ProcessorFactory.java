package io.sluice.runtime.processor;

import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.plugin.ProcessorDescriptor;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * A processor's Flink binding. Implementations are registered with {@link java.util.ServiceLoader}
 * under {@link io.sluice.spec.plugin.PluginDescriptor} and hold no state of their own: everything
 * comes from the step's options, so the same processor can be driven by live config.
 */
public interface ProcessorFactory extends ProcessorDescriptor {
    StepResult apply(StepContext ctx, DataStream<EventRow> input);
}
