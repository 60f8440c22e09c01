package io.sluice.runtime.route;

import io.sluice.spec.plugin.ProcessorDescriptor;
import io.sluice.spec.routes.RouteSpec;

/**
 * A processor that live routes can run. Its route params are checked by {@link
 * ProcessorDescriptor#check} like a step's options (with the route's key under {@code key}); the
 * keyed routing stage calls {@link #logic} once per route and config version on each task.
 */
public interface RouteProcessor extends ProcessorDescriptor {
    @Override
    default boolean routable() {
        return true;
    }

    /** The route's logic at the version {@code route} belongs to. */
    RouteLogic logic(RouteSpec route, String step);
}
