package io.sluice.runtime.compose;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a run reads relative paths from and writes outputs to, and per-run overrides of source
 * options (e.g. {@code trips.count=1000}).
 */
public record RunContext(Path specDir, Path outputDir, Map<String, String> overrides) implements Serializable {
  public RunContext {
    overrides = Map.copyOf(overrides);
  }

  public String override(String sourceId, String option) {
    return overrides.get(sourceId + "." + option);
  }
}
