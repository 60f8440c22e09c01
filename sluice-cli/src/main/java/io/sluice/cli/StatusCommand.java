package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cli.deploy.FlinkRest;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code sluice status [JOB]}: the jobs of a Flink cluster, or one job's detail. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "List the jobs of a Flink cluster, or show one: state, spec, operators.")
final class StatusCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB", arity = "0..1", description = "a job id")
    String job;

    @Mixin RestOption rest;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        FlinkRest flink = rest.client();
        if (job == null) {
            JsonNode jobs = flink.jobs();
            out.printf("%s: %d job(s)%n", flink.url(), jobs.size());
            out.printf(
                    "%-32s  %-10s  %-20s  %-9s  %s%n",
                    "JOB", "STATE", "STARTED", "DURATION", "NAME");
            for (JsonNode j : jobs) {
                out.printf(
                        "%-32s  %-10s  %-20s  %-9s  %s%n",
                        j.path("jid").asText(),
                        j.path("state").asText(),
                        Instant.ofEpochMilli(j.path("start-time").asLong())
                                .toString()
                                .substring(0, 19),
                        duration(j.path("duration").asLong()),
                        j.path("name").asText());
            }
            return 0;
        }
        JsonNode j = flink.job(job);
        JsonNode params = flink.jobConfig(job).path("execution-config").path("user-config");
        out.printf("job %s: %s, %s%n", job, j.path("name").asText(), j.path("state").asText());
        if (params.has("sluice.spec-hash")) {
            out.printf("  spec hash %s%n", params.path("sluice.spec-hash").asText());
        }
        out.printf("  duration %s%n", duration(j.path("duration").asLong()));
        for (JsonNode v : j.path("vertices")) {
            JsonNode m = v.path("metrics");
            out.printf(
                    "  %-9s  parallelism %d  in %,d  out %,d  %s%n",
                    v.path("status").asText(),
                    v.path("parallelism").asInt(),
                    m.path("read-records").asLong(),
                    m.path("write-records").asLong(),
                    v.path("name").asText());
        }
        return 0;
    }

    static String duration(long millis) {
        Duration d = Duration.ofMillis(Math.max(0, millis));
        return d.toHours() > 0
                ? String.format("%dh%02dm", d.toHours(), d.toMinutesPart())
                : String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }
}
