package io.sluice.control.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutesDocumentTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> ACME = Set.of("acme");

    static final String DOC =
            """
            # comments go when a route is edited
            description: Test routes
            routes:
              - id: acme-big
                event-types: [order_created]
                tenant: acme
                priority: 10
                processor: filter
                params: {condition: "amount > 100.0"}
                outputs: [big-orders]
              - id: globex-big
                event-types: [order_created]
                tenant: globex
                processor: filter
                params: {condition: "amount > 500.0"}
                outputs: [big-orders]
              - id: all-views
                event-types: [page_view]
                processor: project
                outputs: [views]
              - id: acme-views
                event-types: [page_view]
                tenant: acme
                processor: project
                outputs: [views]
            """;

    static RoutesDocument parse(String text) {
        Problems problems = new Problems();
        RoutesDocument d = RoutesDocument.parse("routes.yaml", text, problems);
        assertThat(problems.list()).isEmpty();
        return d;
    }

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static List<String> ids(RoutesDocument d) {
        return d.routes().stream().map(RoutesDocument::idOf).toList();
    }

    @Test
    void routesAreJsonObjectsInDocumentOrder() {
        RoutesDocument d = parse(DOC);

        assertThat(ids(d)).containsExactly("acme-big", "globex-big", "all-views", "acme-views");
        assertThat(d.route("acme-big"))
                .hasValue(
                        json(
                                """
                                {"id": "acme-big", "event-types": ["order_created"], "tenant": "acme",
                                 "priority": 10, "processor": "filter",
                                 "params": {"condition": "amount > 100.0"}, "outputs": ["big-orders"]}
                                """));
        assertThat(d.route("nope")).isEmpty();
        assertThat(RoutesDocument.tenantOf(d.route("all-views").orElseThrow())).isNull();
        assertThat(d.text()).isEqualTo(DOC);
    }

    @Test
    void scalarsKeepTheirTextThroughRenderAndParse() {
        String odd =
                """
                description: "a: b"
                routes:
                  - id: r
                    int: 10
                    big: 12345678901
                    dbl: 100.0
                    zeros: 010
                    exp: 1e3
                    trailing: 100.50
                    yes-word: yes
                    quoted-true: 'true'
                    bool: false
                    quoted-int: "12"
                    dur: 1m
                    empty:
                    lines: "two\\nlines"
                """;
        RoutesDocument d = parse(odd);
        ObjectNode expected =
                json(
                        """
                        {"description": "a: b", "routes": [{"id": "r", "int": 10, "big": 12345678901,
                         "dbl": 100.0, "zeros": "010", "exp": "1e3", "trailing": "100.50",
                         "yes-word": "yes", "quoted-true": "true", "bool": false, "quoted-int": "12",
                         "dur": "1m", "empty": null, "lines": "two\\nlines"}]}
                        """);
        assertThat(d.tree()).isEqualTo(expected);

        String rendered = RoutesDocument.render(d.tree());
        assertThat(parse(rendered).tree()).isEqualTo(expected);
        assertThat(rendered)
                .contains("  - id: r\n")
                .contains("    zeros: \"010\"\n")
                .contains("    quoted-int: \"12\"\n")
                .contains("    int: 10\n");
    }

    @Test
    void aRouteIsReplacedInPlaceOrAppendedAndTheDocumentRendered() {
        RoutesDocument d = parse(DOC);
        ObjectNode changed = d.route("globex-big").orElseThrow().put("priority", 5);

        RoutesDocument replaced = d.withRoute(changed);
        assertThat(ids(replaced))
                .containsExactly("acme-big", "globex-big", "all-views", "acme-views");
        assertThat(replaced.route("globex-big")).hasValue(changed);
        assertThat(replaced.route("acme-big")).isEqualTo(d.route("acme-big"));
        assertThat(replaced.text()).doesNotContain("#").startsWith("description: Test routes\n");
        assertThat(parse(replaced.text()).tree()).isEqualTo(replaced.tree());

        ObjectNode added = json("{\"id\": \"new\", \"processor\": \"filter\"}");
        RoutesDocument appended = d.withRoute(added);
        assertThat(ids(appended))
                .containsExactly("acme-big", "globex-big", "all-views", "acme-views", "new");
        assertThat(appended.route("new")).hasValue(added);

        assertThat(ids(RoutesDocument.empty().withRoute(added))).containsExactly("new");
        assertThat(parse("description: none\n").withRoute(added).tree())
                .isEqualTo(json("{\"description\": \"none\", \"routes\": [" + added + "]}"));
    }

    @Test
    void aRouteIsRemoved() {
        RoutesDocument d = parse(DOC);
        assertThat(d.withoutRoute("all-views").map(RoutesDocumentTest::ids))
                .hasValue(List.of("acme-big", "globex-big", "acme-views"));
        assertThat(d.withoutRoute("nope")).isEmpty();
        assertThat(ids(d)).hasSize(4); // documents do not change
    }

    @Test
    void whatTheApiCannotWorkWithIsReportedWhereItIs() {
        String text =
                """
                routes:
                  - id: a
                  - event-types: [x]
                  - just-a-string
                  - id: a
                  - id: ""
                """;
        Problems problems = new Problems();
        assertThat(RoutesDocument.parse("routes.yaml", text, problems)).isNull();
        assertThat(problems.list().stream().map(Problem::toString))
                .containsExactly(
                        "routes.yaml:3:5: routes[1].id: every route needs an id, e.g. id: big-orders",
                        "routes.yaml:4:5: routes[2]: expected a route (a map), found a scalar",
                        "routes.yaml:5:9: routes[3].id: duplicate route id 'a' (first at routes[0])",
                        "routes.yaml:6:9: routes[4].id: every route needs an id, e.g. id: big-orders");

        problems = new Problems();
        assertThat(RoutesDocument.parse("routes.yaml", "routes: {a: 1}\n", problems)).isNull();
        assertThat(problems.list().stream().map(Problem::toString))
                .containsExactly("routes.yaml:1:9: routes: expected a list of routes, found a map");

        problems = new Problems();
        assertThat(RoutesDocument.parse("routes.yaml", "- a\n", problems)).isNull();
        assertThat(problems.list().stream().map(Problem::toString))
                .containsExactly(
                        "routes.yaml:1:1: expected a map with keys description and routes");

        problems = new Problems();
        assertThat(RoutesDocument.parse("routes.yaml", "a: 1\na: 2\n", problems)).isNull();
        assertThat(problems.list().stream().map(Problem::toString))
                .containsExactly("routes.yaml:2:1: a: duplicate key 'a' (first at line 1)");
    }

    // ---- the editor's tenant scope

    static List<String> scope(RoutesDocument before, RoutesDocument after) {
        return RoutesDocument.outOfScope(before, after, ACME);
    }

    /** The document with its routes in this order. */
    static RoutesDocument reorder(RoutesDocument d, String... ids) {
        ObjectNode tree = d.tree();
        ArrayNode routes = tree.putArray("routes");
        for (String id : ids) {
            routes.add(route(d, id));
        }
        RoutesDocument r = RoutesDocument.of(tree, "routes.yaml", new Problems());
        assertThat(ids(r)).containsExactly(ids);
        return r;
    }

    static JsonNode route(RoutesDocument d, String id) {
        return d.route(id).orElseThrow();
    }

    @Test
    void anEditorMayAddChangeAndRemoveRoutesOfItsTenants() {
        RoutesDocument d = parse(DOC);
        RoutesDocument added =
                d.withRoute(
                        json(
                                "{\"id\": \"acme-new\", \"tenant\": \"acme\", \"processor\": \"filter\"}"));
        RoutesDocument changed =
                d.withRoute(((ObjectNode) route(d, "acme-big")).put("priority", 1));
        RoutesDocument removed = d.withoutRoute("acme-views").orElseThrow();

        assertThat(scope(d, added)).isEmpty();
        assertThat(scope(d, changed)).isEmpty();
        assertThat(scope(d, removed)).isEmpty();
        assertThat(scope(RoutesDocument.empty(), parse("routes:\n  - {id: a, tenant: acme}\n")))
                .isEmpty();
        // the same routes written differently: nothing changes
        assertThat(scope(d, parse(RoutesDocument.render(d.tree())))).isEmpty();
        // its own routes may move around the others
        assertThat(scope(d, reorder(d, "acme-views", "globex-big", "acme-big", "all-views")))
                .isEmpty();
    }

    @Test
    void anEditorMayNotTouchOtherTenantsOrGlobalRoutes() {
        RoutesDocument d = parse(DOC);

        assertThat(scope(d, d.withRoute(((ObjectNode) route(d, "globex-big")).put("priority", 1))))
                .containsExactly("route 'globex-big' (tenant globex) cannot be changed");
        assertThat(scope(d, d.withoutRoute("globex-big").orElseThrow()))
                .containsExactly("route 'globex-big' (tenant globex) cannot be removed");
        assertThat(scope(d, d.withRoute(((ObjectNode) route(d, "all-views")).put("stop", true))))
                .containsExactly("route 'all-views' (a global route, no tenant) cannot be changed");
        assertThat(scope(d, d.withoutRoute("all-views").orElseThrow()))
                .containsExactly("route 'all-views' (a global route, no tenant) cannot be removed");
        assertThat(scope(d, d.withRoute(json("{\"id\": \"g\", \"tenant\": \"globex\"}"))))
                .containsExactly("route 'g' cannot be added as tenant globex");
        assertThat(scope(d, d.withRoute(json("{\"id\": \"g\"}"))))
                .containsExactly("route 'g' cannot be added as a global route, no tenant");
    }

    @Test
    void anEditorMayNotMoveItsRoutesToAnotherTenantOrMakeThemGlobal() {
        RoutesDocument d = parse(DOC);
        ObjectNode moved = ((ObjectNode) route(d, "acme-big")).put("tenant", "globex");
        ObjectNode global = (ObjectNode) route(d, "acme-big");
        global.remove("tenant");

        assertThat(scope(d, d.withRoute(moved)))
                .containsExactly("route 'acme-big' cannot move from tenant acme to tenant globex");
        assertThat(scope(d, d.withRoute(global)))
                .containsExactly(
                        "route 'acme-big' cannot move from tenant acme to a global route, no"
                                + " tenant");
        // nor take another tenant's route over
        ObjectNode taken = ((ObjectNode) route(d, "globex-big")).put("tenant", "acme");
        assertThat(scope(d, d.withRoute(taken)))
                .containsExactly("route 'globex-big' (tenant globex) cannot be changed");
    }

    @Test
    void whatLiesOutsideTheRoutesAndTheOrderOfOthersIsForAdmins() {
        RoutesDocument d = parse(DOC);
        assertThat(scope(d, parse(DOC.replace("description: Test routes", "description: mine"))))
                .containsExactly("'description' is outside the routes: only admins change it");
        assertThat(scope(d, parse(DOC.replace("description: Test routes\n", ""))))
                .containsExactly("'description' is outside the routes: only admins change it");

        assertThat(scope(d, reorder(d, "acme-big", "all-views", "acme-views", "globex-big")))
                .containsExactly(
                        "the order of routes outside your tenants would change (from [globex-big,"
                                + " all-views] to [all-views, globex-big])");

        // several at once: all of them
        RoutesDocument many =
                d.withoutRoute("globex-big").orElseThrow().withRoute(json("{\"id\": \"g\"}"));
        assertThat(scope(d, many))
                .containsExactly(
                        "route 'globex-big' (tenant globex) cannot be removed",
                        "route 'g' cannot be added as a global route, no tenant");
        // an editor of several tenants
        assertThat(
                        RoutesDocument.outOfScope(
                                d,
                                d.withoutRoute("globex-big").orElseThrow(),
                                Set.of("acme", "globex")))
                .isEmpty();
    }
}
