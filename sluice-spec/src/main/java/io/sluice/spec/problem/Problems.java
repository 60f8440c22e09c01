package io.sluice.spec.problem;

import io.sluice.spec.yaml.Pos;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects every problem instead of stopping at the first, so one run shows the user all of them.
 */
public final class Problems {
    private final List<Problem> list = new ArrayList<>();

    public void add(Pos pos, String path, String message) {
        list.add(new Problem(pos, path, message));
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    public int size() {
        return list.size();
    }

    /** Problems in file order. */
    public List<Problem> list() {
        List<Problem> sorted = new ArrayList<>(list);
        sorted.sort(
                Comparator.comparing((Problem p) -> p.pos().file())
                        .thenComparingInt(p -> p.pos().line())
                        .thenComparingInt(p -> p.pos().column()));
        return sorted;
    }

    public void throwIfAny() {
        if (!list.isEmpty()) {
            throw new SpecException(list());
        }
    }
}
