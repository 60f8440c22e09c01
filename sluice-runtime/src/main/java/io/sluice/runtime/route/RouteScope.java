package io.sluice.runtime.route;

import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.routes.RouteSpec;

/**
 * What a route's logic may touch while it handles one event or timer of one key: the route and
 * version in force, its outputs, dead letters, event-time timers and the key's state. The state
 * accessors read and write Flink keyed state of the current (route, key).
 */
public interface RouteScope {
    RouteSpec route();

    long version();

    long currentWatermark();

    /** A result (in the route's result schema) to each of the route's outputs. */
    void emit(EventRow result);

    /**
     * A result produced under another version (a window opened under it): sent to that version's
     * outputs in that version's result schema, stamped with it.
     */
    void emitAs(long version, EventRow result);

    /** A row of {@code schema} to one named output (e.g. late rows to a late output). */
    void emitTo(String output, EventRow row, RowSchema schema);

    /** The event goes to dead letters with the route, processor and version named. */
    void deadLetter(Reason reason, String message, String field, EventRow event);

    /** A dead letter the row logic built itself. */
    void deadLetter(EventRow deadLetter);

    void registerTimer(long time);

    WindowSet windows();

    void windows(WindowSet windows);

    double[] stats();

    void stats(double[] stats);

    /**
     * The route's logic at another version still kept by the task (windows opened under it finish
     * with it), or null when that version is no longer kept or no longer has this route.
     */
    RouteLogic logicAt(long version);

    /** The route as of {@code version}, or null (see {@link #logicAt}). */
    RouteSpec routeAt(long version);
}
