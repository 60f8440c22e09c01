package io.sluice.spec.routes;

import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import java.io.Serializable;
import java.util.List;

/**
 * What a live config document is validated against, taken from the job's spec: the rows reaching
 * the routing stage, which of their fields hold the event type, tenant and payload, the outputs
 * routes may use, whether event time (and so windows) is available, and whether the job runs live
 * routes and recommendation scenarios at all.
 */
public record RouteCatalog(
        RowSchema input,
        String eventTypeField,
        String tenantField,
        String payloadField,
        List<String> outputs,
        boolean eventTime,
        boolean routes,
        boolean scenarios)
        implements Serializable {

    public static RouteCatalog of(Spec spec, Spec.PipelineSpec pipeline) {
        Spec.RoutesSpec r = pipeline.routes();
        boolean eventTime = spec.source(pipeline.source()).eventTime() != null;
        boolean scenarios = pipeline.scenarios() != null;
        if (r == null) {
            return new RouteCatalog(
                    pipeline.scenarios().input(),
                    null,
                    null,
                    null,
                    List.of(),
                    eventTime,
                    false,
                    true);
        }
        return new RouteCatalog(
                r.input(),
                r.eventType(),
                r.tenant(),
                r.payload(),
                r.outputs(),
                eventTime,
                true,
                scenarios);
    }
}
