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
        String job = deploy(spec, dir.resolve("remote-out"));
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
        String job = deploy(spec, dir.resolve("endless-out"));
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

    /** The taxi example on generated trips, throttled, at parallelism 1. */
    static Path taxi(String folder, long count, int perSecond, String edit) throws IOException {
        Path spec = dir.resolve(folder).resolve("taxi.yaml");
        Files.createDirectories(spec.getParent());
        String text =
                Files.readString(ExampleSpecsTest.ROOT.resolve("examples/taxi/taxi.yaml"))
                        .replace(
                                "count: 200000",
                                "count: " + count + "\n    rows-per-second: " + perSecond)
                        .replace("parallelism: 2", "parallelism: 1");
        Files.writeString(spec, edit == null ? text : edit(text, edit));
        return spec;
    }

    /** v2 adds a step (ids kept); v3 drops the stateful fare-anomaly step. */
    static String edit(String text, String edit) {
        return switch (edit) {
            case "add-step" -> {
                String anchor = "      - id: plausible-speed";
                assertThat(text).contains(anchor);
                yield text.replace(
                        anchor,
                        "      - id: sane-fare\n        processor: filter\n"
                                + "        condition: fare >= 0.0\n\n"
                                + anchor);
            }
            case "drop-anomaly" -> text.substring(0, text.indexOf("      - id: fare-anomaly"));
            default -> throw new IllegalArgumentException(edit);
        };
    }

    static void awaitFlowing(FlinkRest flink, String job) {
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
                                    > 1_000;
                        });
    }

    /**
     * Stopped midway and upgraded to a spec with one more step, the job writes exactly what one
     * uninterrupted run of the old spec writes: window panes and z-score statistics went through
     * the savepoint.
     */
    @Test
    void anUpgradeKeepsWindowAndAnomalyState() throws Exception {
        long rows = 40_000; // 20 s at 2,000 a second: the upgrade finds the job running
        Path v1 = taxi("upgrade-v1", rows, 2_000, null);
        Path v2 = taxi("upgrade-v2", rows, 2_000, "add-step");
        Path out = dir.resolve("upgrade-out");
        String job = deploy(v1, out);
        FlinkRest flink = new FlinkRest(cluster.restUrl());
        awaitFlowing(flink, job);

        Path savepoints = dir.resolve("upgrade-savepoints");
        Result upgrade =
                sluice(
                        "upgrade",
                        job,
                        v2.toString(),
                        "--rest",
                        cluster.restUrl(),
                        "--output-dir",
                        out.toString(),
                        "--savepoint-dir",
                        savepoints.toString());
        assertThat(upgrade.exit()).as(upgrade.out() + upgrade.err()).isZero();
        Matcher m = Pattern.compile("; job ([0-9a-f]{32}) \\(spec hash").matcher(upgrade.out());
        assertThat(m.find()).as(upgrade.out()).isTrue();
        String next = m.group(1);
        assertThat(flink.awaitTerminal(next, Duration.ofMinutes(3))).isEqualTo("FINISHED");

        Spec s1 = new SpecLoader(PluginRegistry.load()).load("taxi.yaml", Files.readString(v1));
        Spec s2 = new SpecLoader(PluginRegistry.load()).load("taxi.yaml", Files.readString(v2));
        // the savepoint says what it was taken under
        String location = upgrade.out().replaceAll("(?s).*stopped with savepoint (\\S+);.*", "$1");
        JsonNode record =
                JSON.readTree(
                        Path.of(java.net.URI.create(location))
                                .resolve("sluice-savepoint.json")
                                .toFile());
        assertThat(record.path("spec_hash").asText()).isEqualTo(s1.hash());
        assertThat(record.path("config_version").asLong()).isZero();

        // one uninterrupted run of v1, unthrottled, on the embedded MiniCluster
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(
                        PluginRegistry.load(),
                        new RunContext(v1.getParent(), dir.resolve("upgrade-ref")))
                .compose(s1, env);
        env.execute("taxi-reference");

        for (String sink : List.of("area-stats", "taxi-alerts", "trip-features", "late-trips")) {
            List<String> upgraded = lines(out.resolve(sink));
            List<String> reference = lines(dir.resolve("upgrade-ref").resolve(sink));
            assertThat(upgraded).as(sink).isNotEmpty();
            assertSameRecords(sink, upgraded, reference);
            if (!sink.equals("late-trips")) {
                // written partly before the upgrade and partly after
                assertThat(upgraded).as(sink).anyMatch(l -> l.contains(s1.hash()));
                assertThat(upgraded).as(sink).anyMatch(l -> l.contains(s2.hash()));
            }
        }
    }

    /** A new spec without the stateful fare-anomaly step: refused, unless state may be dropped. */
    @Test
    void anUpgradeThatDropsStateIsRefusedUnlessAllowed() throws Exception {
        Path v1 = taxi("drop-v1", 100_000_000L, 500, null);
        Path v3 = taxi("drop-v3", 100_000_000L, 500, "drop-anomaly");
        Path out = dir.resolve("drop-out");
        String job = deploy(v1, out);
        FlinkRest flink = new FlinkRest(cluster.restUrl());
        awaitFlowing(flink, job);

        Result refused =
                sluice(
                        "upgrade",
                        job,
                        v3.toString(),
                        "--rest",
                        cluster.restUrl(),
                        "--output-dir",
                        out.toString());
        assertThat(refused.exit()).isEqualTo(SluiceCli.FAILED);
        assertThat(refused.err())
                .contains("the new spec has no place for this state of job " + job)
                .contains("fare-anomaly")
                .contains("refused: job " + job + " keeps running, unchanged");
        assertThat(flink.job(job).path("state").asText()).isEqualTo("RUNNING");

        Result allowed =
                sluice(
                        "upgrade",
                        job,
                        v3.toString(),
                        "--rest",
                        cluster.restUrl(),
                        "--output-dir",
                        out.toString(),
                        "--allow-non-restored-state");
        assertThat(allowed.exit()).as(allowed.out() + allowed.err()).isZero();
        assertThat(allowed.out())
                .contains("fare-anomaly")
                .contains("dropped, as --allow-non-restored-state says");
        Matcher m = Pattern.compile("; job ([0-9a-f]{32}) \\(spec hash").matcher(allowed.out());
        assertThat(m.find()).isTrue();
        String next = m.group(1);
        await().atMost(Duration.ofMinutes(2))
                .until(() -> flink.job(next).path("state").asText().equals("RUNNING"));
        assertThat(flink.job(job).path("state").asText()).isEqualTo("FINISHED");
        Result cancel = sluice("stop", next, "--cancel", "--rest", cluster.restUrl());
        assertThat(cancel.out()).contains("job " + next + ": CANCELED");
    }

    /**
     * The same records, as multisets, apart from {@code spec_hash}; doubles within 1e-12 relative:
     * a window's panes, flushed to state at the savepoint, add up in another order than in one run.
     */
    static void assertSameRecords(String sink, List<String> actual, List<String> expected)
            throws IOException {
        List<JsonNode> a = sortedRecords(actual);
        List<JsonNode> e = sortedRecords(expected);
        assertThat(a).as("%s: record count", sink).hasSameSizeAs(e);
        for (int i = 0; i < a.size(); i++) {
            JsonNode x = a.get(i);
            JsonNode y = e.get(i);
            assertThat(names(x)).as("%s: fields of %s", sink, x).isEqualTo(names(y));
            for (String f : names(y)) {
                if (y.get(f).isDouble() && x.get(f).isNumber()) {
                    double d = y.get(f).asDouble();
                    assertThat(x.get(f).asDouble())
                            .as("%s: %s of %s", sink, f, y)
                            .isCloseTo(
                                    d,
                                    org.assertj.core.api.Assertions.within(
                                            Math.abs(d) * 1e-12 + 1e-12));
                } else {
                    assertThat(x.get(f)).as("%s: %s of %s", sink, f, y).isEqualTo(y.get(f));
                }
            }
        }
    }

    /** Without spec_hash, sorted by their fields other than doubles. */
    static List<JsonNode> sortedRecords(List<String> lines) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : lines) {
            com.fasterxml.jackson.databind.node.ObjectNode r =
                    (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(l);
            r.remove("spec_hash");
            out.add(r);
        }
        out.sort(
                java.util.Comparator.comparing(
                        r -> {
                            StringBuilder sb = new StringBuilder();
                            for (String f : names(r)) {
                                if (!r.get(f).isDouble()) {
                                    sb.append(r.get(f)).append('|');
                                }
                            }
                            return sb.toString();
                        }));
        return out;
    }

    static List<String> names(JsonNode r) {
        List<String> names = new ArrayList<>();
        r.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Deploys {@code spec} to the test cluster, its file sinks writing to {@code out}; the job. */
    static String deploy(Path spec, Path out) {
        Result r =
                sluice(
                        "deploy",
                        spec.toString(),
                        "--target",
                        "remote",
                        "--rest",
                        cluster.restUrl(),
                        "--output-dir",
                        out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        return jobId(r.out());
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
