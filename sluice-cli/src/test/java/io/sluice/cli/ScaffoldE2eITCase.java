package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice new}: a project made from the taxi spec builds and passes its own tests (the
 * harness test and the MiniCluster ITCase), with Maven, against this build's Sluice jars.
 */
class ScaffoldE2eITCase {
    static final Path ROOT = ExampleSpecsTest.ROOT;
    static final String VERSION = "0.1.0-SNAPSHOT";

    @Test
    void aNewProjectBuildsAndPassesItsTests(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(err))
                        .execute(
                                "new",
                                "fare-checks",
                                "--from",
                                ROOT.resolve("examples/taxi/taxi-file.yaml").toString(),
                                "--dir",
                                dir.toString(),
                                "--group",
                                "io.acme");
        assertThat(code).as(err.toString()).isZero();
        Path project = dir.resolve("fare-checks");
        assertThat(out.toString())
                .contains("made " + project + ": processor 'fare-checks'")
                .contains("copy it into " + project.resolve("jobs"));
        assertThat(project.resolve("src/main/java/io/acme/farechecks/FareChecksProcessor.java"))
                .exists();
        assertThat(project.resolve("jobs/taxi-file.yaml"))
                .hasSameTextualContentAs(ROOT.resolve("examples/taxi/taxi-file.yaml"));
        assertThat(project.resolve("mvnw")).isExecutable();
        assertThat(project.resolve("bin/run")).isExecutable();
        assertThat(Files.readString(project.resolve("conf/sluice.env")))
                .contains("SLUICE_HOME=\"${SLUICE_HOME:-" + ROOT + "}\"");

        // this build's jars, in a repository of their own in front of the user's
        Path repo = dir.resolve("repo");
        install(repo, "sluice-parent", ROOT.resolve("pom.xml"), null);
        for (String m : List.of("sluice-spec", "sluice-control", "sluice-runtime")) {
            install(
                    repo,
                    m,
                    ROOT.resolve(m).resolve("pom.xml"),
                    ROOT.resolve(m).resolve("target").resolve(m + "-" + VERSION + ".jar"));
        }
        Path log = dir.resolve("build.log");
        Process build =
                new ProcessBuilder(
                                "./mvnw",
                                "-B",
                                "-nsu",
                                "-Dmaven.repo.local=" + repo,
                                "-Dmaven.repo.local.tail="
                                        + Path.of(
                                                System.getProperty("user.home"),
                                                ".m2",
                                                "repository"),
                                "verify")
                        .directory(project.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        assertThat(build.waitFor(15, TimeUnit.MINUTES)).isTrue();
        String text = Files.readString(log);
        assertThat(build.exitValue()).as(tail(text)).isZero();
        assertThat(text)
                .contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0, Time elapsed")
                .contains("in io.acme.farechecks.FareChecksProcessorTest")
                .contains("in io.acme.farechecks.FareChecksProcessorPipelineITCase")
                .contains("BUILD SUCCESS");
        assertThat(project.resolve("target/fare-checks.jar")).exists();
    }

    /** A spec with problems makes no project. */
    @Test
    void aBrokenSpecMakesNothing(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setErr(new PrintWriter(err))
                        .execute(
                                "new",
                                "broken",
                                "--from",
                                ROOT.resolve(
                                                "sluice-runtime/src/test/resources/specs/broken-taxi.yaml")
                                        .toString(),
                                "--dir",
                                dir.toString());
        assertThat(code).isEqualTo(SluiceCli.BAD_SPEC);
        assertThat(err.toString())
                .contains("broken-taxi.yaml:26:20: pipelines[0].steps[1].processor")
                .contains("no project was made");
        assertThat(dir.resolve("broken")).doesNotExist();
    }

    static void install(Path repo, String artifact, Path pom, Path jar) throws IOException {
        Path d = repo.resolve("io/sluice").resolve(artifact).resolve(VERSION);
        Files.createDirectories(d);
        Files.copy(
                pom,
                d.resolve(artifact + "-" + VERSION + ".pom"),
                StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            assertThat(jar).as("built by this reactor before the ITCases run").exists();
            Files.copy(
                    jar,
                    d.resolve(artifact + "-" + VERSION + ".jar"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static String tail(String log) {
        List<String> lines = log.lines().toList();
        try (Stream<String> s = lines.stream().skip(Math.max(0, lines.size() - 60))) {
            return String.join("\n", s.toList());
        }
    }
}
