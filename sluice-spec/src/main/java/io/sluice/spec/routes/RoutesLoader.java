package io.sluice.spec.routes;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsBinder;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginDescriptor;
import io.sluice.spec.plugin.PluginKind;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.plugin.ProcessorDescriptor;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.routes.RouteSpec.PayloadField;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Loads and validates a routing table document (live config). Structural checks come from the
 * declared schemas; each route's params are bound with its processor's own options and checked by
 * the processor against the route's input rows, so a route is validated exactly like a spec step.
 * Every problem is collected and located ({@code routes.yaml:8:7: routes[2].params.window.size:
 * ...}); a document with any problem is rejected whole.
 */
public final class RoutesLoader {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final List<String> FIELD_TYPES =
            List.of("string", "long", "double", "boolean", "timestamp");

    static final OptionsSchema FIELD =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "field name (snake_case)")
                    .optional(
                            "column",
                            OptionType.STRING,
                            null,
                            "the payload's JSON key; defaults to name")
                    .required("type", new OptionType.OneOf(FIELD_TYPES), "field type")
                    .build();

    static final OptionsSchema ROUTE =
            OptionsSchema.builder()
                    .required("id", OptionType.STRING, "route id, stable across versions")
                    .required(
                            "event-types",
                            OptionType.listOf(OptionType.STRING),
                            "event types the route takes ('*': all)")
                    .optional(
                            "tenant",
                            OptionType.STRING,
                            null,
                            "only events of this tenant (default: every tenant)")
                    .optional(
                            "priority",
                            OptionType.INT,
                            0L,
                            "routes run in priority order, highest first")
                    .optional("enabled", OptionType.BOOLEAN, true, "a disabled route takes nothing")
                    .optional(
                            "stop",
                            OptionType.BOOLEAN,
                            false,
                            "lower-priority routes do not see events this route takes")
                    .optional(
                            "fields",
                            OptionType.listOf(OptionType.object(FIELD)),
                            List.of(),
                            "typed fields read from the payload")
                    .optional(
                            "key",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "fields the route's state is kept per")
                    .required("processor", OptionType.STRING, "processor identifier")
                    .optional(
                            "params",
                            new OptionType.Raw(
                                    "the processor's options",
                                    new OptionType.PluginParams(PluginKind.PROCESSOR, "processor")),
                            null,
                            "the processor's options")
                    .required(
                            "outputs",
                            OptionType.listOf(OptionType.STRING),
                            "outputs the route's results go to")
                    .build();

    static final OptionsSchema TOP =
            OptionsSchema.builder()
                    .optional("description", OptionType.STRING, "", "what this config is for")
                    .optional(
                            "routes",
                            new OptionType.Raw(
                                    "a list of routes",
                                    OptionType.listOf(OptionType.object(ROUTE))),
                            null,
                            "the routing table")
                    .optional(
                            "scenarios",
                            new OptionType.Raw(
                                    "a list of scenarios",
                                    OptionType.listOf(OptionType.object(ScenariosLoader.SCENARIO))),
                            null,
                            "recommendation scenarios per tenant")
                    .build();

    /** The declared shape of a live-config document (for JSON Schema). */
    public static OptionsSchema documentSchema() {
        return TOP;
    }

    private final PluginRegistry registry;

    /**
     * Result schemas of routes whose processor check passed, by route fingerprint. A route's check
     * (its CEL type-checked against its fields) depends only on its own text and the catalog, so a
     * version that keeps most routes as they were re-checks only the changed ones: with 1,000
     * routes, taking in a version costs the changed routes, not the table. A loader is used with
     * one catalog (per job, per task), which is what makes this sound.
     */
    private final Map<String, RowSchema> checked =
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, RowSchema> eldest) {
                    return size() > 10_000;
                }
            };

    private RouteCatalog checkedFor;

    public RoutesLoader(PluginRegistry registry) {
        this.registry = registry;
    }

    private synchronized void remember(String fingerprint, RowSchema result) {
        checked.put(fingerprint, result);
    }

    /** Every problem of the document; empty when it is a valid routing table. */
    public Problems validate(String file, String text, RouteCatalog catalog) {
        Problems problems = new Problems();
        read(file, text, catalog, 0, problems);
        return problems;
    }

    /** The table as {@code version}; throws {@code SpecException} listing every problem. */
    public RoutingTable load(String file, String text, RouteCatalog catalog, long version) {
        Problems problems = new Problems();
        RoutingTable t = read(file, text, catalog, version, problems);
        problems.throwIfAny();
        return t;
    }

    private synchronized RoutingTable read(
            String file, String text, RouteCatalog catalog, long version, Problems problems) {
        if (!catalog.equals(checkedFor)) {
            checked.clear();
            checkedFor = catalog;
        }
        YNode root = YamlReader.read(file, text, problems);
        if (root == null) {
            return null;
        }
        OptionsBinder binder = new OptionsBinder(problems, name -> null);
        Options top = binder.bind(root, TOP, "");
        List<RouteSpec> routes = new ArrayList<>();
        Object raw = top.get("routes");
        if (raw instanceof YNode.YSeq seq && !seq.items().isEmpty() && !catalog.routes()) {
            problems.add(
                    seq.pos(),
                    "routes",
                    "this job runs no live routes: its pipeline has no 'routes' block (write"
                            + " 'routes: []' or leave the key out)");
        } else if (raw instanceof YNode.YSeq seq) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < seq.items().size(); i++) {
                YNode node = seq.items().get(i);
                RouteSpec r = route(binder, node, "routes[" + i + "]", catalog, problems);
                if (r == null || r.id() == null) {
                    continue;
                }
                Integer first = seen.putIfAbsent(r.id(), i);
                if (first != null) {
                    problems.add(
                            r.pos(),
                            "routes[" + i + "].id",
                            "duplicate route id '" + r.id() + "' (first at routes[" + first + "])");
                }
                routes.add(r);
            }
        } else if (raw != null) {
            problems.add(
                    ((YNode) raw).pos(),
                    "routes",
                    "expected a list of routes, found " + ((YNode) raw).kind());
        }
        if (raw == null && top.get("scenarios") == null && root instanceof YNode.YMap) {
            problems.add(root.pos(), "routes", "the document has neither 'routes' nor 'scenarios'");
        }
        List<ScenarioSpec> scenarios = ScenariosLoader.read(top.get("scenarios"), binder, problems);
        if (!scenarios.isEmpty() && !catalog.scenarios()) {
            problems.add(
                    ((YNode) top.get("scenarios")).pos(),
                    "scenarios",
                    "this job runs no scenarios: its pipeline has no 'scenarios' block");
        }
        return problems.isEmpty() ? new RoutingTable(version, routes, scenarios) : null;
    }

    private RouteSpec route(
            OptionsBinder binder,
            YNode node,
            String path,
            RouteCatalog catalog,
            Problems problems) {
        Options o = binder.bind(node, ROUTE, path);
        String fingerprint = fingerprint(node);
        String id = o.string("id");
        if (id != null && !ID.matcher(id).matches()) {
            problems.add(
                    o.pos("id"),
                    o.path("id"),
                    "ids are lower-case words joined by '-', e.g. big-orders; found '" + id + "'");
        }
        List<String> types = o.list("event-types");
        if (types.isEmpty() && o.get("event-types") != null) {
            problems.add(
                    o.pos("event-types"),
                    o.path("event-types"),
                    "name at least one event type ('*' for all)");
        }
        List<String> outputs = o.list("outputs");
        if (outputs.isEmpty() && o.get("outputs") != null) {
            problems.add(o.pos("outputs"), o.path("outputs"), "name at least one output");
        }
        for (int i = 0; i < outputs.size(); i++) {
            checkOutput(o, "outputs", i, outputs.get(i), catalog, problems);
        }
        long priority = o.longValue("priority");
        if (priority < Integer.MIN_VALUE || priority > Integer.MAX_VALUE) {
            problems.add(o.pos("priority"), o.path("priority"), "must fit in 32 bits");
        }

        RowSchema input = catalog.input();
        List<PayloadField> fields = new ArrayList<>();
        List<Options> fieldOptions = o.list("fields");
        Set<String> names = new HashSet<>(input.names());
        for (Options f : fieldOptions) {
            String name = f.string("name");
            if (name == null || f.string("type") == null) {
                continue;
            }
            if (!Field.isValidName(name)) {
                problems.add(
                        f.pos("name"),
                        f.path("name"),
                        "field names are snake_case identifiers; found '" + name + "'");
            } else if (!names.add(name)) {
                problems.add(
                        f.pos("name"),
                        f.path("name"),
                        "field '" + name + "' already exists in the event; pick another name");
                continue;
            }
            FieldType type = FieldType.of(f.string("type"));
            fields.add(
                    new PayloadField(
                            name, f.has("column") ? f.string("column") : name, type, f.pos()));
            input = input.with(new Field(name, type, true));
        }
        List<String> key = o.list("key");
        for (int i = 0; i < key.size(); i++) {
            if (key.get(i) != null && input.field(key.get(i)) == null) {
                problems.add(
                        o.pos("key", i),
                        o.path("key") + "[" + i + "]",
                        Suggest.unknown("field", key.get(i), input.names()));
            }
        }

        String processor = o.string("processor");
        ProcessorDescriptor p = processor(o, processor, problems);
        Options params = null;
        RowSchema result = input;
        if (p != null) {
            YNode paramsNode = (YNode) o.get("params");
            if (paramsNode == null) {
                paramsNode = new YNode.YMap(o.pos(), new LinkedHashMap<>());
            }
            Options bound = binder.bind(paramsNode, p.routeOptions(), o.path("params"));
            Map<String, Options.Value> values = new LinkedHashMap<>(bound.values());
            values.put("key", new Options.Value(key, o.pos("key")));
            params = new Options(bound.path(), bound.pos(), values);
            for (String sinkKey : p.sinkOptions()) {
                if (params.string(sinkKey) != null) {
                    checkOutput(params, sinkKey, -1, params.string(sinkKey), catalog, problems);
                }
            }
            if (p.needsEventTime() && !catalog.eventTime()) {
                problems.add(
                        o.pos("processor"),
                        o.path("processor"),
                        "'"
                                + processor
                                + "' works in event time, and the job's source declares no"
                                + " 'event-time'");
            }
            // the key was checked above as the route's own; the processor would repeat it
            Problems own = new Problems();
            RowSchema known = checked.get(fingerprint);
            result = known != null ? known : p.check(params, input, own);
            if (known == null && own.isEmpty()) {
                remember(fingerprint, result);
            }
            String keyPath = params.path("key");
            for (io.sluice.spec.problem.Problem x : own.list()) {
                if (!x.path().equals(keyPath) && !x.path().startsWith(keyPath + "[")) {
                    problems.add(x.pos(), x.path(), x.message());
                }
            }
        }
        return new RouteSpec(
                id,
                types,
                o.string("tenant"),
                (int) priority,
                o.bool("enabled"),
                o.bool("stop"),
                fields,
                key,
                processor,
                params,
                outputs,
                o.pos(),
                input,
                result,
                fingerprint);
    }

    private ProcessorDescriptor processor(Options o, String id, Problems problems) {
        if (id == null) {
            return null;
        }
        PluginDescriptor d = registry.find(PluginKind.PROCESSOR, id);
        List<String> routable =
                registry.all(PluginKind.PROCESSOR).stream()
                        .filter(x -> x.listed() && ((ProcessorDescriptor) x).routable())
                        .map(PluginDescriptor::identifier)
                        .toList();
        if (d == null) {
            problems.add(
                    o.pos("processor"),
                    o.path("processor"),
                    Suggest.unknown("processor", id, routable));
            return null;
        }
        ProcessorDescriptor p = (ProcessorDescriptor) d;
        if (!p.routable()) {
            problems.add(
                    o.pos("processor"),
                    o.path("processor"),
                    "processor '"
                            + id
                            + "' cannot run in a route (those that can: "
                            + routable
                            + ")");
            return null;
        }
        return p;
    }

    private static void checkOutput(
            Options o,
            String key,
            int index,
            String name,
            RouteCatalog catalog,
            Problems problems) {
        if (name == null || catalog.outputs().contains(name)) {
            return;
        }
        problems.add(
                index < 0 ? o.pos(key) : o.pos(key, index),
                index < 0 ? o.path(key) : o.path(key) + "[" + index + "]",
                Suggest.unknown("output", name, catalog.outputs())
                        + " (outputs are the sinks the spec lists under routes.outputs)");
    }

    /** A digest of the route's content, blind to positions, comments and layout. */
    static String fingerprint(YNode node) {
        StringBuilder sb = new StringBuilder();
        canonical(node, sb);
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void canonical(YNode node, StringBuilder sb) {
        if (node instanceof YNode.YMap m) {
            sb.append('{');
            m.entries().keySet().stream()
                    .sorted()
                    .forEach(
                            k -> {
                                sb.append(k).append('=');
                                canonical(m.entries().get(k).value(), sb);
                                sb.append(';');
                            });
            sb.append('}');
        } else if (node instanceof YNode.YSeq s) {
            sb.append('[');
            s.items()
                    .forEach(
                            i -> {
                                canonical(i, sb);
                                sb.append(',');
                            });
            sb.append(']');
        } else if (node instanceof YNode.YScalar v) {
            sb.append(v.isNull() ? "~" : v.value().length() + ":" + v.value());
        }
    }
}
