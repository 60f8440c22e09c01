package io.sluice.spec.problem;

import java.util.List;
import java.util.stream.Collectors;

/** A spec or config that was rejected, with every problem found. */
public class SpecException extends RuntimeException {
    private final List<Problem> problems;

    public SpecException(List<Problem> problems) {
        super(
                problems.size()
                        + (problems.size() == 1 ? " problem" : " problems")
                        + ":\n"
                        + problems.stream()
                                .map(Problem::toString)
                                .collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
