package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.cli.deploy.FlinkRest;
import io.sluice.cli.deploy.JobJar;
import io.sluice.cli.deploy.StandaloneCluster;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice deploy --target remote}, {@code status} and {@code stop} against a real Flink
 * standalone cluster: a JobManager and a TaskManager process started from the CLI's jars. The job
 * the cluster runs writes what the same spec writes on the embedded MiniCluster.
 */
class RemoteDeployE2eITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern JOB = Pattern.compile("as job ([0-9a-f]{32})");

    @TempDir static Path dir;
    static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster =
                StandaloneCluster.start(
                        dir.resolve("cluster"), JobJar.lib(), 4, Duration.ofSeconds(120));
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (cluster != null) {
            cluster.stop();
        }
    }

    record Result(int exit, String out, String err) {}

    static Result sluice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(err))
                        .execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** The taxi spec on the CSV sample, at parallelism 1 so both runs see rows in one order. */
    static Path taxiFileSpec() throws IOException {
        Path spec = dir.resolve("taxi/taxi-file.yaml");
        Files.createDirectories(spec.getParent().resolve("data"));
        Files.copy(
                ExampleSpecsTest.ROOT.resolve("examples/taxi/data/trips-sample.csv"),
                spec.getParent().resolve("data/trips-sample.csv"));
        Files.writeString(
                spec,
                Files.readString(ExampleSpecsTest.ROOT.resolve("examples/taxi/taxi-file.yaml"))
                        .replace("parallelism: 2", "parallelism: 1"));
        return spec;
    }

    @Test
    void aDeployedJobWritesWhatTheEmbeddedRunWrites() throws Exception {
        Path spec = taxiFileSpec();
        Result deploy =
                sluice(
                        "deploy",
                        spec.toString(),
                        "--target",
                        "remote",
                        "--rest",
                        cluster.restUrl(),
                        "--output-dir",
                        dir.resolve("remote-out").toString());
        assertThat(deploy.exit()).as(deploy.err()).isZero();
        String job = jobId(deploy.out());
        FlinkRest flink = new FlinkRest(cluster.restUrl());
        assertThat(flink.awaitTerminal(job, Duration.ofMinutes(3))).isEqualTo("FINISHED");

        // the same spec on the embedded MiniCluster
        // named as in the job jar (file name only), so positions in records read the same
        Spec s =
                new SpecLoader(PluginRegistry.load())
                        .load(spec.getFileName().toString(), Files.readString(spec));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(
                        PluginRegistry.load(),
                        new RunContext(spec.getParent(), dir.resolve("local-out")))
                .compose(s, env);
        env.execute("taxi-local");

        for (String sink :
                List.of(
                        "area-stats",
                        "trip-features",
                        "taxi-alerts",
                        "late-trips",
                        "dead-letters")) {
            List<String> remote = lines(dir.resolve("remote-out").resolve(sink));
            List<String> local = lines(dir.resolve("local-out").resolve(sink));
            assertThat(remote).as(sink).isNotEmpty().containsExactlyInAnyOrderElementsOf(local);
        }

        Result list = sluice("status", "--rest", cluster.restUrl());
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).containsPattern(job + "\\s+FINISHED\\s+.*taxi-file");
        Result one = sluice("status", job, "--rest", cluster.restUrl());
        assertThat(one.out())
                .contains("job " + job + ": taxi-file, FINISHED")
                .contains("spec hash " + s.hash());
    }

    @Test
    void stopTakesASavepoint() throws Exception {
        // an endless job: generated trips, throttled
        Path spec = dir.resolve("endless/taxi.yaml");
        Files.createDirectories(spec.getParent());
        Files.writeString(
                spec,
                Files.readString(ExampleSpecsTest.ROOT.resolve("examples/taxi/taxi.yaml"))
                        .replace("count: 200000", "count: 100000000\n    rows-per-second: 500")
                        .replace("parallelism: 2", "parallelism: 1\n  checkpoint-interval: 1s"));
        Result deploy =
                sluice(
                        "deploy",
                        spec.toString(),
                        "--target",
                        "remote",
                        "--rest",
                        cluster.restUrl(),
                        "--output-dir",
                        dir.resolve("endless-out").toString());
        assertThat(deploy.exit()).as(deploy.err()).isZero();
        String job = jobId(deploy.out());
        FlinkRest flink = new FlinkRest(cluster.restUrl());
        await().atMost(Duration.ofMinutes(2))
                .until(() -> flink.job(job).path("state").asText().equals("RUNNING"));
        // every task running and rows flowing through them
        await().atMost(Duration.ofMinutes(2))
                .until(
                        () -> {
                            JsonNode vertices = flink.job(job).path("vertices");
                            for (JsonNode v : vertices) {
                                if (!v.path("status").asText().equals("RUNNING")) {
                                    return false;
                                }
                            }
                            return vertices.get(0).path("metrics").path("write-records").asLong()
                                    > 0;
                        });

        Path savepoints = dir.resolve("savepoints");
        Result stop =
                sluice(
                        "stop",
                        job,
                        "--rest",
                        cluster.restUrl(),
                        "--savepoint-dir",
                        savepoints.toString());
        assertThat(stop.exit()).as(stop.err()).isZero();
        assertThat(stop.out()).contains("job " + job + ": FINISHED; savepoint ");
        String location = stop.out().replaceAll("(?s).*savepoint (\\S+).*", "$1");
        assertThat(Path.of(java.net.URI.create(location)).resolve("_metadata")).exists();
    }

    @Test
    void aSpecWithProblemsIsRefusedBeforeAnythingIsUploaded() throws IOException {
        Path broken =
                ExampleSpecsTest.ROOT.resolve(
                        "sluice-runtime/src/test/resources/specs/broken-taxi.yaml");
        Result r =
                sluice(
                        "deploy",
                        broken.toString(),
                        "--target",
                        "remote",
                        "--rest",
                        cluster.restUrl());
        assertThat(r.exit()).isEqualTo(SluiceCli.BAD_SPEC);
        assertThat(r.err()).contains("broken-taxi.yaml:26:20: pipelines[0].steps[1].processor");
        JsonNode jobs = new FlinkRest(cluster.restUrl()).jobs();
        for (JsonNode j : jobs) {
            assertThat(j.path("name").asText()).isNotEqualTo("broken-taxi");
        }
    }

    static String jobId(String out) {
        Matcher m = JOB.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }

    static List<String> lines(Path folder) throws IOException {
        List<String> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                if (!p.getFileName().toString().startsWith(".")) {
                    all.addAll(Files.readAllLines(p));
                }
            }
        }
        return all;
    }
}
