package io.sluice.cli;

import io.sluice.cli.deploy.JobJar;
import io.sluice.cli.deploy.StandaloneCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice cluster start|stop}: a Flink standalone cluster on this machine. */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description =
                "A Flink standalone session cluster on this machine (a JobManager and a"
                        + " TaskManager process), for 'sluice deploy --target local'.",
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class})
final class ClusterCommand {
    /** Where the local cluster keeps its configuration, logs and savepoints. */
    static final Path HOME = Path.of("sluice-out", "cluster");

    /**
     * The running local cluster when it has {@code needed} slots, or a new one with {@code slots}.
     */
    static StandaloneCluster startOrFind(Path home, int slots, int needed, PrintWriter out)
            throws IOException {
        Optional<StandaloneCluster> running = StandaloneCluster.find(home);
        if (running.isPresent()) {
            int total =
                    new io.sluice.cli.deploy.FlinkRest(running.get().restUrl())
                            .overview()
                            .path("slots-total")
                            .asInt();
            if (total < needed) {
                throw new IOException(
                        "the Flink cluster at "
                                + running.get().restUrl()
                                + " has "
                                + total
                                + " task slots; the job needs "
                                + needed
                                + ": stop it ('sluice cluster stop') and start it with --slots "
                                + needed);
            }
            return running.get();
        }
        out.printf("starting a Flink cluster in %s (%d slots) ...%n", home, slots);
        out.flush();
        StandaloneCluster c =
                StandaloneCluster.start(home, JobJar.lib(), slots, Duration.ofSeconds(90));
        out.printf(
                "Flink cluster up: REST and web UI %s; logs in %s%n",
                c.restUrl(), home.resolve("log"));
        return c;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start it.")
    static final class Start implements Callable<Integer> {
        @Option(
                names = "--slots",
                paramLabel = "N",
                description = "task slots (default: ${DEFAULT-VALUE})")
        int slots = 4;

        @Option(
                names = "--dir",
                paramLabel = "DIR",
                description = "its folder (default: ${DEFAULT-VALUE})")
        Path dir = HOME;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = cmd.commandLine().getOut();
            Optional<StandaloneCluster> running = StandaloneCluster.find(dir);
            if (running.isPresent()) {
                out.println("a Flink cluster already runs: " + running.get().restUrl());
                return 0;
            }
            startOrFind(dir, slots, 1, out);
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop it.")
    static final class Stop implements Callable<Integer> {
        @Option(
                names = "--dir",
                paramLabel = "DIR",
                description = "its folder (default: ${DEFAULT-VALUE})")
        Path dir = HOME;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = cmd.commandLine().getOut();
            Optional<StandaloneCluster> running = StandaloneCluster.find(dir);
            if (running.isEmpty()) {
                out.println("no Flink cluster runs from " + dir);
                return 0;
            }
            running.get().stop();
            out.println("stopped the Flink cluster at " + running.get().restUrl());
            return 0;
        }
    }
}
