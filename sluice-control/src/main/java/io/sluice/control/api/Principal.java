package io.sluice.control.api;

import java.util.Objects;
import java.util.Set;

/**
 * Who a request acts as: the name of its token (the author of the versions it writes and the actor
 * of its audit entries), its role, and for editors the tenants whose routes it may change.
 */
public record Principal(String name, Role role, Set<String> tenants) {
    public Principal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        tenants = Set.copyOf(tenants);
    }
}
