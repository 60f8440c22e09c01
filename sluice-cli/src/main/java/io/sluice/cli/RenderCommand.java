package io.sluice.cli;

import io.sluice.jdbc.JdbcDdl;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice render ...}: what a spec implies, written out. */
@Command(
        name = "render",
        mixinStandardHelpOptions = true,
        description = "Write out what a spec implies.",
        subcommands = {RenderCommand.Ddl.class, RenderCommand.Sql.class})
final class RenderCommand {

    /** {@code sluice render ddl SPEC}: CREATE TABLE for each jdbc sink. */
    @Command(
            name = "ddl",
            mixinStandardHelpOptions = true,
            description =
                    "Print CREATE TABLE for each jdbc sink of a spec (or one, with --sink), in the"
                            + " dialect of its URL: a column per field of the records reaching it"
                            + " (steps, and live routes at the config store's current version),"
                            + " config_version, the soft-delete column, the key as primary key.")
    static final class Ddl implements Callable<Integer> {
        @Parameters(paramLabel = "SPEC", description = "the spec file (YAML)")
        Path spec;

        @Option(names = "--sink", paramLabel = "ID", description = "only this sink")
        String sink;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

        @Override
        public Integer call() throws java.io.IOException {
            PrintWriter out = cmd.commandLine().getOut();
            PrintWriter err = cmd.commandLine().getErr();
            Spec s = SpecFiles.load(new SpecLoader(PluginRegistry.load()), spec, err);
            if (s == null) {
                return SluiceCli.BAD_SPEC;
            }
            List<Spec.SinkSpec> sinks =
                    s.sinks().stream()
                            .filter(k -> k.type().equals("jdbc"))
                            .filter(k -> sink == null || k.id().equals(sink))
                            .toList();
            if (sinks.isEmpty()) {
                err.println(
                        spec
                                + ": "
                                + (sink == null ? "no jdbc sink" : "no jdbc sink '" + sink + "'"));
                return SluiceCli.FAILED;
            }
            RunContext run =
                    new RunContext(
                            spec.toAbsolutePath().getParent(), Path.of("sluice-out", s.name()));
            for (Spec.SinkSpec k : sinks) {
                out.println("-- sink '" + k.id() + "' of " + spec);
                out.println(JdbcDdl.render(s, k, run));
            }
            return 0;
        }
    }

    /** {@code sluice render sql SPEC}: the spec's static parts as a Flink SQL script. */
    @Command(
            name = "sql",
            mixinStandardHelpOptions = true,
            description = {
                "Print a Flink SQL script for a spec's static parts: CREATE TABLE for its sources"
                        + " and sinks (watermarks included), a view per step, window table"
                        + " functions for window-aggregate, INSERT INTO each sink in one statement"
                        + " set. Run it with 'sluice flink-sql FILE' or on any Flink 2.2 SQL"
                        + " platform.",
                "What SQL cannot express (dead letters, late-row outputs, live routes, alerts, some"
                        + " CEL) is printed to stderr as FILE:LINE:COL: PATH: MESSAGE and listed at"
                        + " the top of the script. Exit 0 when the script is complete, 3 when"
                        + " something is not rendered, 2 for a bad spec."
            })
    static final class Sql implements Callable<Integer> {
        /** Exit code when parts of the spec are not in the script. */
        static final int INCOMPLETE = 3;

        @Parameters(paramLabel = "SPEC", description = "the spec file (YAML)")
        Path spec;

        @Option(
                names = {"-o", "--output"},
                paramLabel = "FILE",
                description = "write the script here instead of to stdout")
        Path output;

        @Option(
                names = "--output-dir",
                paramLabel = "DIR",
                description =
                        "where the script's file sinks write (default: sluice-out/NAME-sql, beside"
                                + " the job's own sluice-out/NAME)")
        Path outputDir;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

        @Override
        public Integer call() throws java.io.IOException {
            PrintWriter out = cmd.commandLine().getOut();
            PrintWriter err = cmd.commandLine().getErr();
            Spec s = SpecFiles.load(new SpecLoader(PluginRegistry.load()), spec, err);
            if (s == null) {
                return SluiceCli.BAD_SPEC;
            }
            Path dir = outputDir != null ? outputDir : Path.of("sluice-out", s.name() + "-sql");
            io.sluice.sql.SqlScript script =
                    io.sluice.sql.SqlRenderer.render(
                            s,
                            new RunContext(spec.toAbsolutePath().getParent(), dir),
                            PluginRegistry.load());
            if (output != null) {
                Files.writeString(output, script.text());
                err.println("wrote " + output + " (" + script.statements().size() + " statements)");
            } else {
                out.print(script.text());
                out.flush();
            }
            for (Problem p : script.problems()) {
                err.println(p);
            }
            if (!script.complete()) {
                err.println(
                        script.problems().size()
                                + " part(s) of the spec are not in the script (listed above and at"
                                + " its top)");
                return INCOMPLETE;
            }
            return 0;
        }
    }
}
