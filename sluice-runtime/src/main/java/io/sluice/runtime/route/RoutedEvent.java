package io.sluice.runtime.route;

import io.sluice.runtime.row.EventRow;

/**
 * An event forked to one route by the routing stage: the route, the config version whose routing
 * table chose it (the keyed stage runs the route's processor with that version's params), the
 * route's state key, and the row the route's processor sees (envelope plus the route's payload
 * fields). The event time travels as the Flink record timestamp.
 */
public final class RoutedEvent {
    private final String route;
    private final long version;
    private final String key;
    private final EventRow row;

    public RoutedEvent(String route, long version, String key, EventRow row) {
        this.route = route;
        this.version = version;
        this.key = key;
        this.row = row;
    }

    public String route() {
        return route;
    }

    public long version() {
        return version;
    }

    /** The keyed stage's key: route id and key values, so each route keeps state apart. */
    public String key() {
        return key;
    }

    public EventRow row() {
        return row;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoutedEvent e
                && e.route.equals(route)
                && e.version == version
                && e.key.equals(key)
                && e.row.equals(row);
    }

    @Override
    public int hashCode() {
        return key.hashCode();
    }

    @Override
    public String toString() {
        return route + "@" + version + "[" + key + "] " + row;
    }
}
