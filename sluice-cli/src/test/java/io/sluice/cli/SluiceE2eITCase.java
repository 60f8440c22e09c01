package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@code ./sluice} script as a user would, after the build has packaged the CLI. */
class SluiceE2eITCase {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path FIXTURES = ROOT.resolve("sluice-runtime/src/test/resources/specs");

    record Result(int exit, String out, String err) {}

    static Result sluice(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("sluice").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment()
                .put("SLUICE_NO_BUILD", "1"); // the build under test already packaged the CLI
        Path out = Files.createTempFile("sluice-out", ".txt");
        Path err = Files.createTempFile("sluice-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(
                    "sluice " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void validateAcceptsTheTaxiExample() throws Exception {
        Result r = sluice(ROOT, "validate", "examples/taxi/taxi.yaml");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .startsWith(
                        "examples/taxi/taxi.yaml: valid — 1 source(s), 1 pipeline(s), 5 step(s), 5 sink(s); spec hash ");
    }

    @Test
    void validatePrintsEveryLocatedProblemAndExitsTwo() throws Exception {
        Result r = sluice(FIXTURES, "validate", "broken-taxi.yaml");
        assertThat(r.exit()).isEqualTo(2);
        // the fixture is written for sluice-runtime's plugins; the CLI also has the Kafka, Redis
        // and JDBC ones (the jdbc sink and the enrich processor)
        List<String> expected =
                Files.readAllLines(FIXTURES.resolve("broken-taxi.expected")).stream()
                        .map(
                                l ->
                                        l.replace(
                                                        "(known: console, file)",
                                                        "(known: console, file, jdbc, kafka,"
                                                                + " redis)")
                                                .replace("emit, filter,", "emit, enrich, filter,"))
                        .toList();
        assertThat(r.out().lines()).containsExactlyElementsOf(expected);
        assertThat(r.err()).contains("15 problems in broken-taxi.yaml");
    }

    @Test
    void runRefusesABrokenSpecWithExitTwo() throws Exception {
        Result r = sluice(FIXTURES, "run", "broken-taxi.yaml", "--no-web-ui");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err())
                .contains(
                        "broken-taxi.yaml:26:20: pipelines[0].steps[1].processor: unknown processor 'fitler'");
        assertThat(r.err()).contains("nothing was run");
    }

    @Test
    void runTheTaxiDemoAndAccountForEveryRow(@TempDir Path out) throws Exception {
        Result r =
                sluice(
                        ROOT,
                        "run",
                        "examples/taxi/taxi.yaml",
                        "--set",
                        "trips.count=20000",
                        "-o",
                        out.toString(),
                        "--progress-every",
                        "0.5");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        Matcher m =
                Pattern.compile(
                                "rows in\\s+([\\d,]+)\\s+= accepted ([\\d,]+) \\+ dead letters ([\\d,]+)\\n")
                        .matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        long in = num(m.group(1));
        long accepted = num(m.group(2));
        long dead = num(m.group(3));
        assertThat(in).isEqualTo(20_000);
        assertThat(accepted + dead).isEqualTo(in);
        assertThat(r.out()).contains("Flink web UI: http://127.0.0.1:");
        // the summary's per-output counts are the lines actually written
        for (String sink :
                List.of(
                        "area-stats",
                        "taxi-alerts",
                        "trip-features",
                        "late-trips",
                        "dead-letters")) {
            long lines = lines(out.resolve(sink));
            assertThat(lines).as(sink).isPositive();
            assertThat(r.out())
                    .containsPattern(
                            "\\n\\s+"
                                    + sink
                                    + "\\s+"
                                    + String.format("%,d", lines)
                                    + " records\\n");
        }
        assertThat(lines(out.resolve("dead-letters"))).isEqualTo(dead);
        // in the taxi spec every accepted row passes the last transform, whose output this is
        assertThat(lines(out.resolve("trip-features"))).isEqualTo(accepted);
        assertThat(r.out()).contains("a record from each output:");
    }

    @Test
    void aRuntimeFailureExitsOneWithAOneLineCause(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("missing-input.yaml");
        Files.writeString(
                spec,
                """
        name: missing-input
        sources:
          - id: trips
            type: file
            path: no-such-folder
            fields: [{name: fare, type: double}]
        sinks: [{id: out, type: console}]
        pipelines:
          - id: p
            source: trips
            dead-letters: out
            steps:
              - {id: f, processor: filter, condition: "fare > 1.0", output: out}
        """,
                StandardCharsets.UTF_8);
        Result r =
                sluice(
                        dir,
                        "run",
                        "missing-input.yaml",
                        "--no-web-ui",
                        "-o",
                        dir.resolve("out").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines().findFirst().orElse(""))
                .startsWith("error: source 'trips': ")
                .contains("no-such-folder does not exist (path is relative to the spec's folder)");
    }

    static long num(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    static long lines(Path folder) throws IOException {
        long n = 0;
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path p : parts.toList()) {
                try (Stream<String> l = Files.lines(p)) {
                    n += l.count();
                }
            }
        }
        return n;
    }
}
