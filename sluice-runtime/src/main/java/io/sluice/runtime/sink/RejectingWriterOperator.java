package io.sluice.runtime.sink;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Writes records through a {@link RejectingSink}'s writer like Flink's sink writer operator does
 * (buffered writes flushed before every checkpoint barrier and at the end of the input), and emits
 * the records the store refused for good as dead letters. Refusals are emitted before the barrier
 * of the checkpoint covering their write, so with an exactly-once dead-letter sink a replay after a
 * failure neither loses nor repeats them — as long as the store refuses the same rows again (a
 * foreign key or a second unique index may decide differently on a replay).
 */
public final class RejectingWriterOperator extends AbstractStreamOperator<EventRow>
        implements OneInputStreamOperator<SinkRecord, EventRow>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final RejectingSink sink;
    private final String sinkId;
    private final String position;
    private transient BatchingWriter<?> writer;

    /**
     * @param position where the sink is declared in the spec ({@code file:line}), for dead letters
     */
    public RejectingWriterOperator(RejectingSink sink, String sinkId, String position) {
        this.sink = sink;
        this.sinkId = sinkId;
        this.position = position;
    }

    @Override
    public void open() throws Exception {
        super.open();
        writer = sink.writer(getProcessingTimeService());
        writer.rejectTo(
                (payload, message, field, version) -> {
                    EventRow dead =
                            DeadLetters.of(
                                    DeadLetters.Reason.SINK_REJECTED,
                                    message,
                                    field,
                                    payload,
                                    position,
                                    null,
                                    "sink." + sinkId);
                    dead.configVersion(version);
                    output.collect(new StreamRecord<>(dead));
                });
    }

    @Override
    public void processElement(StreamRecord<SinkRecord> element) throws Exception {
        writer.write(element.getValue(), null);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        writer.flush(false);
    }

    @Override
    public void endInput() throws Exception {
        writer.flush(true);
    }

    @Override
    public void close() throws Exception {
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            super.close();
        }
    }
}
