package io.sluice.runtime.route;

import io.sluice.spec.routes.RouteSpec;

/**
 * {@link ExplodeProcessor} declared stateless: it throws on every event, to test isolation and the
 * breaker where the routing stage runs stateless routes itself.
 */
public final class StatelessExplodeProcessor extends ExplodeProcessor {
    @Override
    public String identifier() {
        return "explode-stateless";
    }

    @Override
    public String description() {
        return "Throws on every event, keeping no state (tests only).";
    }

    @Override
    public RouteLogic logic(RouteSpec route, String step) {
        RouteLogic.Stateless logic =
                (row, ts, scope) -> {
                    throw new IllegalStateException("boom on " + row.get(0));
                };
        return logic;
    }
}
