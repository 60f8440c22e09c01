package io.sluice.runtime.compose;

import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.PipelineSpec;
import io.sluice.spec.model.Spec.StepSpec;

/**
 * What a processor needs to build its step: the spec, where the step stands, stable uids, and
 * whether the pipeline's source ends by itself (a step adding a stream of its own, such as polled
 * dimension changes, ends it too then).
 */
public record StepContext(
        Spec spec, PipelineSpec pipeline, StepSpec step, RunContext run, boolean boundedInput) {
    public StepContext(Spec spec, PipelineSpec pipeline, StepSpec step, RunContext run) {
        this(spec, pipeline, step, run, true);
    }

    /** A uid stable across spec edits that keep the pipeline and step ids. */
    public String uid(String part) {
        return pipeline.id() + "." + step.id() + "." + part;
    }

    /** {@code pipeline.step}, how dead letters name the step that rejected a row. */
    public String stepRef() {
        return pipeline.id() + "." + step.id();
    }

    /** A readable operator name for the web UI. */
    public String name(String what) {
        return step.id() + " (" + what + ")";
    }

    /** file:line of this step, stamped on its dead letters. */
    public String position() {
        return step.pos().fileLine();
    }
}
