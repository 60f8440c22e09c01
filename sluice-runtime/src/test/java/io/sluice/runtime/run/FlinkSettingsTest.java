package io.sluice.runtime.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkSettingsTest {
    @TempDir Path dir;

    private Spec spec(String runtime) throws Exception {
        Files.writeString(
                dir.resolve("job.yaml"),
                "name: t\n"
                        + runtime
                        + "sources:\n"
                        + "  - id: s\n"
                        + "    type: generator\n"
                        + "    profile: taxi-trips\n"
                        + "    count: 10\n"
                        + "    format: csv\n"
                        + "    fields: [{name: trip_id, type: string}]\n"
                        + "sinks: [{id: out, type: console}]\n"
                        + "pipelines:\n"
                        + "  - id: p\n"
                        + "    source: s\n"
                        + "    dead-letters: out\n"
                        + "    steps: [{id: f, processor: filter, condition: 'true', output: out}]\n");
        return new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
    }

    @Test
    void keysTheSpecLeavesOutKeepTheClustersSettings() throws Exception {
        assertThat(FlinkSettings.of(spec(""), dir)).isEmpty();
        assertThat(FlinkSettings.of(spec("runtime: {checkpoint-interval: 1s}\n"), dir))
                .containsExactly(Map.entry("execution.checkpointing.interval", "1000 ms"));
        assertThat(FlinkSettings.of(spec("runtime: {state-backend: heap}\n"), dir))
                .containsExactly(Map.entry("state.backend.type", "hashmap"));
    }

    @Test
    void everyRuntimeKeyBecomesItsFlinkKey() throws Exception {
        Map<String, String> c =
                FlinkSettings.of(
                        spec(
                                "runtime:\n"
                                        + "  checkpoint-interval: 30s\n"
                                        + "  state-backend: rocksdb\n"
                                        + "  incremental-checkpoints: true\n"
                                        + "  checkpoint-mode: at-least-once\n"
                                        + "  checkpoint-retention: retain\n"
                                        + "  retained-checkpoints: 3\n"
                                        + "  checkpoint-dir: state/checkpoints\n"
                                        + "  savepoint-dir: s3://bucket/savepoints\n"
                                        + "  checkpoint-timeout: 2m\n"
                                        + "  min-pause: 5s\n"),
                        dir);
        assertThat(c)
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "state.backend.type", "rocksdb",
                                "execution.checkpointing.interval", "30000 ms",
                                "execution.checkpointing.mode", "AT_LEAST_ONCE",
                                "execution.checkpointing.incremental", "true",
                                "execution.checkpointing.externalized-checkpoint-retention",
                                        "RETAIN_ON_CANCELLATION",
                                "execution.checkpointing.num-retained", "3",
                                "execution.checkpointing.dir",
                                        dir.resolve("state/checkpoints").toUri().toString(),
                                "execution.checkpointing.savepoint-dir", "s3://bucket/savepoints",
                                "execution.checkpointing.timeout", "120000 ms",
                                "execution.checkpointing.min-pause", "5000 ms"));
    }
}
