package io.sluice.control.it;

import io.sluice.control.it.EmbeddedDatabase.Vendor;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The PostgreSQL server behind {@link EmbeddedDatabases#postgres()}.
 *
 * <p>As root, PostgreSQL runs as {@code nobody} (see {@link PostgresBinaries}), which must be able
 * to reach its files: when it cannot reach {@code target/} (a checkout under {@code /root}), they
 * go to {@code /tmp/sluice-embedded-postgres} instead.
 */
final class PostgresServer {
    private static EmbeddedDatabase database;

    private PostgresServer() {}

    static synchronized EmbeddedDatabase database() {
        if (database == null) {
            database = start();
        }
        return database;
    }

    private static EmbeddedDatabase start() {
        Path dir = home();
        Path data = dir.resolve("data-" + ProcessHandle.current().pid());
        try {
            EmbeddedDatabases.deleteTree(data);
            Files.createDirectories(dir);
            EmbeddedPostgres pg =
                    EmbeddedPostgres.builder()
                            .setPgBinaryResolver(new PostgresBinaries(dir))
                            .setOverrideWorkingDirectory(dir.resolve("binaries").toFile())
                            .setDataDirectory(data)
                            .setCleanDataDirectory(true)
                            .setPGStartupWait(Duration.ofSeconds(60))
                            // a test server: durability is not the point, speed is
                            .setServerConfig("fsync", "off")
                            .setServerConfig("full_page_writes", "off")
                            // for XA (exactly-once JDBC sinks) in other modules' tests
                            .setServerConfig("max_prepared_transactions", "20")
                            .start();
            // embedded-postgres trusts everyone: give the sluice account a password and ask
            // for it, so tests go through real authentication
            try (Connection c = pg.getPostgresDatabase().getConnection();
                    Statement s = c.createStatement()) {
                s.execute(
                        "CREATE ROLE "
                                + EmbeddedDatabases.USER
                                + " LOGIN SUPERUSER PASSWORD '"
                                + EmbeddedDatabases.PASSWORD
                                + "'");
                s.execute(
                        "CREATE DATABASE "
                                + EmbeddedDatabases.DATABASE
                                + " OWNER "
                                + EmbeddedDatabases.USER);
            }
            requirePasswords(pg, data);
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        try {
                                            pg.close();
                                        } catch (IOException e) {
                                            // stopping anyway
                                        }
                                    },
                                    "embedded-postgres-stop"));
            return new EmbeddedDatabase(
                    Vendor.POSTGRESQL,
                    "localhost",
                    pg.getPort(),
                    EmbeddedDatabases.DATABASE,
                    EmbeddedDatabases.USER,
                    EmbeddedDatabases.PASSWORD);
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("cannot start the embedded PostgreSQL in " + dir, e);
        }
    }

    /** Password authentication for every login except the bootstrap superuser's. */
    private static void requirePasswords(EmbeddedPostgres pg, Path data)
            throws IOException, SQLException {
        // embedded-postgres logs in as postgres without a password, e.g. to check it is up
        Files.writeString(
                data.resolve("pg_hba.conf"),
                """
                local all postgres trust
                host  all postgres 127.0.0.1/32 trust
                host  all postgres ::1/128 trust
                local all all scram-sha-256
                host  all all 127.0.0.1/32 scram-sha-256
                host  all all ::1/128 scram-sha-256
                """);
        try (Connection c = pg.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_reload_conf()");
        }
    }

    /** Where PostgreSQL's files go: target/tmp, unless nobody (as root) cannot reach it. */
    private static Path home() {
        Path preferred = EmbeddedDatabases.root().resolve("postgres");
        if (!EmbeddedDatabases.runningAsRoot() || reachableByOthers(EmbeddedDatabases.root())) {
            return preferred;
        }
        return Path.of("/tmp", "sluice-embedded-postgres");
    }

    private static boolean reachableByOthers(Path dir) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return true;
        }
        try {
            Files.createDirectories(dir);
            for (Path p = dir.toRealPath(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p)
                        .contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
