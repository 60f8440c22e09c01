package io.sluice.runtime.run;

import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.StateSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Flink configuration a spec's {@code runtime} section stands for: state backend, checkpoints
 * and savepoints. It goes into the job's own configuration (see {@code JobComposer#compose}), not
 * the cluster's.
 *
 * <table>
 *   <caption>spec key → Flink key</caption>
 *   <tr><td>state-backend</td><td>state.backend.type (hashmap | rocksdb)</td></tr>
 *   <tr><td>incremental-checkpoints</td><td>execution.checkpointing.incremental</td></tr>
 *   <tr><td>checkpoint-interval</td><td>execution.checkpointing.interval</td></tr>
 *   <tr><td>checkpoint-mode</td><td>execution.checkpointing.mode</td></tr>
 *   <tr><td>checkpoint-retention</td>
 *       <td>execution.checkpointing.externalized-checkpoint-retention</td></tr>
 *   <tr><td>retained-checkpoints</td><td>execution.checkpointing.num-retained</td></tr>
 *   <tr><td>checkpoint-dir</td><td>execution.checkpointing.dir</td></tr>
 *   <tr><td>savepoint-dir</td><td>execution.checkpointing.savepoint-dir</td></tr>
 *   <tr><td>checkpoint-timeout</td><td>execution.checkpointing.timeout</td></tr>
 *   <tr><td>min-pause</td><td>execution.checkpointing.min-pause</td></tr>
 * </table>
 */
public final class FlinkSettings {
    private FlinkSettings() {}

    /**
     * The settings the spec gives (a key it leaves out keeps the cluster's setting, or Flink's
     * default); folders relative to {@code specDir} become absolute {@code file:} URIs.
     */
    public static Map<String, String> of(Spec spec, Path specDir) {
        Map<String, String> c = new LinkedHashMap<>();
        StateSettings st = spec.runtime().state();
        if (st.backend() != null) {
            c.put("state.backend.type", "rocksdb".equals(st.backend()) ? "rocksdb" : "hashmap");
        }
        Duration interval = spec.runtime().checkpointInterval();
        if (interval != null) {
            c.put("execution.checkpointing.interval", interval.toMillis() + " ms");
        }
        if (st.mode() != null) {
            c.put(
                    "execution.checkpointing.mode",
                    "at-least-once".equals(st.mode()) ? "AT_LEAST_ONCE" : "EXACTLY_ONCE");
        }
        if (st.incremental() != null) {
            c.put("execution.checkpointing.incremental", st.incremental().toString());
        }
        if (st.retention() != null) {
            c.put(
                    "execution.checkpointing.externalized-checkpoint-retention",
                    "retain".equals(st.retention())
                            ? "RETAIN_ON_CANCELLATION"
                            : "DELETE_ON_CANCELLATION");
        }
        if (st.retained() != null) {
            c.put("execution.checkpointing.num-retained", st.retained().toString());
        }
        if (st.checkpointTimeout() != null) {
            c.put("execution.checkpointing.timeout", st.checkpointTimeout().toMillis() + " ms");
        }
        if (st.minPause() != null) {
            c.put("execution.checkpointing.min-pause", st.minPause().toMillis() + " ms");
        }
        if (st.checkpointDir() != null) {
            c.put("execution.checkpointing.dir", location(specDir, st.checkpointDir()));
        }
        if (st.savepointDir() != null) {
            c.put("execution.checkpointing.savepoint-dir", location(specDir, st.savepointDir()));
        }
        return c;
    }

    /** A URI (s3://, hdfs://, file:) as it is; a folder, relative to the spec, as a file: URI. */
    static String location(Path specDir, String where) {
        if (where.matches("^[a-zA-Z][a-zA-Z0-9+.-]+://.*") || where.startsWith("file:")) {
            return where;
        }
        Path p = Path.of(where);
        if (!p.isAbsolute() && specDir != null) {
            p = specDir.resolve(p);
        }
        return p.toAbsolutePath().normalize().toUri().toString();
    }
}
