package io.sluice.bench.routes;

import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.StoreLocation;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/**
 * The routed job's spec and its config store: a temporary folder holding K routes. Route {@code ri}
 * takes event type {@code ti}, reads {@code user_id} (string) and {@code amount} (double) from the
 * payload, and keeps events with {@code amount > c_i}; the rows that pass (envelope plus the two
 * fields) go to the one output {@code out}, as the filter emits them.
 */
final class RoutedSetup implements AutoCloseable {
    static final String SOURCE = "events";
    static final String OUT = "out";

    /** Thresholds cycle through 20, 22, ..., 38: from about 61 % of amounts passing to 35 %. */
    static double threshold(int route) {
        return 20.0 + 2.0 * (route % 10);
    }

    final int routes;
    final Path dir;
    final Spec spec;
    final RouteCatalog catalog;
    final ConfigStore store;
    final PluginRegistry registry;
    final String routeKey;
    private final IntToDoubleFunction thresholds;

    /**
     * @param pollInterval the spec's {@code routes.poll-interval} (null: the default)
     * @param bufferTimeout the spec's {@code runtime.buffer-timeout} (null: Flink's default)
     * @param routeKey a payload field every route keys its state by (null: routes' default key)
     * @param thresholds {@code c_i} of the first version
     */
    RoutedSetup(
            int routes,
            Duration pollInterval,
            Duration bufferTimeout,
            String routeKey,
            IntToDoubleFunction thresholds)
            throws IOException {
        this.routes = routes;
        this.routeKey = routeKey;
        this.thresholds = thresholds;
        this.dir = Files.createTempDirectory("sluice-routes-bench");
        this.registry = PluginRegistry.load();
        this.spec =
                new SpecLoader(registry, n -> null)
                        .load(
                                "routes-bench.yaml",
                                specYaml(
                                        dir.resolve("config").toString(),
                                        pollInterval,
                                        bufferTimeout));
        this.catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        RoutesLoader loader = new RoutesLoader(registry);
        this.store =
                ConfigStores.open(
                        StoreLocation.parse(dir.resolve("config").toString()),
                        (file, text) -> loader.validate(file, text, catalog));
        store.commit(routesYaml(thresholds), 0, "bench", routes + " routes");
    }

    /** The thresholds of the first version, by event type index. */
    double[] thresholdByType() {
        double[] t = new double[routes];
        for (int i = 0; i < routes; i++) {
            t[i] = thresholds.applyAsDouble(i);
        }
        return t;
    }

    static String specYaml(String store, Duration pollInterval, Duration bufferTimeout) {
        StringBuilder sb = new StringBuilder();
        sb.append("name: routes-bench\n");
        if (bufferTimeout != null) {
            sb.append("runtime:\n  buffer-timeout: ")
                    .append(bufferTimeout.toMillis())
                    .append("ms\n");
        }
        sb.append(
                """
                sources:
                  - id: events
                    type: file
                    path: in-memory.jsonl
                    format: json
                    fields:
                      - {name: event_id, type: string}
                      - {name: event_type, type: string}
                      - {name: domain, type: string}
                      - {name: tenant_id, type: string}
                      - {name: scenario_id, type: string}
                      - {name: event_time, type: timestamp}
                      - {name: payload, type: json}
                sinks:
                  - {id: out, type: console}
                  - {id: unrouted, type: console}
                  - {id: dead-letters, type: console}
                pipelines:
                  - id: routed
                    source: events
                    dead-letters: dead-letters
                    routes:
                      store: STORE
                      outputs: [out]
                      unrouted: unrouted
                """
                        .replace("STORE", store));
        if (pollInterval != null) {
            sb.append("      poll-interval: ").append(pollInterval.toMillis()).append("ms\n");
        }
        return sb.toString();
    }

    /** The routing table: route {@code ri} keeps type {@code ti} with amount above {@code c_i}. */
    String routesYaml(IntToDoubleFunction c) {
        return routesYaml(routes, c, routeKey);
    }

    static String routesYaml(int routes, IntToDoubleFunction c, String routeKey) {
        StringBuilder sb = new StringBuilder("description: routing benchmark\nroutes:\n");
        for (int i = 0; i < routes; i++) {
            sb.append("  - id: r").append(i).append('\n');
            sb.append("    event-types: [t").append(i).append("]\n");
            sb.append("    fields:\n");
            sb.append("      - {name: user_id, type: string}\n");
            sb.append("      - {name: amount, type: double}\n");
            if (routeKey != null) {
                sb.append("    key: [").append(routeKey).append("]\n");
            }
            sb.append("    processor: filter\n");
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "    params: {condition: \"amount > %.2f\"}\n",
                            c.applyAsDouble(i)));
            sb.append("    outputs: [out]\n");
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        store.close();
        deleteTree(dir);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
