package io.sluice.runtime.processor;

import io.sluice.runtime.row.EventRow;

/**
 * Where a stateless processor's row logic sends its results: a pipeline step's Flink function
 * (collector and dead-letter side output) or a live route's keyed stage.
 */
public interface RowOut {
    void emit(EventRow row);

    void dead(EventRow deadLetter);

    /** A row that was valid but not wanted (a filter's miss), counted rather than emitted. */
    default void dropped() {}
}
