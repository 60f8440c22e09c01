package io.sluice.control.store;

import io.sluice.spec.problem.Problems;

/**
 * Checks a document before it becomes a version. Stores call it inside {@link ConfigStore#commit},
 * so a document with problems is never stored.
 *
 * <p>Implementations return every problem found (an empty {@link Problems} means valid) rather than
 * stopping at the first, and must not keep state between calls: stores may call them from several
 * threads.
 */
@FunctionalInterface
public interface ConfigValidator {

    /**
     * @param file names the document in the problems' positions, e.g. {@code routes.yaml}
     * @param text the whole document
     */
    Problems validate(String file, String text);

    /** Accepts everything; for stores whose documents are checked elsewhere. */
    static ConfigValidator acceptAll() {
        return (file, text) -> new Problems();
    }
}
