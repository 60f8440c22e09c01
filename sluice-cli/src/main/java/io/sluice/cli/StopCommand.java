package io.sluice.cli;

import io.sluice.cli.deploy.FlinkRest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice stop JOB}: stops a job with a savepoint (or cancels it). */
@Command(
        name = "stop",
        mixinStandardHelpOptions = true,
        description = {
            "Stop a job on a Flink cluster with a savepoint, and print where it is: start the same"
                    + " or an edited spec from it with 'sluice deploy SPEC --from-savepoint PATH'.",
            "With --cancel the job is cancelled without a savepoint."
        })
final class StopCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB", description = "the job id (see sluice status)")
    String job;

    @Mixin RestOption rest;

    @Option(
            names = "--savepoint-dir",
            paramLabel = "DIR",
            description = "where the savepoint goes (default: the cluster's savepoint folder)")
    String savepointDir;

    @Option(names = "--cancel", description = "cancel, without a savepoint")
    boolean cancel;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        FlinkRest flink = rest.client();
        if (cancel) {
            flink.cancel(job);
            String state = flink.awaitTerminal(job, Duration.ofMinutes(2));
            out.printf("job %s: %s%n", job, state);
            return 0;
        }
        String dir = savepointDir == null ? null : RestOption.folderUri(savepointDir);
        out.printf("stopping job %s with a savepoint ...%n", job);
        out.flush();
        String savepoint = flink.stopWithSavepoint(job, dir, Duration.ofMinutes(5));
        String state = flink.awaitTerminal(job, Duration.ofMinutes(2));
        out.printf("job %s: %s; savepoint %s%n", job, state, savepoint);
        return 0;
    }
}
