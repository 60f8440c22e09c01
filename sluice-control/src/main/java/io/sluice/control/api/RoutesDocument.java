package io.sluice.control.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sluice.control.store.ConfigStores;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The routes document ({@code description}, {@code routes: [...]}) as the admin API handles it:
 * parsed with the runtime's own YAML reader, so the API sees the same ids and tenants the job does;
 * its routes as JSON objects; one route replaced, appended or removed; rendered back to YAML; and
 * the tenant-scope rule for editors ({@link #outOfScope}).
 *
 * <p>Only what the API needs is checked here (a map, a list of routes, each a map with a unique
 * {@code id}); whether the routes are valid is the store's validator's business.
 *
 * <p>Scalars keep their exact text through a parse and render: an unquoted scalar becomes a JSON
 * number or boolean only when it reads back as the same text ({@code 10}, {@code 100.0}, {@code
 * true}); anything else ({@code 1m}, {@code 010}, {@code 1e3}) stays a string. Rendering loses
 * comments and the original layout.
 */
final class RoutesDocument {
    static final String ROUTES = "routes";
    static final String SCENARIOS = "scenarios";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern DECIMAL =
            Pattern.compile("-?(0|[1-9][0-9]*)\\.[0-9]+([eE][-+]?[0-9]+)?");

    private static final YAMLMapper YAML =
            YAMLMapper.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                    .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                    .build();

    private static final RoutesDocument EMPTY =
            new RoutesDocument("", NODES.objectNode(), List.of(), List.of());

    private final String text;
    private final ObjectNode tree;
    private final List<ObjectNode> routes;
    private final List<ObjectNode> scenarios;

    private RoutesDocument(
            String text, ObjectNode tree, List<ObjectNode> routes, List<ObjectNode> scenarios) {
        this.text = text;
        this.tree = tree;
        this.routes = List.copyOf(routes);
        this.scenarios = List.copyOf(scenarios);
    }

    /** The document of an empty store: no routes. */
    static RoutesDocument empty() {
        return EMPTY;
    }

    /**
     * Parses a document; returns null after adding located problems to {@code problems} when it is
     * not YAML, not a map, its {@code routes} not a list, or a route has no id or a repeated one.
     */
    static RoutesDocument parse(String file, String text, Problems problems) {
        Problems found = new Problems();
        YNode root = YamlReader.read(file, text, found);
        if (root != null && !(root instanceof YNode.YMap)) {
            found.add(root.pos(), "", "expected a map with keys description and routes");
        }
        List<ObjectNode> routes = new ArrayList<>();
        List<ObjectNode> scenarios = new ArrayList<>();
        if (found.isEmpty()) {
            routes = routes((YNode.YMap) root, found);
            scenarios = scenarios((YNode.YMap) root, found);
        }
        if (!found.isEmpty()) {
            found.list().forEach(p -> problems.add(p.pos(), p.path(), p.message()));
            return null;
        }
        return new RoutesDocument(text, (ObjectNode) toJson(root), routes, scenarios);
    }

    /** The scenarios list: maps with a tenant and a scenario, no pair twice. */
    private static List<ObjectNode> scenarios(YNode.YMap root, Problems problems) {
        List<ObjectNode> out = new ArrayList<>();
        YNode list = root.get(SCENARIOS);
        if (list == null || (list instanceof YNode.YScalar s && s.isNull())) {
            return out;
        }
        if (!(list instanceof YNode.YSeq seq)) {
            problems.add(
                    list.pos(), SCENARIOS, "expected a list of scenarios, found " + list.kind());
            return out;
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < seq.items().size(); i++) {
            YNode item = seq.items().get(i);
            String path = SCENARIOS + "[" + i + "]";
            if (!(item instanceof YNode.YMap m)) {
                problems.add(item.pos(), path, "expected a scenario (a map), found " + item.kind());
                continue;
            }
            ObjectNode json = (ObjectNode) toJson(m);
            String key = scenarioKey(json);
            if (key == null) {
                problems.add(
                        m.pos(),
                        path,
                        "every scenario needs a tenant and a scenario, e.g. {tenant: acme,"
                                + " scenario: feed}");
                continue;
            }
            Integer first = seen.putIfAbsent(key, i);
            if (first != null) {
                problems.add(
                        m.pos(),
                        path + ".scenario",
                        "duplicate scenario " + key + " (first at scenarios[" + first + "])");
                continue;
            }
            out.add(json);
        }
        return out;
    }

    /** "tenant/scenario" of a scenario entry; null when either is missing. */
    static String scenarioKey(JsonNode s) {
        String t = text(s, "tenant");
        String sc = text(s, "scenario");
        return t == null || sc == null ? null : t + "/" + sc;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || !v.isValueNode() || v.isNull() || v.asText().isBlank()
                ? null
                : v.asText();
    }

    /** The scenarios in document order, as JSON objects; copies. */
    List<ObjectNode> scenarios() {
        return scenarios.stream().map(ObjectNode::deepCopy).toList();
    }

    Optional<ObjectNode> scenario(String tenant, String scenario) {
        String key = tenant + "/" + scenario;
        return scenarios.stream()
                .filter(s -> key.equals(scenarioKey(s)))
                .findFirst()
                .map(ObjectNode::deepCopy);
    }

    /**
     * This document with {@code scenario} in place of the one of its tenant and id, or appended.
     */
    RoutesDocument withScenario(ObjectNode scenario) {
        String key = scenarioKey(scenario);
        if (key == null) {
            throw new IllegalArgumentException("a scenario needs a tenant and a scenario id");
        }
        ObjectNode t = tree.deepCopy();
        ArrayNode list = list(t, SCENARIOS);
        int at = indexOfScenario(list, key);
        if (at < 0) {
            list.add(scenario.deepCopy());
        } else {
            list.set(at, scenario.deepCopy());
        }
        return reparsed(t);
    }

    /** This document without the scenario; empty when it has no such scenario. */
    Optional<RoutesDocument> withoutScenario(String tenant, String scenario) {
        ObjectNode t = tree.deepCopy();
        ArrayNode list = list(t, SCENARIOS);
        int at = indexOfScenario(list, tenant + "/" + scenario);
        if (at < 0) {
            return Optional.empty();
        }
        list.remove(at);
        return Optional.of(reparsed(t));
    }

    private static int indexOfScenario(ArrayNode list, String key) {
        for (int i = 0; i < list.size(); i++) {
            if (key.equals(scenarioKey(list.get(i)))) {
                return i;
            }
        }
        return -1;
    }

    private static ArrayNode list(ObjectNode t, String key) {
        if (t.get(key) instanceof ArrayNode a) {
            return a;
        }
        return t.putArray(key);
    }

    private static List<ObjectNode> routes(YNode.YMap root, Problems problems) {
        List<ObjectNode> out = new ArrayList<>();
        YNode list = root.get(ROUTES);
        if (list == null || (list instanceof YNode.YScalar s && s.isNull())) {
            return out;
        }
        if (!(list instanceof YNode.YSeq seq)) {
            problems.add(list.pos(), ROUTES, "expected a list of routes, found " + list.kind());
            return out;
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < seq.items().size(); i++) {
            YNode item = seq.items().get(i);
            String path = ROUTES + "[" + i + "]";
            if (!(item instanceof YNode.YMap route)) {
                problems.add(item.pos(), path, "expected a route (a map), found " + item.kind());
                continue;
            }
            YNode id = route.get("id");
            if (!(id instanceof YNode.YScalar s) || s.isNull() || s.value().isBlank()) {
                problems.add(
                        id == null ? route.pos() : id.pos(),
                        path + ".id",
                        "every route needs an id, e.g. id: big-orders");
                continue;
            }
            Integer first = seen.putIfAbsent(s.value(), i);
            if (first != null) {
                problems.add(
                        s.pos(),
                        path + ".id",
                        "duplicate route id '" + s.value() + "' (first at routes[" + first + "])");
                continue;
            }
            out.add((ObjectNode) toJson(route));
        }
        return out;
    }

    /** The document a JSON tree stands for: rendered as YAML, then parsed like any text. */
    static RoutesDocument of(ObjectNode tree, String file, Problems problems) {
        return parse(file, render(tree), problems);
    }

    /** The text this document was parsed from (or rendered as). */
    String text() {
        return text;
    }

    /** The whole document as JSON; a copy. */
    ObjectNode tree() {
        return tree.deepCopy();
    }

    /** The routes in document order, as JSON objects; copies. */
    List<ObjectNode> routes() {
        return routes.stream().map(ObjectNode::deepCopy).toList();
    }

    Optional<ObjectNode> route(String id) {
        return routes.stream()
                .filter(r -> id.equals(idOf(r)))
                .findFirst()
                .map(ObjectNode::deepCopy);
    }

    /** This document with {@code route} in place of the route with its id, or appended. */
    RoutesDocument withRoute(ObjectNode route) {
        String id = idOf(route);
        if (id == null) {
            throw new IllegalArgumentException("a route needs an id");
        }
        ObjectNode t = tree.deepCopy();
        ArrayNode list = routeList(t);
        int at = indexOf(list, id);
        if (at < 0) {
            list.add(route.deepCopy());
        } else {
            list.set(at, route.deepCopy());
        }
        return reparsed(t);
    }

    /** This document without the route {@code id}; empty when it has no such route. */
    Optional<RoutesDocument> withoutRoute(String id) {
        ObjectNode t = tree.deepCopy();
        ArrayNode list = routeList(t);
        int at = indexOf(list, id);
        if (at < 0) {
            return Optional.empty();
        }
        list.remove(at);
        return Optional.of(reparsed(t));
    }

    private static RoutesDocument reparsed(ObjectNode t) {
        Problems problems = new Problems();
        RoutesDocument d = of(t, ConfigStores.DOCUMENT, problems);
        if (d == null) {
            // the tree came from a parsed document plus a route with an id: it always parses
            throw new IllegalStateException("rendered routes do not parse: " + problems.list());
        }
        return d;
    }

    private static ArrayNode routeList(ObjectNode t) {
        if (t.get(ROUTES) instanceof ArrayNode a) {
            return a;
        }
        return t.putArray(ROUTES);
    }

    private static int indexOf(ArrayNode list, String id) {
        for (int i = 0; i < list.size(); i++) {
            if (id.equals(idOf(list.get(i)))) {
                return i;
            }
        }
        return -1;
    }

    /** The route's id as the runtime reads it: the scalar's text; null when there is none. */
    static String idOf(JsonNode route) {
        JsonNode id = route == null ? null : route.get("id");
        return id == null || !id.isValueNode() || id.isNull() ? null : id.asText();
    }

    /** The route's tenant; null for a global route (and for a tenant that is not a scalar). */
    static String tenantOf(JsonNode route) {
        JsonNode t = route.get("tenant");
        return t == null || !t.isValueNode() || t.isNull() ? null : t.asText();
    }

    /**
     * Why an editor of {@code tenants} may not turn {@code before} into {@code after}; empty when
     * it may. Every route the change adds, changes or removes must belong to one of the tenants,
     * both as it was and as it becomes: so an editor can neither touch another tenant's or a global
     * route, nor move a route to another tenant or make it global. Keys outside {@code routes} are
     * for admins, and so is the order of the routes outside the tenants (equal priorities run in
     * document order).
     */
    static List<String> outOfScope(
            RoutesDocument before, RoutesDocument after, Set<String> tenants) {
        List<String> why = new ArrayList<>();
        Map<String, ObjectNode> was = byId(before);
        Map<String, ObjectNode> now = byId(after);
        Set<String> ids = new LinkedHashSet<>(was.keySet());
        ids.addAll(now.keySet());
        for (String id : ids) {
            ObjectNode a = was.get(id);
            ObjectNode b = now.get(id);
            if (Objects.equals(a, b)) {
                continue;
            }
            if (a != null && !inScope(a, tenants)) {
                why.add(
                        "route '"
                                + id
                                + "' ("
                                + owner(a)
                                + ") cannot be "
                                + (b == null ? "removed" : "changed"));
            } else if (b != null && !inScope(b, tenants)) {
                why.add(
                        a == null
                                ? "route '" + id + "' cannot be added as " + owner(b)
                                : "route '"
                                        + id
                                        + "' cannot move from "
                                        + owner(a)
                                        + " to "
                                        + owner(b));
            }
        }
        Set<String> keys = new TreeSet<>();
        before.tree.fieldNames().forEachRemaining(keys::add);
        after.tree.fieldNames().forEachRemaining(keys::add);
        keys.remove(ROUTES);
        keys.remove(SCENARIOS);
        why.addAll(scenariosOutOfScope(before, after, tenants));
        for (String key : keys) {
            if (!Objects.equals(before.tree.get(key), after.tree.get(key))) {
                why.add("'" + key + "' is outside the routes: only admins change it");
            }
        }
        // routes the change keeps as they are but may not touch: their order is not the editor's
        Set<String> kept = new LinkedHashSet<>();
        was.forEach(
                (id, r) -> {
                    if (r.equals(now.get(id)) && !inScope(r, tenants)) {
                        kept.add(id);
                    }
                });
        List<String> othersBefore = inOrder(before, kept);
        List<String> othersAfter = inOrder(after, kept);
        if (!othersBefore.equals(othersAfter)) {
            why.add(
                    "the order of routes outside your tenants would change (from "
                            + othersBefore
                            + " to "
                            + othersAfter
                            + ")");
        }
        return why;
    }

    /** The same rule for scenarios: each one added, changed or removed is of the tenants. */
    private static List<String> scenariosOutOfScope(
            RoutesDocument before, RoutesDocument after, Set<String> tenants) {
        List<String> why = new ArrayList<>();
        Map<String, ObjectNode> was = new LinkedHashMap<>();
        before.scenarios.forEach(s -> was.put(scenarioKey(s), s));
        Map<String, ObjectNode> now = new LinkedHashMap<>();
        after.scenarios.forEach(s -> now.put(scenarioKey(s), s));
        Set<String> keys = new LinkedHashSet<>(was.keySet());
        keys.addAll(now.keySet());
        for (String key : keys) {
            ObjectNode a = was.get(key);
            ObjectNode b = now.get(key);
            if (Objects.equals(a, b)) {
                continue;
            }
            // each side's own tenant field: ids with a '/' must not fool the key
            String tenant = text(a != null ? a : b, "tenant");
            String other = a != null && b != null ? text(b, "tenant") : tenant;
            if (!tenants.contains(tenant) || !tenants.contains(other)) {
                why.add(
                        "scenario "
                                + key
                                + " (tenant "
                                + tenant
                                + ") cannot be "
                                + (a == null ? "added" : b == null ? "removed" : "changed"));
            }
        }
        return why;
    }

    private static List<String> inOrder(RoutesDocument d, Set<String> ids) {
        return d.routes.stream().map(RoutesDocument::idOf).filter(ids::contains).toList();
    }

    private static Map<String, ObjectNode> byId(RoutesDocument d) {
        Map<String, ObjectNode> m = new LinkedHashMap<>();
        d.routes.forEach(r -> m.put(idOf(r), r));
        return m;
    }

    private static boolean inScope(JsonNode route, Set<String> tenants) {
        String t = tenantOf(route);
        return t != null && tenants.contains(t);
    }

    private static String owner(JsonNode route) {
        String t = tenantOf(route);
        return t == null ? "a global route, no tenant" : "tenant " + t;
    }

    /** YAML for a JSON tree: block style, quotes only where YAML needs them, no comments. */
    static String render(JsonNode tree) {
        try {
            return YAML.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A YAML node as JSON; scalars keep their text (see the class comment). */
    static JsonNode toJson(YNode node) {
        if (node instanceof YNode.YMap m) {
            ObjectNode o = NODES.objectNode();
            m.entries().values().forEach(e -> o.set(e.key(), toJson(e.value())));
            return o;
        }
        if (node instanceof YNode.YSeq s) {
            ArrayNode a = NODES.arrayNode();
            s.items().forEach(i -> a.add(toJson(i)));
            return a;
        }
        YNode.YScalar s = (YNode.YScalar) node;
        if (s.isNull()) {
            return NODES.nullNode();
        }
        return s.quoted() ? NODES.textNode(s.value()) : scalar(s.value());
    }

    private static JsonNode scalar(String text) {
        if (text.equals("true") || text.equals("false")) {
            return NODES.booleanNode(text.equals("true"));
        }
        if (INTEGER.matcher(text).matches() && text.length() <= 18) {
            long v = Long.parseLong(text);
            return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
        }
        if (DECIMAL.matcher(text).matches()) {
            double d = Double.parseDouble(text);
            if (Double.toString(d).equals(text)) {
                return NODES.numberNode(d);
            }
        }
        return NODES.textNode(text);
    }
}
