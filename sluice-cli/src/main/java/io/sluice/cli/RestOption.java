package io.sluice.cli;

import io.sluice.cli.deploy.FlinkRest;
import io.sluice.cli.deploy.StandaloneCluster;
import java.io.IOException;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --rest URL}: which Flink cluster a command talks to. */
final class RestOption {
    @Option(
            names = "--rest",
            paramLabel = "URL",
            description =
                    "the cluster's REST address, e.g. http://flink-jm:8081 (default:"
                            + " $SLUICE_FLINK_REST, else the local cluster of 'sluice cluster start')")
    String url;

    /** A folder for the cluster: a URI as given (s3://, hdfs://), a local path made absolute. */
    static String folderUri(String dir) {
        if (dir.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            return dir;
        }
        return java.nio.file.Path.of(dir).toAbsolutePath().toUri().toString();
    }

    FlinkRest client() throws IOException {
        if (url != null) {
            return new FlinkRest(url);
        }
        String env = System.getenv("SLUICE_FLINK_REST");
        if (env != null && !env.isBlank()) {
            return new FlinkRest(env);
        }
        Optional<StandaloneCluster> local = StandaloneCluster.find(ClusterCommand.HOME);
        if (local.isPresent()) {
            return new FlinkRest(local.get().restUrl());
        }
        throw new IOException(
                "which Flink cluster? pass --rest URL, set SLUICE_FLINK_REST, or start a local"
                        + " one with 'sluice cluster start'");
    }
}
