package io.sluice.cli.deploy;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Which state of a savepoint a spec's job would take. Operator ids derive from the uids Sluice
 * gives operators from spec ids ({@code pipeline.step...}), so an edit that keeps a step's id keeps
 * its state; state whose operator the new spec no longer has would be dropped.
 */
public final class StatePlan {
    /** State in a savepoint that the new job has no operator for. */
    public record Dropped(String uid, String name, long bytes) {
        @Override
        public String toString() {
            return "'"
                    + name
                    + "' (uid "
                    + uid
                    + ", "
                    + (bytes >= 1024 ? bytes / 1024 + " KiB" : bytes + " bytes")
                    + " of state)";
        }
    }

    private StatePlan() {}

    /**
     * The operators of the job {@code spec} composes to, by id: their uid, else their name. Nothing
     * runs: the job graph is built and read.
     */
    public static Map<OperatorID, String> operators(Spec spec, Path specDir) throws IOException {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        Path scratch = Files.createTempDirectory("sluice-plan");
        // resumed: file sinks leave the (scratch) folder alone; nothing is written
        new JobComposer(PluginRegistry.load(), new RunContext(specDir, scratch, true))
                .compose(spec, env);
        JobGraph graph = env.getStreamGraph().getJobGraph();
        Map<OperatorID, String> out = new LinkedHashMap<>();
        for (JobVertex v : graph.getVertices()) {
            for (OperatorIDPair p : v.getOperatorIDs()) {
                String uid = p.getUserDefinedOperatorUid();
                out.put(
                        p.getGeneratedOperatorID(),
                        uid != null ? uid : String.valueOf(p.getUserDefinedOperatorName()));
            }
        }
        return out;
    }

    /** State in the savepoint at {@code location} that none of {@code operators} takes. */
    public static List<Dropped> dropped(String location, Map<OperatorID, String> operators)
            throws IOException {
        org.apache.flink.core.fs.Path metadata =
                new org.apache.flink.core.fs.Path(location, "_metadata");
        CheckpointMetadata md;
        try (FSDataInputStream in = FileSystem.get(metadata.toUri()).open(metadata);
                DataInputStream data = new DataInputStream(in)) {
            md =
                    Checkpoints.loadCheckpointMetadata(
                            data, StatePlan.class.getClassLoader(), location);
        }
        List<Dropped> out = new ArrayList<>();
        for (OperatorState st : md.getOperatorStates()) {
            boolean hasState = st.getStateSize() > 0 || st.getCoordinatorState() != null;
            if (hasState && !operators.containsKey(st.getOperatorID())) {
                out.add(
                        new Dropped(
                                st.getOperatorUid().orElse(st.getOperatorID().toString()),
                                st.getOperatorName().orElse("?"),
                                st.getStateSize()));
            }
        }
        return out;
    }
}
