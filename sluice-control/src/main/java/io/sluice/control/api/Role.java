package io.sluice.control.api;

import java.util.Locale;

/**
 * What a token may do with the admin API, each role including the ones before it. Editors are
 * further limited to the routes of their tenants (see {@code AdminServer}).
 */
public enum Role {
    /** Reads routes, versions and diffs; never the audit log. */
    VIEWER,
    /** Also writes, but only routes whose tenant is one of the editor's, before and after. */
    EDITOR,
    /** Everything, including global routes and the audit log. */
    ADMIN;

    /** Whether this role includes {@code needed}. */
    public boolean allows(Role needed) {
        return compareTo(needed) >= 0;
    }

    /** {@code admin}, {@code editor} or {@code viewer}, as written in the token file. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
