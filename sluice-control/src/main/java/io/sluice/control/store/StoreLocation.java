package io.sluice.control.store;

import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a config store lives, as given on the command line or in a spec: {@code file:PATH} or a
 * plain path (a directory), or a JDBC URL ({@code jdbc:mariadb:}, {@code jdbc:mysql:}, {@code
 * jdbc:postgresql:}).
 *
 * <p>{@code user} and {@code password} may be null: then the drivers take them from the URL's query
 * ({@code ?user=..&password=..}) if it has them. When set, they override the URL's. Flink ships
 * this record to task managers, hence {@link Serializable}; {@link #toString()} and {@link
 * #redactedUri()} never show a password.
 */
public record StoreLocation(String uri, String user, String password) implements Serializable {

    /** The store implementations, chosen by the URI's prefix. */
    public enum Kind {
        FILE,
        MARIADB,
        POSTGRESQL
    }

    // "password=secret" in a query, and "user:secret@" in an authority
    private static final Pattern QUERY_PASSWORD = Pattern.compile("(?i)([?&;]password=)[^&;]*");
    private static final Pattern AUTHORITY_PASSWORD = Pattern.compile("(//[^/:@?]*:)[^/@?]*@");
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):");

    public StoreLocation {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException(
                    "a config store location is needed: file:DIR, a directory, or a jdbc: URL");
        }
        uri = uri.strip();
        kindOf(uri); // fails early on what no store can open
    }

    /** A location without separate credentials. */
    public static StoreLocation parse(String uri) {
        return new StoreLocation(uri, null, null);
    }

    public StoreLocation withCredentials(String user, String password) {
        return new StoreLocation(uri, user, password);
    }

    public Kind kind() {
        return kindOf(uri);
    }

    /** The directory of a file store. */
    public Path directory() {
        if (kind() != Kind.FILE) {
            throw new IllegalStateException(redactedUri() + " is not a file store");
        }
        if (uri.startsWith("file://")) {
            return Path.of(URI.create(uri)).toAbsolutePath().normalize();
        }
        String path = uri.startsWith("file:") ? uri.substring("file:".length()) : uri;
        return Path.of(path).toAbsolutePath().normalize();
    }

    /** The URI with any password in it replaced by {@code ***}. */
    public String redactedUri() {
        String out = QUERY_PASSWORD.matcher(uri).replaceAll("$1***");
        return AUTHORITY_PASSWORD.matcher(out).replaceAll("$1***@");
    }

    @Override
    public String toString() {
        return redactedUri() + (user == null ? "" : " (user " + user + ")");
    }

    private static Kind kindOf(String uri) {
        String lower = uri.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:mariadb:") || lower.startsWith("jdbc:mysql:")) {
            return Kind.MARIADB;
        }
        if (lower.startsWith("jdbc:postgresql:")) {
            return Kind.POSTGRESQL;
        }
        Matcher scheme = SCHEME.matcher(uri);
        if (lower.startsWith("file:") || !scheme.find()) {
            return Kind.FILE;
        }
        throw new IllegalArgumentException(
                "unsupported config store '"
                        + QUERY_PASSWORD.matcher(uri).replaceAll("$1***")
                        + "' (known: file:DIR or a directory, jdbc:mariadb:, jdbc:mysql:,"
                        + " jdbc:postgresql:)");
    }
}
