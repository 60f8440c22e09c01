package io.sluice.spec.routes;

import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import java.io.Serializable;
import java.util.List;

/**
 * What a routing table is validated against, taken from the job's spec: the rows reaching the
 * routing stage, which of their fields hold the event type, tenant and payload, the outputs routes
 * may use, and whether event time (and so windows) is available.
 */
public record RouteCatalog(
        RowSchema input,
        String eventTypeField,
        String tenantField,
        String payloadField,
        List<String> outputs,
        boolean eventTime)
        implements Serializable {

    public static RouteCatalog of(Spec spec, Spec.PipelineSpec pipeline) {
        Spec.RoutesSpec r = pipeline.routes();
        return new RouteCatalog(
                r.input(),
                r.eventType(),
                r.tenant(),
                r.payload(),
                r.outputs(),
                spec.source(pipeline.source()).eventTime() != null);
    }
}
