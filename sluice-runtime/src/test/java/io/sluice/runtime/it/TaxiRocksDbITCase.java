package io.sluice.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The taxi pipeline of {@link TaxiPipelineITCase} — every output compared with {@link
 * TaxiReference} again — with its state in RocksDB, incremental checkpoints every 100 ms into a
 * folder, and the last ones retained: the spec's runtime settings reach Flink, and the results do
 * not depend on where the state lives.
 */
class TaxiRocksDbITCase extends TaxiPipelineITCase {
    static Path checkpoints;

    @BeforeAll
    static void runJobAndReference() throws Exception {
        checkpoints = out.resolve("checkpoints");
        String text =
                Files.readString(Path.of("../examples/taxi/taxi.yaml"))
                        .replace(
                                "runtime:\n  parallelism: 2\n",
                                "runtime:\n"
                                        + "  parallelism: 2\n"
                                        + "  state-backend: rocksdb\n"
                                        + "  incremental-checkpoints: true\n"
                                        + "  checkpoint-interval: 100ms\n"
                                        + "  checkpoint-retention: retain\n"
                                        + "  retained-checkpoints: 2\n"
                                        + "  checkpoint-dir: "
                                        + checkpoints
                                        + "\n");
        assertThat(text).contains("state-backend: rocksdb");
        Path file = Path.of("../examples/taxi/.taxi-rocksdb-itcase.yaml");
        Files.writeString(file, text);
        // Flink deletes a finished job's checkpoints, so they are looked at while it runs
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
        watcher.scheduleAtFixedRate(
                () -> {
                    try (Stream<Path> all = Files.walk(checkpoints)) {
                        all.filter(Files::isRegularFile)
                                .forEach(f -> seen.add(checkpoints.relativize(f).toString()));
                    } catch (IOException | UncheckedIOException e) {
                        // not there yet, or a file gone while listing
                    }
                },
                0,
                10,
                TimeUnit.MILLISECONDS);
        try {
            // 10,000 trips/s: the job runs about 3 s, time for checkpoints every 100 ms
            runJobAndReference(file, Map.of("trips.rows-per-second", "10000"));
        } finally {
            watcher.shutdownNow();
            watcher.awaitTermination(10, TimeUnit.SECONDS);
            Files.deleteIfExists(file);
        }
    }

    static final Set<String> seen = ConcurrentHashMap.newKeySet();

    @Test
    void theStateWasInRocksDbAndCheckpointedIncrementally() throws Exception {
        assertThat(spec.runtime().state().backend()).isEqualTo("rocksdb");
        // RocksDB's incremental checkpoints keep the SST files they share under <job>/shared
        // (the heap backend writes nothing there); a checkpoint's _metadata is under <job>/chk-N
        assertThat(seen).as("checkpoint files").isNotEmpty();
        assertThat(seen).anyMatch(f -> f.contains("/shared/"));
        assertThat(seen).anyMatch(f -> f.matches(".*/chk-\\d+/_metadata"));
    }
}
