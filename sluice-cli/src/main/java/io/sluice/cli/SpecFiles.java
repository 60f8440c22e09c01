package io.sluice.cli;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** A spec file loaded for a command: its problems printed, one per line, when it has any. */
final class SpecFiles {
    private SpecFiles() {}

    /** The spec, or null after printing why not (no such file, or every problem located). */
    static Spec load(SpecLoader loader, Path file, PrintWriter err) throws IOException {
        if (!Files.isRegularFile(file)) {
            err.println(file + ": no such file");
            return null;
        }
        try {
            return loader.load(file);
        } catch (SpecException e) {
            for (Problem p : e.problems()) {
                err.println(p);
            }
            return null;
        }
    }
}
