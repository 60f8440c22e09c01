package io.sluice.control.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One line of the audit log: who did what to which target, e.g. {@code (t, "ann", "rollback",
 * "routes.yaml", "to version 3")}. {@code detail} may be empty, never null.
 *
 * <p>Stores keep entries as given (times to millisecond precision) and never write entries on their
 * own: commits are already recorded in the version history; the audit log is for what callers want
 * to add to it (rejected attempts, rollbacks requested through the admin API, ...).
 */
public record AuditEntry(Instant time, String actor, String action, String target, String detail) {

    public AuditEntry {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(detail, "detail");
    }

    /** An entry stamped now, to the millisecond, as stores keep it. */
    public static AuditEntry now(String actor, String action, String target, String detail) {
        return new AuditEntry(
                Instant.now().truncatedTo(ChronoUnit.MILLIS), actor, action, target, detail);
    }
}
