package io.sluice.control.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One immutable version of the live config document.
 *
 * <p>Numbers start at 1, grow by one per commit and are never reused. {@code sha256} is the
 * lower-case hex SHA-256 of {@code text} in UTF-8, so two versions with the same text have the same
 * hash. {@code time} is when the store accepted the version, truncated to milliseconds so a version
 * reads back equal from every store.
 */
public record ConfigVersion(
        long number, String author, Instant time, String comment, String text, String sha256) {

    public ConfigVersion {
        Objects.requireNonNull(author, "author");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(comment, "comment");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(sha256, "sha256");
    }

    /** Lower-case hex SHA-256 of the text's UTF-8 bytes, as in {@link #sha256()}. */
    public static String sha256Of(String text) {
        return sha256Of(text.getBytes(StandardCharsets.UTF_8));
    }

    static String sha256Of(byte[] utf8) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(utf8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** "version 3 by ann at 2024-05-01T10:00:00Z: raise the limit", for logs and listings. */
    public String summary() {
        return "version "
                + number
                + " by "
                + author
                + " at "
                + time
                + (comment.isEmpty() ? "" : ": " + comment);
    }
}
