package io.sluice.cli;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sluice validate SPEC}: every problem, one per line, as FILE:LINE:COL: PATH: MESSAGE. */
@Command(
        mixinStandardHelpOptions = true,
        name = "validate",
        description =
                "Check a spec and print every problem as FILE:LINE:COL: PATH: MESSAGE. Exit 0 when valid, 2 when not.")
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SPEC", description = "the spec file (YAML)")
    Path spec;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (!Files.isRegularFile(spec)) {
            err.println(spec + ": no such file");
            return SluiceCli.BAD_SPEC;
        }
        try {
            Spec s = new SpecLoader(PluginRegistry.load()).load(spec);
            int steps = s.pipelines().stream().mapToInt(p -> p.steps().size()).sum();
            out.printf(
                    "%s: valid — %d source(s), %d pipeline(s), %d step(s), %d sink(s); spec hash %s%n",
                    spec,
                    s.sources().size(),
                    s.pipelines().size(),
                    steps,
                    s.sinks().size(),
                    s.hash());
            for (Spec.PipelineSpec p : s.pipelines()) {
                if (p.routes() != null) {
                    out.printf(
                            "  pipeline %s takes live routes from %s: check them with 'sluice config"
                                    + " validate %s FILE' or 'sluice config get %s'%n",
                            p.id(), p.routes().store(), spec, spec);
                } else if (p.scenarios() != null) {
                    out.printf(
                            "  pipeline %s takes recommendation scenarios from %s: check them with"
                                    + " 'sluice config validate %s FILE' or 'sluice config get %s'%n",
                            p.id(), p.scenarios().store(), spec, spec);
                }
            }
            return 0;
        } catch (SpecException e) {
            for (Problem p : e.problems()) {
                out.println(p);
            }
            err.println(
                    e.problems().size()
                            + (e.problems().size() == 1 ? " problem" : " problems")
                            + " in "
                            + spec);
            return SluiceCli.BAD_SPEC;
        }
    }
}
