package io.sluice.control.store;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import io.sluice.spec.problem.Problems;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What every store does the same way: argument checks, validation, rollback and diff. */
abstract class AbstractConfigStore implements ConfigStore {
    /** Longest author or actor name; the JDBC schema's column width. */
    static final int MAX_NAME = 255;

    private static final int DIFF_CONTEXT = 3;

    private final ConfigValidator validator;

    AbstractConfigStore(ConfigValidator validator) {
        this.validator = Objects.requireNonNull(validator, "validator");
    }

    /**
     * Stores a validated text as version {@code expected + 1} if {@code expected} is current.
     *
     * @throws ConflictException another version is current
     */
    abstract ConfigVersion append(
            String text, String sha256, long expected, String author, String comment);

    @Override
    public final ConfigVersion commit(String text, long expected, String author, String comment) {
        Objects.requireNonNull(text, "text");
        checkName("author", author);
        if (expected < 0) {
            throw new IllegalArgumentException("expected version must be >= 0, got " + expected);
        }
        validate(text);
        return append(
                text,
                ConfigVersion.sha256Of(text),
                expected,
                author,
                comment == null ? "" : comment);
    }

    @Override
    public final ConfigVersion rollback(long to, long expected, String author, String comment) {
        ConfigVersion target =
                version(to).orElseThrow(() -> new NoSuchVersionException(to, latest()));
        String why = comment == null || comment.isBlank() ? "rollback to version " + to : comment;
        return commit(target.text(), expected, author, why);
    }

    @Override
    public final String diff(long a, long b) {
        // line by line: whether the last line ends in a newline does not matter to YAML
        List<String> from = textOf(a).lines().toList();
        List<String> to = textOf(b).lines().toList();
        Patch<String> patch = DiffUtils.diff(from, to);
        List<String> lines = new ArrayList<>();
        if (patch.getDeltas().isEmpty()) {
            lines.add("--- version " + a);
            lines.add("+++ version " + b);
        } else {
            lines.addAll(
                    UnifiedDiffUtils.generateUnifiedDiff(
                            "version " + a, "version " + b, from, patch, DIFF_CONTEXT));
        }
        return String.join("\n", lines) + "\n";
    }

    private String textOf(long number) {
        if (number == 0) {
            return "";
        }
        return version(number)
                .map(ConfigVersion::text)
                .orElseThrow(() -> new NoSuchVersionException(number, latest()));
    }

    final void validate(String text) {
        Problems problems = validator.validate(ConfigStores.DOCUMENT, text);
        if (problems != null && !problems.isEmpty()) {
            throw new RejectedException(problems);
        }
    }

    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    static void checkName(String what, String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        if (name.length() > MAX_NAME) {
            throw new IllegalArgumentException(
                    what
                            + " is longer than "
                            + MAX_NAME
                            + " characters: "
                            + name.substring(0, 40)
                            + "...");
        }
    }

    static void checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
    }
}
