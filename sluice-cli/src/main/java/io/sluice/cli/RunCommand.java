package io.sluice.cli;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.LocalRunner;
import io.sluice.runtime.run.RunSummary;
import io.sluice.runtime.sink.FileSinkFactory;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice run SPEC}: runs the spec on an embedded Flink MiniCluster. */
@Command(
        mixinStandardHelpOptions = true,
        name = "run",
        description =
                "Run a spec on an embedded Flink MiniCluster (web UI on a free local port). Exit 0 on success, 2 for a bad spec, 1 for a failure.")
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SPEC", description = "the spec file (YAML)")
    Path spec;

    @Option(
            names = {"-o", "--output-dir"},
            paramLabel = "DIR",
            description = "where file sinks write (default: sluice-out/<job name>)")
    Path outputDir;

    @Option(
            names = {"-p", "--parallelism"},
            description = "override the spec's runtime.parallelism")
    Integer parallelism;

    @Option(
            names = "--set",
            paramLabel = "SOURCE.OPTION=VALUE",
            description =
                    "override a source or sink option for this run, e.g. --set trips.count=1000000")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(
            names = "--store",
            paramLabel = "STORE",
            description =
                    "read live routes from this config store instead of the spec's (a folder or a"
                            + " jdbc: URL)")
    String store;

    @Option(names = "--no-web-ui", description = "do not start the Flink web UI")
    boolean noWebUi;

    @Option(
            names = "--progress-every",
            paramLabel = "SECONDS",
            description = "seconds between progress lines (default: ${DEFAULT-VALUE})")
    double progressEvery = 2.0;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = cmd.commandLine().getErr();
        PrintWriter out = cmd.commandLine().getOut();
        if (!Files.isRegularFile(spec)) {
            err.println(spec + ": no such file");
            return SluiceCli.BAD_SPEC;
        }
        PluginRegistry registry = PluginRegistry.load();
        Spec s;
        try {
            Spec loaded = new SpecLoader(registry).withOverrides(overrides).load(spec);
            s = store == null ? loaded : loaded.withStore(store);
        } catch (SpecException e) {
            for (Problem p : e.problems()) {
                err.println(p);
            }
            err.println(
                    "error: the spec has " + e.problems().size() + " problem(s); nothing was run");
            return SluiceCli.BAD_SPEC;
        }
        Path outDir = outputDir != null ? outputDir : Path.of("sluice-out", s.name());
        Files.createDirectories(outDir);
        System.setProperty(
                "sluice.log.file", outDir.resolve("sluice.log").toAbsolutePath().toString());
        out.println(
                "Running "
                        + s.name()
                        + " (spec "
                        + s.hash()
                        + ") on an embedded Flink MiniCluster");
        out.flush();
        PrintStream progress =
                new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
        RunSummary summary;
        try {
            summary =
                    new LocalRunner(registry)
                            .run(
                                    s,
                                    spec.toAbsolutePath().getParent(),
                                    new LocalRunner.Options(
                                            outDir,
                                            Duration.ofMillis((long) (progressEvery * 1000)),
                                            !noWebUi,
                                            parallelism),
                                    progress,
                                    (done, stopped) -> report(s, outDir, done, stopped, out));
        } catch (IllegalArgumentException e) {
            // the spec is valid but does not fit its input (e.g. a mapped column is missing)
            err.println("error: " + Errors.oneLine(e));
            return SluiceCli.BAD_SPEC;
        }
        if (!summary.balanced()) {
            err.println(
                    "error: "
                            + summary.unaccounted()
                            + " rows are neither accepted, filtered out nor dead letters; this is"
                            + " a bug in Sluice, please report it with the spec");
            return SluiceCli.FAILED;
        }
        return 0;
    }

    private static void report(
            Spec s, Path outDir, RunSummary summary, boolean stopped, PrintWriter out)
            throws IOException {
        out.println();
        if (stopped) {
            out.println("Stopped with Ctrl-C: the counts cover what was processed until then.");
        }
        out.print(summary.render());
        printSamples(s, outDir, out);
        out.println("Flink log: " + outDir.resolve("sluice.log"));
        out.flush();
    }

    /** The first record of each file output, so the user sees what was produced. */
    private static void printSamples(Spec s, Path outDir, PrintWriter out) throws IOException {
        RunContext run = new RunContext(Path.of("."), outDir);
        boolean header = false;
        for (Spec.SinkSpec sink : s.sinks()) {
            if (!"file".equals(sink.type())) {
                continue;
            }
            Path dir = FileSinkFactory.folder(sink, run);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> parts = Files.list(dir)) {
                for (Path p : parts.sorted().toList()) {
                    try (BufferedReader r = Files.newBufferedReader(p)) {
                        String line = r.readLine();
                        if (line != null) {
                            if (!header) {
                                out.println("  a record from each output:");
                                header = true;
                            }
                            out.println(
                                    "    "
                                            + sink.id()
                                            + ": "
                                            + (line.length() > 300
                                                    ? line.substring(0, 297) + "..."
                                                    : line));
                            break;
                        }
                    }
                }
            }
        }
    }
}
