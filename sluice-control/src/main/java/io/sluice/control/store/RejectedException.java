package io.sluice.control.store;

import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import java.util.stream.Collectors;

/**
 * The validator found problems in a document, so it did not become a version and nothing was
 * written. The message has the same form as {@link io.sluice.spec.problem.SpecException}'s: a
 * count, then every problem on its own line ({@code routes.yaml:8:7: routes[2].key: ...}).
 */
public final class RejectedException extends RuntimeException {
    private final transient Problems problems;

    public RejectedException(Problems problems) {
        super(message(problems));
        this.problems = problems;
    }

    /** Exactly what the validator returned. */
    public Problems problems() {
        return problems;
    }

    private static String message(Problems problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a rejection needs at least one problem");
        }
        return problems.size()
                + (problems.size() == 1 ? " problem" : " problems")
                + ":\n"
                + problems.list().stream().map(Problem::toString).collect(Collectors.joining("\n"));
    }
}
