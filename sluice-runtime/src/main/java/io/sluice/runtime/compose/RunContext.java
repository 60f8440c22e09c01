package io.sluice.runtime.compose;

import java.io.Serializable;
import java.nio.file.Path;

/** Where a run reads relative paths from (the spec's folder) and writes file outputs to. */
public record RunContext(Path specDir, Path outputDir) implements Serializable {}
