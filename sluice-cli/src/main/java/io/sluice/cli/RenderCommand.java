package io.sluice.cli;

import io.sluice.jdbc.JdbcDdl;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
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
        subcommands = {RenderCommand.Ddl.class})
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
            if (!Files.isRegularFile(spec)) {
                err.println(spec + ": no such file");
                return SluiceCli.BAD_SPEC;
            }
            Spec s;
            try {
                s = new SpecLoader(PluginRegistry.load()).load(spec);
            } catch (SpecException e) {
                for (Problem p : e.problems()) {
                    err.println(p);
                }
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
}
