package io.sluice.runtime.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RouteSpec;
import io.sluice.spec.routes.RoutesLoader;
import io.sluice.spec.routes.RoutingTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routing tables: every problem located, and matching by type, tenant, priority and stop. */
class RoutesValidationTest {

    static final RouteCatalog CATALOG = Specs.routedCatalog();
    static final RoutesLoader LOADER = new RoutesLoader(Specs.registry());

    private static List<String> problems(String routes) {
        return LOADER.validate("routes.yaml", routes, CATALOG).list().stream()
                .map(Problem::toString)
                .toList();
    }

    @Test
    void everyProblemIsLocatedAndTheWholeDocumentRejected() {
        assertThat(
                        problems(
                                """
                                routes:
                                  - id: big
                                    event-types: [order_created]
                                    fields: [{name: amount, type: double}]
                                    processor: fitler
                                    outputs: [big]
                                  - id: big
                                    event-types: [order_created]
                                    fields: [{name: amount, type: double}]
                                    processor: filter
                                    params: {condition: "amount > '100'"}
                                    outputs: [bigg]
                                  - id: stats
                                    event-types: [order_created]
                                    key: [tenant]
                                    processor: window-aggregate
                                    params:
                                      window: {type: sliding, size: 1m}
                                      aggregates: [{name: n, fn: count}]
                                    outputs: [stats]
                                """))
                .containsExactlyInAnyOrder(
                        "routes.yaml:5:16: routes[0].processor: unknown processor 'fitler'"
                                + " (known: derive, emit, filter, project,"
                                + " rate-alert, threshold-alert, validate, window-aggregate,"
                                + " zscore-alert);"
                                + " did you mean 'filter'?",
                        "routes.yaml:12:15: routes[1].outputs[0]: unknown output 'bigg' (known:"
                                + " big, stats); did you mean 'big'? (outputs are the sinks the"
                                + " spec lists under routes.outputs)",
                        "routes.yaml:11:33: routes[1].params.condition: expression: found no"
                                + " matching overload for '_>_' applied to '(wrapper(double),"
                                + " string)'; a field that may be missing needs a check first,"
                                + " e.g. x != null ? x : 0",
                        "routes.yaml:7:5: routes[1].id: duplicate route id 'big' (first at"
                                + " routes[0])",
                        "routes.yaml:15:11: routes[2].key[0]: unknown field 'tenant' (known:"
                                + " event_id, event_time, event_type, payload, tenant_id); did"
                                + " you mean 'tenant_id'?",
                        "routes.yaml:18:15: routes[2].params.window.slide: a sliding window"
                                + " needs 'slide' (e.g. 5m)");
    }

    @Test
    void aValidTableMatchesByTypeTenantPriorityAndStop() {
        RoutingTable t =
                LOADER.load(
                        "routes.yaml",
                        """
                        routes:
                          - {id: all, event-types: ['*'], processor: emit, outputs: [big]}
                          - {id: vip, event-types: [order], tenant: globex, priority: 10,
                             stop: true, processor: emit, outputs: [big]}
                          - {id: orders, event-types: [order], priority: 5, processor: emit,
                             outputs: [big]}
                          - {id: off, event-types: [order], enabled: false, processor: emit,
                             outputs: [big]}
                        """,
                        CATALOG,
                        7);
        assertThat(ids(t.match("order", "acme"))).containsExactly("orders", "all");
        assertThat(ids(t.match("order", "globex"))).containsExactly("vip");
        assertThat(ids(t.match("refund", "globex"))).containsExactly("all");
        assertThat(t.version()).isEqualTo(7);
    }

    @Test
    void aLoaderThatCheckedARouteBeforeStillChecksItsChangedVersion() {
        RoutesLoader loader = new RoutesLoader(Specs.registry());
        String ok =
                """
                routes:
                  - id: big
                    event-types: [order]
                    fields: [{name: amount, type: double}]
                    processor: filter
                    params: {condition: "amount > 100.0"}
                    outputs: [big]
                """;
        assertThat(loader.validate("routes.yaml", ok, CATALOG).list()).isEmpty();
        assertThat(loader.validate("routes.yaml", ok, CATALOG).list()).isEmpty();
        assertThat(
                        loader.validate(
                                        "routes.yaml",
                                        ok.replace("amount > 100.0", "amount > 'x'"),
                                        CATALOG)
                                .list())
                .extracting(Problem::path)
                .containsExactly("routes[0].params.condition");
        assertThat(loader.load("routes.yaml", ok, CATALOG, 2).route("big").result())
                .isEqualTo(loader.load("routes.yaml", ok, CATALOG, 3).route("big").result());
    }

    private static List<String> ids(List<RouteSpec> routes) {
        return routes.stream().map(RouteSpec::id).toList();
    }
}
