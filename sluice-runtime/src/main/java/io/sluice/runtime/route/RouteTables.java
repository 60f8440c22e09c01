package io.sluice.runtime.route;

import io.sluice.runtime.codec.ValueParser;
import io.sluice.spec.model.Spec.FieldMapping;
import io.sluice.spec.plugin.PluginKind;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.SpecException;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RouteSpec;
import io.sluice.spec.routes.RoutesLoader;
import io.sluice.spec.routes.RoutingTable;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's compiled routing table versions: the few most recent ones, each compiled once from its
 * text (routes, payload parsers, and for the keyed stage each route's logic). A version missing
 * here is taken from broadcast state, else from the store, so a row stamped with a version this
 * task has not received yet still runs with exactly that version.
 */
final class RouteTables {
    private static final Logger LOG = LoggerFactory.getLogger(RouteTables.class);

    /** Broadcast state: version number → document text. The only broadcast state of routing. */
    static final MapStateDescriptor<Long, String> VERSIONS =
            new MapStateDescriptor<>(
                    "routing-versions",
                    BasicTypeInfo.LONG_TYPE_INFO,
                    BasicTypeInfo.STRING_TYPE_INFO);

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final RoutesLoader loader;
    private final PluginRegistry registry;
    private final String stepPrefix;
    private final TreeMap<Long, Compiled> compiled = new TreeMap<>();

    /** Route logics by route content and position, shared by the versions that keep a route. */
    private final Map<String, RouteLogic> shared =
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, RouteLogic> eldest) {
                    return size() > 10_000;
                }
            };

    /** Versions older than those kept, still asked for: the few most recently used. */
    private final Map<Long, Compiled> older =
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, Compiled> eldest) {
                    return size() > 8;
                }
            };

    private Compiled latest;

    RouteTables(RouteCatalog catalog, StoreVersions store, int keep, String stepPrefix) {
        this.catalog = catalog;
        this.store = store;
        this.keep = keep;
        this.registry = PluginRegistry.load();
        this.loader = new RoutesLoader(registry);
        this.stepPrefix = stepPrefix;
    }

    /** The current version from the store: no event is routed against an empty config. */
    void bootstrap() {
        ConfigUpdate u =
                store.current()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "config store "
                                                        + store.describe()
                                                        + " has no version yet: add routes with"
                                                        + " './sluice config set'"));
        offer(u.version, u.text);
    }

    Compiled latest() {
        return latest;
    }

    /**
     * Compiles a version and makes it the latest if it is newer. A version the job cannot compile
     * (it passed the store's checks, but against another spec) is skipped: the running one stays.
     */
    Compiled offer(long version, String text) {
        Compiled c = compiled.get(version);
        if (c == null) {
            try {
                c = new Compiled(loader.load("routes.yaml", text, catalog, version));
            } catch (SpecException e) {
                LOG.error(
                        "config version {} does not fit this job and is ignored; version {} stays:"
                                + " {}",
                        version,
                        latest == null ? "none" : latest.table.version(),
                        e.getMessage());
                return null;
            }
            compiled.put(version, c);
            while (compiled.size() > keep) {
                compiled.pollFirstEntry();
            }
        }
        if (latest == null || version > latest.table.version()) {
            latest = c;
        }
        return c;
    }

    /** The version a row was stamped with, or null when it is no longer available anywhere. */
    Compiled get(long version, ReadOnlyBroadcastState<Long, String> state) throws Exception {
        Compiled c = compiled.get(version);
        if (c == null) {
            c = older.get(version);
        }
        if (c != null) {
            return c;
        }
        String text = state == null ? null : state.get(version);
        if (text == null) {
            Optional<ConfigUpdate> u = store.version(version);
            if (u.isEmpty()) {
                return null;
            }
            text = u.get().text;
        }
        Compiled fresh;
        try {
            fresh = new Compiled(loader.load("routes.yaml", text, catalog, version));
        } catch (SpecException e) {
            return null;
        }
        // an old version (windows opened under it, still to fire) is compiled once and kept
        // apart, so it neither evicts newer ones nor is read again for every key
        if (compiled.size() < keep || version > compiled.firstKey()) {
            compiled.put(version, fresh);
            while (compiled.size() > keep) {
                compiled.pollFirstEntry();
            }
        } else {
            older.put(version, fresh);
        }
        return fresh;
    }

    /** Scans restored broadcast state once for its newest version. */
    void restore(Iterable<Map.Entry<Long, String>> entries) {
        long best = latest == null ? 0 : latest.table.version();
        String text = null;
        for (Map.Entry<Long, String> e : entries) {
            if (e.getKey() > best) {
                best = e.getKey();
                text = e.getValue();
            }
        }
        if (text != null) {
            offer(best, text);
        }
    }

    /** One compiled version: its table, payload parsers per route, route logics (lazily). */
    final class Compiled {
        final RoutingTable table;
        private final Map<String, ValueParser[]> parsers = new HashMap<>();
        private final Map<String, RouteLogic> logics = new HashMap<>();

        /** Per route id, the encoders of its outputs in this version (filled by the runner). */
        final Map<String, io.sluice.runtime.sink.JsonEncoder[]> encoders = new HashMap<>();

        Compiled(RoutingTable table) {
            this.table = table;
            for (RouteSpec r : table.routes()) {
                ValueParser[] p = new ValueParser[r.fields().size()];
                for (int i = 0; i < p.length; i++) {
                    RouteSpec.PayloadField f = r.fields().get(i);
                    p[i] =
                            new ValueParser(
                                    new FieldMapping(
                                            f.name(),
                                            f.column(),
                                            f.type(),
                                            null,
                                            null,
                                            "UTC",
                                            false,
                                            f.pos()));
                }
                parsers.put(r.id(), p);
            }
        }

        long version() {
            return table.version();
        }

        ValueParser[] parsers(String route) {
            return parsers.get(route);
        }

        RouteLogic logic(RouteSpec route) {
            RouteLogic l = logics.get(route.id());
            if (l == null) {
                // a route unchanged since an earlier version (same text, same place) reuses that
                // version's logic: a new version compiles only the routes it changes
                String content = route.fingerprint() + "@" + route.pos();
                l = shared.get(content);
                if (l == null) {
                    l =
                            ((RouteProcessor)
                                            registry.find(PluginKind.PROCESSOR, route.processor()))
                                    .logic(route, stepPrefix + route.id());
                    shared.put(content, l);
                }
                logics.put(route.id(), l);
            }
            return l;
        }
    }
}
