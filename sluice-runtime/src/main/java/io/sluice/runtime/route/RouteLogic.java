package io.sluice.runtime.route;

import io.sluice.runtime.row.EventRow;

/**
 * What one route does at one config version, built in the task from the route's params. A logic
 * object holds no keyed data itself: keyed state lives behind {@link RouteScope}, so a new version
 * of the route (new params, same id) continues with the state the old one left.
 */
public interface RouteLogic {
    /** One event of the route's key; {@code timestamp} is its event time (or null without). */
    void process(EventRow row, Long timestamp, RouteScope scope) throws Exception;

    /** An event-time timer this route registered for the current key fired. */
    default void onTimer(long timestamp, RouteScope scope) throws Exception {}

    /** Whether this logic keeps windows in the key's state (their timers must reach it). */
    default boolean usesWindows() {
        return false;
    }

    /**
     * Whether this logic keeps no keyed state and registers no timers, so that the routing stage
     * may run it on the event where it matched it, without the keyed stage (no shuffle). Only
     * logics that say so are run there; any other logic runs keyed by the route's key.
     */
    default boolean stateless() {
        return false;
    }

    /** A logic that keeps no keyed state and registers no timers (see {@link #stateless()}). */
    @FunctionalInterface
    interface Stateless extends RouteLogic {
        @Override
        default boolean stateless() {
            return true;
        }
    }
}
