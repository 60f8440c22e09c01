package io.sluice.runtime.compose;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Where a run reads relative paths from (the spec's folder) and writes file outputs to; {@code
 * resumed} when it starts from a savepoint, so it continues the outputs of the run before it
 * instead of replacing them.
 */
public record RunContext(Path specDir, Path outputDir, boolean resumed) implements Serializable {
    public RunContext(Path specDir, Path outputDir) {
        this(specDir, outputDir, false);
    }
}
