package io.sluice.spec.plugin;

import io.sluice.spec.options.Options;
import io.sluice.spec.problem.Problems;

/**
 * Semantic checks a source or sink plugin makes of its own bound options (ranges, combinations),
 * beyond what the declared types check. Problems are added, never thrown.
 */
public interface PluginCheck {
    void check(Options options, Problems problems);
}
