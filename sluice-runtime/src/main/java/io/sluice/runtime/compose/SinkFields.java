package io.sluice.runtime.compose;

import io.sluice.runtime.route.ConfigUpdate;
import io.sluice.runtime.route.Scenarios;
import io.sluice.runtime.route.StoreVersions;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.PipelineSpec;
import io.sluice.spec.model.Spec.StepSpec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RouteSpec;
import io.sluice.spec.routes.RoutesLoader;
import io.sluice.spec.routes.RoutingTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of the records that reach a sink, and what sends them: steps whose {@code output} it
 * is, live routes (at the config store's current version) and scenario outputs that name it, and
 * the pipelines' dead letters and unrouted events. Sinks with a schema of their own (a database
 * table) check against it at start, and {@code sluice render ddl} writes the table from it. Records
 * also carry {@code config_version} (and {@code route} from routes, {@code spec_hash}), which are
 * not listed here.
 */
public final class SinkFields {
    /** One producer of records for the sink: who ({@code "route 'answers'"}) and its schema. */
    public record Producer(String what, RowSchema schema) {}

    private SinkFields() {}

    /**
     * What reaches sink {@code sinkId}; routes and scenarios as the config store has them now (a
     * store that cannot be read adds nothing for them).
     */
    public static List<Producer> of(Spec spec, String sinkId, RunContext run) {
        List<Producer> out = new ArrayList<>();
        for (PipelineSpec p : spec.pipelines()) {
            for (StepSpec s : p.steps()) {
                if (sinkId.equals(s.output())) {
                    out.add(new Producer("step '" + s.id() + "'", s.result()));
                }
            }
            if (sinkId.equals(p.deadLetters())) {
                out.add(
                        new Producer(
                                "dead letters of pipeline '" + p.id() + "'", DeadLetters.SCHEMA));
            }
            if (p.routes() != null) {
                if (sinkId.equals(p.routes().unrouted())) {
                    out.add(new Producer("unrouted events", p.routes().input()));
                }
                if (p.routes().outputs().contains(sinkId)) {
                    out.addAll(routes(spec, p, sinkId, run));
                }
            }
            if (p.scenarios() != null) {
                var sc = p.scenarios();
                add(out, sc.hotItems(), sinkId, "hot items", Scenarios.HOT_ITEMS);
                add(out, sc.rankings(), sinkId, "rankings", Scenarios.RANKINGS);
                add(out, sc.profiles(), sinkId, "profiles", Scenarios.PROFILES);
                add(out, sc.metrics(), sinkId, "scenario metrics", Scenarios.METRICS);
            }
        }
        return out;
    }

    private static void add(
            List<Producer> out, List<String> sinks, String sinkId, String what, RowSchema schema) {
        if (sinks != null && sinks.contains(sinkId)) {
            out.add(new Producer(what, schema));
        }
    }

    private static List<Producer> routes(Spec spec, PipelineSpec p, String sinkId, RunContext run) {
        RouteCatalog catalog = RouteCatalog.of(spec, p);
        List<Producer> out = new ArrayList<>();
        try (StoreVersions store =
                new StoreVersions(JobComposer.storeLocation(p.routes().store(), run), catalog)) {
            store.importEdits();
            ConfigUpdate current = store.current().orElse(null);
            if (current == null) {
                return out;
            }
            RoutingTable table =
                    new RoutesLoader(PluginRegistry.load())
                            .load("routes.yaml", current.text, catalog, current.version);
            for (RouteSpec r : table.routes()) {
                if (r.enabled() && r.outputs().contains(sinkId)) {
                    out.add(new Producer("route '" + r.id() + "'", r.result()));
                }
            }
        } catch (RuntimeException e) {
            // no routes to tell: the job's own start names what is wrong with the store
        }
        return out;
    }

    /** All fields, by name in first-seen order (the first producer's type wins). */
    public static Map<String, Field> union(List<Producer> producers) {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (Producer p : producers) {
            for (Field f : p.schema().fields()) {
                fields.putIfAbsent(f.name(), f);
            }
        }
        return fields;
    }
}
