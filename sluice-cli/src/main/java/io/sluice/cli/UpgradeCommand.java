package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.cli.deploy.FlinkRest;
import io.sluice.cli.deploy.StatePlan;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.runtime.jobgraph.OperatorID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice upgrade JOB SPEC}: a running job to a new spec, its state kept. */
@Command(
        name = "upgrade",
        mixinStandardHelpOptions = true,
        description = {
            "Move a running job to a new spec without losing its state: the job is stopped with a"
                    + " savepoint and the new spec starts from it. Steps keep their state when"
                    + " their ids stay the same.",
            "First a savepoint is taken while the job runs, and checked against the new spec: when"
                    + " the new spec has no place for some of the state (a stateful step removed or"
                    + " renamed), nothing changes and the state that would be lost is named, unless"
                    + " --allow-non-restored-state.",
            "The final savepoint records, in sluice-savepoint.json, the spec hash and config"
                    + " version it was taken under."
        })
final class UpgradeCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "JOB",
            description = "the running job (see sluice status)")
    String job;

    @Parameters(index = "1", paramLabel = "SPEC", description = "the new spec")
    Path spec;

    @Mixin RestOption rest;

    @Option(
            names = "--savepoint-dir",
            paramLabel = "DIR",
            description = "where savepoints go (default: the cluster's savepoint folder)")
    String savepointDir;

    @Option(
            names = "--allow-non-restored-state",
            description = "upgrade even when state of the old job has no place in the new spec")
    boolean allowNonRestored;

    @Option(
            names = "--output-dir",
            paramLabel = "DIR",
            description = "where file sinks write (default: sluice-out/NAME, made absolute)")
    Path outputDir;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        Spec s = SpecFiles.load(new SpecLoader(PluginRegistry.load()), spec, err);
        if (s == null) {
            err.println("the running job stays as it is");
            return SluiceCli.BAD_SPEC;
        }
        FlinkRest flink = rest.client();
        JsonNode running = flink.job(job);
        if (!"RUNNING".equals(running.path("state").asText())) {
            err.printf(
                    "job %s is %s: only a running job is upgraded (start a stopped one with"
                            + " 'sluice deploy SPEC --from-savepoint PATH')%n",
                    job, running.path("state").asText());
            return SluiceCli.FAILED;
        }
        JsonNode params = flink.jobConfig(job).path("execution-config").path("user-config");
        String oldHash = params.path("sluice.spec-hash").asText("?");
        String dir = savepointDir == null ? null : RestOption.folderUri(savepointDir);

        // 1. the state the job has now, against the operators of the new spec
        Map<OperatorID, String> operators =
                StatePlan.operators(s, spec.toAbsolutePath().getParent());
        out.printf("checking job %s's state against %s (spec hash %s) ...%n", job, spec, s.hash());
        out.flush();
        String check = flink.triggerSavepoint(job, dir, Duration.ofMinutes(5));
        List<StatePlan.Dropped> dropped = StatePlan.dropped(check, operators);
        if (!dropped.isEmpty()) {
            PrintWriter w = allowNonRestored ? out : err;
            w.printf("the new spec has no place for this state of job %s:%n", job);
            for (StatePlan.Dropped d : dropped) {
                w.println("  " + d);
            }
            if (!allowNonRestored) {
                err.printf(
                        "refused: job %s keeps running, unchanged. Keep the ids of stateful steps"
                                + " to keep their state, or add --allow-non-restored-state to drop"
                                + " it.%n",
                        job);
                return SluiceCli.FAILED;
            }
            out.println("  dropped, as --allow-non-restored-state says");
        }

        // 2. stop with a savepoint, recording what it was taken under
        long version = flink.configVersion(job);
        out.printf("stopping job %s with a savepoint ...%n", job);
        out.flush();
        String savepoint = flink.stopWithSavepoint(job, dir, Duration.ofMinutes(5));
        flink.awaitTerminal(job, Duration.ofMinutes(2));
        record(savepoint, job, running.path("name").asText(), oldHash, version);

        // 3. the new spec from it
        Path output =
                (outputDir != null ? outputDir : Path.of("sluice-out", s.name())).toAbsolutePath();
        Path work = Path.of("sluice-out", "deploy");
        String next;
        try {
            next = DeployCommand.submit(flink, s, spec, work, output, savepoint, allowNonRestored);
            String state = awaitStarted(flink, next);
            if (!state.equals("RUNNING") && !state.equals("FINISHED")) {
                throw new java.io.IOException("the new job " + next + " is " + state);
            }
        } catch (java.io.IOException | RuntimeException e) {
            err.printf(
                    "the old job is stopped and the new one did not start: %s%n"
                            + "  its state is in the savepoint %s: start the old spec again with"
                            + " './sluice deploy OLD-SPEC --from-savepoint %s', or fix the new one"
                            + " and deploy it from there%n",
                    e.getMessage(), savepoint, savepoint);
            return SluiceCli.FAILED;
        }
        out.printf(
                "upgraded %s: job %s (spec hash %s) stopped with savepoint %s; job %s (spec hash"
                        + " %s) started from it%n",
                running.path("name").asText(), job, oldHash, savepoint, next, s.hash());
        out.printf("  follow it: ./sluice status %s%n", next);
        return 0;
    }

    /** Waits until the new job runs, ends or fails (at most a minute); its state. */
    static String awaitStarted(FlinkRest flink, String job) throws java.io.IOException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            String state = flink.job(job).path("state").asText();
            if (!List.of("INITIALIZING", "CREATED").contains(state)
                    || System.nanoTime() > deadline) {
                return state;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return state;
            }
        }
    }

    /** {@code sluice-savepoint.json} beside the savepoint's metadata (local folders only). */
    static void record(String savepoint, String job, String name, String hash, long version)
            throws java.io.IOException {
        URI uri = URI.create(savepoint);
        if (uri.getScheme() != null && !uri.getScheme().equals("file")) {
            return;
        }
        Path dir = uri.getScheme() == null ? Path.of(savepoint) : Path.of(uri);
        ObjectMapper json = new ObjectMapper();
        ObjectNode r = json.createObjectNode();
        r.put("job", job);
        r.put("spec_name", name);
        r.put("spec_hash", hash);
        r.put("config_version", version);
        r.put("taken_at", Instant.now().toString());
        Files.writeString(
                dir.resolve("sluice-savepoint.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsString(r) + "\n");
    }
}
