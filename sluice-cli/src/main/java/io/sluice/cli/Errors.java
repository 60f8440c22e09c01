package io.sluice.cli;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * One line that says what went wrong: the outermost message that is not a mere wrapper ("Job
 * execution failed."), plus the root cause when that is a different exception.
 */
final class Errors {
    private Errors() {}

    static String oneLine(Throwable t) {
        Throwable first = null;
        Throwable root = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            root = c;
            if (first == null && !isWrapper(c)) {
                first = c;
            }
        }
        if (first == null) {
            first = root;
        }
        String line = describe(first);
        if (root != first && root.getMessage() != null && !root.getMessage().isBlank()) {
            line +=
                    " (root cause: "
                            + root.getClass().getSimpleName()
                            + ": "
                            + firstLine(root.getMessage())
                            + ")";
        }
        return line;
    }

    private static boolean isWrapper(Throwable c) {
        if (c instanceof ExecutionException || c instanceof CompletionException) {
            return true;
        }
        String name = c.getClass().getName();
        return name.endsWith("JobExecutionException")
                || name.endsWith("JobInitializationException")
                || (c.getMessage() != null && c.getMessage().startsWith("Recovery is suppressed"))
                || c.getMessage() == null;
    }

    private static String describe(Throwable c) {
        return c.getMessage() == null ? c.getClass().getSimpleName() : firstLine(c.getMessage());
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
