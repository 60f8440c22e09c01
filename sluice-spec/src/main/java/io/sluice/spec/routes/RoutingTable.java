package io.sluice.spec.routes;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One validated version of the routing table. Routes are kept in evaluation order: higher {@code
 * priority} first, equal priorities in document order. Matching is a map lookup by event type, so
 * its cost does not grow with the number of routes for other types.
 */
public final class RoutingTable implements Serializable {
    private final long version;
    private final List<RouteSpec> routes;
    private final Map<String, RouteSpec> byId = new HashMap<>();
    private final Map<String, ScenarioSpec> scenarios = new java.util.LinkedHashMap<>();
    private transient Map<String, List<RouteSpec>> byType;

    public RoutingTable(long version, List<RouteSpec> routes) {
        this(version, routes, List.of());
    }

    public RoutingTable(long version, List<RouteSpec> routes, List<ScenarioSpec> scenarios) {
        this.version = version;
        scenarios.forEach(s -> this.scenarios.put(s.key(), s));
        List<RouteSpec> ordered = new ArrayList<>(routes);
        // stable: equal priorities keep document order
        ordered.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
        this.routes = List.copyOf(ordered);
        this.routes.forEach(r -> byId.put(r.id(), r));
    }

    public long version() {
        return version;
    }

    /** All routes (enabled or not) in evaluation order. */
    public List<RouteSpec> routes() {
        return routes;
    }

    /** The tenant's scenario, or null when this version has none by that id. */
    public ScenarioSpec scenario(String tenant, String scenario) {
        return scenarios.get(ScenarioSpec.key(tenant, scenario));
    }

    /** The scenario with this {@link ScenarioSpec#key()}, or null. */
    public ScenarioSpec scenario(String key) {
        return scenarios.get(key);
    }

    /** All scenarios (enabled or not), in document order. */
    public java.util.Collection<ScenarioSpec> scenarios() {
        return scenarios.values();
    }

    public RouteSpec route(String id) {
        return byId.get(id);
    }

    /**
     * The enabled routes taking an event of this type and tenant, in evaluation order, up to and
     * including the first one with {@code stop: true}.
     */
    public List<RouteSpec> match(String eventType, String tenantId) {
        if (byType == null) {
            byType = index();
        }
        List<RouteSpec> candidates = byType.get(eventType);
        if (candidates == null) {
            candidates = byType.getOrDefault("*", List.of());
        }
        List<RouteSpec> out = null;
        for (RouteSpec r : candidates) {
            if (r.tenant() != null && !r.tenant().equals(tenantId)) {
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(2);
            }
            out.add(r);
            if (r.stop()) {
                break;
            }
        }
        return out == null ? List.of() : out;
    }

    private Map<String, List<RouteSpec>> index() {
        Map<String, List<RouteSpec>> m = new HashMap<>();
        for (RouteSpec r : routes) {
            if (!r.enabled()) {
                continue;
            }
            for (String t : r.eventTypes()) {
                m.computeIfAbsent(t, k -> new ArrayList<>());
            }
        }
        m.computeIfAbsent("*", k -> new ArrayList<>());
        // each type's list holds its own routes and the wildcard ones, in evaluation order
        for (RouteSpec r : routes) {
            if (!r.enabled()) {
                continue;
            }
            boolean wildcard = r.eventTypes().contains("*");
            for (Map.Entry<String, List<RouteSpec>> e : m.entrySet()) {
                if (wildcard || r.eventTypes().contains(e.getKey())) {
                    e.getValue().add(r);
                }
            }
        }
        return m;
    }
}
