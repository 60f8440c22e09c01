package io.sluice.runtime.sink;

import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;

/**
 * A sink whose store can refuse single records for good (a database refusing a row for a constraint
 * or a value too long) while taking the others. The job writes through a {@link
 * RejectingWriterOperator} then: refused records go to the dead letters of the first pipeline
 * writing to the sink (reason {@code sink-rejected}), with the store's reason and the record. Where
 * there is no such place (the sink takes that pipeline's dead letters itself, or another rejecting
 * sink does), the sink runs as a plain Sink V2 and a refused record fails the job, as it does
 * without this interface.
 */
public interface RejectingSink extends Sink<SinkRecord> {
    /**
     * A writer of the sink's records; it reports refused ones through {@link
     * BatchingWriter#rejectTo}.
     */
    BatchingWriter<?> writer(ProcessingTimeService time);
}
