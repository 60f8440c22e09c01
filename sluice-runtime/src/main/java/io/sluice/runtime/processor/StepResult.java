package io.sluice.runtime.processor;

import io.sluice.runtime.compose.Emitted;
import io.sluice.runtime.row.EventRow;
import java.util.List;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * What a step adds to the job: {@code rows} (a transform's continuing rows, or a branch's results
 * for its {@code output}), its dead letters (may be null), and extra outputs such as late rows.
 */
public record StepResult(
        DataStream<EventRow> rows, DataStream<EventRow> deadLetters, List<Emitted> extra) {
    public static StepResult of(DataStream<EventRow> rows) {
        return new StepResult(rows, null, List.of());
    }
}
