package io.sluice.sql;

import io.sluice.spec.problem.Problem;
import java.util.List;

/**
 * A rendered Flink SQL script: its statements in order, each ending in {@code ;}, and what of the
 * spec it does not express, each located in the spec. {@link #complete()} only when nothing is
 * missing.
 */
public record SqlScript(String text, List<String> statements, List<Problem> problems) {
    public SqlScript {
        statements = List.copyOf(statements);
        problems = List.copyOf(problems);
    }

    public boolean complete() {
        return problems.isEmpty();
    }
}
