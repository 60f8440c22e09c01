package io.sluice.spec.routes;

import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Options;
import io.sluice.spec.yaml.Pos;
import java.io.Serializable;
import java.util.List;

/**
 * One route of a routing table version: which events it takes (event types, optionally one tenant),
 * the typed fields it reads from their payload, the key its state is kept under, the processor it
 * runs with its params, and the outputs its results go to. {@code input} is the schema of the rows
 * the processor sees (envelope fields then payload fields); {@code result} the schema of what it
 * emits. {@code fingerprint} changes exactly when the route's text does, so a task can tell whether
 * a new version changed this route.
 */
public record RouteSpec(
        String id,
        List<String> eventTypes,
        String tenant,
        int priority,
        boolean enabled,
        boolean stop,
        List<PayloadField> fields,
        List<String> key,
        String processor,
        Options params,
        List<String> outputs,
        Pos pos,
        RowSchema input,
        RowSchema result,
        String fingerprint)
        implements Serializable {

    /** A typed field read from the payload's JSON key {@code column}. */
    public record PayloadField(String name, String column, FieldType type, Pos pos)
            implements Serializable {}

    /** Whether this route takes events of this type (and tenant). */
    public boolean matches(String eventType, String tenantId) {
        return enabled
                && (eventTypes.contains(eventType) || eventTypes.contains("*"))
                && (tenant == null || tenant.equals(tenantId));
    }
}
