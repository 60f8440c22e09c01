package io.sluice.runtime.route;

import io.sluice.runtime.processor.RowOut;
import io.sluice.runtime.row.EventRow;

/** Adapts a stateless processor's row logic to a route: results to the route's outputs. */
public final class RouteLogics {
    private RouteLogics() {}

    public static RowOut out(RouteScope scope) {
        return new RowOut() {
            @Override
            public void emit(EventRow row) {
                scope.emit(row);
            }

            @Override
            public void dead(EventRow deadLetter) {
                scope.deadLetter(deadLetter);
            }
        };
    }
}
