package io.sluice.runtime.compose;

import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.RowSchema;
import org.apache.flink.streaming.api.datastream.DataStream;

/** Rows bound for a sink, with the schema the sink's encoder writes them by. */
public record Emitted(
        String sinkId, DataStream<EventRow> stream, RowSchema schema, String producerUid) {}
