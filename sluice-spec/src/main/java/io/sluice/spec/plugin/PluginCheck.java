package io.sluice.spec.plugin;

import io.sluice.spec.options.Options;
import io.sluice.spec.problem.Problems;

/**
 * Semantic checks a source or sink plugin makes of its own bound options (ranges, combinations),
 * beyond what the declared types check. Problems are added, never thrown.
 */
public interface PluginCheck {
    void check(Options options, Problems problems);

    /** Checks that also need the job's runtime settings (e.g. checkpointing); none by default. */
    default void check(
            Options options, io.sluice.spec.model.Spec.RuntimeSpec runtime, Problems problems) {}
}
