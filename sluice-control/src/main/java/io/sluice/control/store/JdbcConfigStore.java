package io.sluice.control.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * The config store in a MariaDB, MySQL or PostgreSQL database, for deployments where several
 * machines share the live config.
 *
 * <p>Tables (created by Flyway on open, history in {@code sluice_schema_history}, so they can live
 * next to other tables in an existing schema): {@code sluice_config_versions} (only ever inserted),
 * {@code sluice_config_head} (one row, the current number) and {@code sluice_config_audit}. A
 * commit moves the head with {@code UPDATE ... WHERE number = expected} and inserts the version in
 * the same transaction: the database's row lock lets exactly one of several writers with the same
 * {@code expected} update the row, the others update none and get a {@link ConflictException}.
 * Readers see committed transactions only, so never half a version.
 */
public final class JdbcConfigStore extends AbstractConfigStore {
    private static final int POOL_SIZE = 4;
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private static final String VERSION_COLUMNS =
            "number, author, created_at, comment, body, sha256";

    private final StoreLocation location;
    private final HikariDataSource pool;

    private JdbcConfigStore(
            StoreLocation location, HikariDataSource pool, ConfigValidator validator) {
        super(validator);
        this.location = location;
        this.pool = pool;
    }

    /**
     * Connects, then creates or migrates the tables.
     *
     * @throws ConfigStoreException the database cannot be reached or its tables cannot be made
     */
    public static JdbcConfigStore open(StoreLocation location, ConfigValidator validator) {
        Objects.requireNonNull(validator, "validator");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(poolConfig(location));
        } catch (RuntimeException e) {
            Throwable root = rootCause(e);
            boolean network =
                    root instanceof ConnectException
                            || root instanceof UnknownHostException
                            || root instanceof NoRouteToHostException
                            || root instanceof SocketTimeoutException;
            throw new ConfigStoreException(
                    "config store "
                            + location.redactedUri()
                            + (network ? " is unreachable: " : " cannot be opened: ")
                            + reason(e),
                    e);
        }
        try {
            Flyway.configure(JdbcConfigStore.class.getClassLoader())
                    .dataSource(pool)
                    .locations("classpath:db/migration/" + folder(location.kind()))
                    .table("sluice_schema_history")
                    // the schema may already hold other tables: start the history below V1
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            pool.close();
            throw new ConfigStoreException(
                    "config store "
                            + location.redactedUri()
                            + ": cannot create or migrate its tables: "
                            + oneLine(e.getMessage()),
                    e);
        }
        return new JdbcConfigStore(location, pool, validator);
    }

    private static HikariConfig poolConfig(StoreLocation location) {
        HikariConfig config = new HikariConfig();
        String uri = location.uri();
        if (location.kind() == StoreLocation.Kind.MARIADB) {
            // one driver for both: Connector/J 3 takes jdbc:mysql: only with permitMysqlScheme
            if (uri.regionMatches(true, 0, "jdbc:mysql:", 0, "jdbc:mysql:".length())) {
                uri = "jdbc:mariadb:" + uri.substring("jdbc:mysql:".length());
            }
            config.setDriverClassName("org.mariadb.jdbc.Driver");
        } else {
            config.setDriverClassName("org.postgresql.Driver");
        }
        // pgjdbc lets the URL's user and password win over the ones passed apart; ours say the
        // opposite, so the URL's go when they are given apart
        if (location.user() != null) {
            uri = withoutQueryParameter(uri, "user");
            config.setUsername(location.user());
        }
        if (location.password() != null) {
            uri = withoutQueryParameter(uri, "password");
            config.setPassword(location.password());
        }
        config.setJdbcUrl(uri);
        config.setPoolName("sluice-config-store");
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(CONNECT_TIMEOUT_MS);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return config;
    }

    static String withoutQueryParameter(String url, String name) {
        int query = url.indexOf('?');
        if (query < 0) {
            return url;
        }
        List<String> kept = new ArrayList<>();
        for (String parameter : url.substring(query + 1).split("&")) {
            String key =
                    parameter.contains("=")
                            ? parameter.substring(0, parameter.indexOf('='))
                            : parameter;
            if (!key.equalsIgnoreCase(name) && !parameter.isEmpty()) {
                kept.add(parameter);
            }
        }
        return url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }

    private static String folder(StoreLocation.Kind kind) {
        return kind == StoreLocation.Kind.POSTGRESQL ? "postgresql" : "mariadb";
    }

    @Override
    public String describe() {
        return location.redactedUri();
    }

    @Override
    public long latest() {
        try (Connection c = pool.getConnection()) {
            return head(c);
        } catch (SQLException e) {
            throw failure("read the latest version", e);
        }
    }

    @Override
    public Optional<ConfigVersion> current() {
        String sql =
                "SELECT v.number, v.author, v.created_at, v.comment, v.body, v.sha256"
                        + " FROM sluice_config_versions v"
                        + " JOIN sluice_config_head h ON v.number = h.number WHERE h.id = 1";
        return query("read the current version", sql, null).stream().findFirst();
    }

    @Override
    public Optional<ConfigVersion> version(long number) {
        String sql = "SELECT " + VERSION_COLUMNS + " FROM sluice_config_versions WHERE number = ?";
        return query("read version " + number, sql, number).stream().findFirst();
    }

    @Override
    public List<ConfigVersion> history(int limit) {
        checkLimit(limit);
        String sql =
                "SELECT "
                        + VERSION_COLUMNS
                        + " FROM sluice_config_versions ORDER BY number DESC LIMIT ?";
        return query("read the history", sql, (long) limit);
    }

    private List<ConfigVersion> query(String what, String sql, Long parameter) {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            if (parameter != null) {
                ps.setLong(1, parameter);
            }
            List<ConfigVersion> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(
                            new ConfigVersion(
                                    rs.getLong(1),
                                    rs.getString(2),
                                    instant(rs.getObject(3, LocalDateTime.class)),
                                    rs.getString(4),
                                    rs.getString(5),
                                    rs.getString(6)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    @Override
    ConfigVersion append(String text, String sha256, long expected, String author, String comment) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                ConfigVersion v = appendInTransaction(c, text, sha256, expected, author, comment);
                c.commit();
                return v;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw failure("commit", e);
        }
    }

    private ConfigVersion appendInTransaction(
            Connection c, String text, String sha256, long expected, String author, String comment)
            throws SQLException {
        long number = expected + 1;
        // waits for a concurrent writer's row lock, then re-reads the committed row: only one of
        // several writers with the same expected number still finds it
        try (PreparedStatement ps =
                c.prepareStatement(
                        "UPDATE sluice_config_head SET number = ? WHERE id = 1 AND number = ?")) {
            ps.setLong(1, number);
            ps.setLong(2, expected);
            if (ps.executeUpdate() == 0) {
                throw new ConflictException(expected, head(c));
            }
        }
        Instant time = now();
        try (PreparedStatement ps =
                c.prepareStatement(
                        "INSERT INTO sluice_config_versions ("
                                + VERSION_COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, number);
            ps.setString(2, author);
            ps.setObject(3, LocalDateTime.ofInstant(time, ZoneOffset.UTC));
            ps.setString(4, comment);
            ps.setString(5, text);
            ps.setString(6, sha256);
            ps.executeUpdate();
        }
        return new ConfigVersion(number, author, time, comment, text, sha256);
    }

    private long head(Connection c) throws SQLException {
        try (PreparedStatement ps =
                        c.prepareStatement("SELECT number FROM sluice_config_head WHERE id = 1");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new ConfigStoreException(
                        "config store "
                                + describe()
                                + " is damaged: sluice_config_head has no row");
            }
            return rs.getLong(1);
        }
    }

    @Override
    public void audit(AuditEntry e) {
        Objects.requireNonNull(e, "audit entry");
        checkName("actor", e.actor());
        checkName("action", e.action());
        try (Connection c = pool.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO sluice_config_audit"
                                        + " (created_at, actor, action, target, detail)"
                                        + " VALUES (?, ?, ?, ?, ?)")) {
            ps.setObject(
                    1,
                    LocalDateTime.ofInstant(
                            e.time().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC));
            ps.setString(2, e.actor());
            ps.setString(3, e.action());
            ps.setString(4, e.target());
            ps.setString(5, e.detail());
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw failure("write the audit log", ex);
        }
    }

    @Override
    public List<AuditEntry> auditLog(int limit) {
        checkLimit(limit);
        try (Connection c = pool.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT created_at, actor, action, target, detail"
                                        + " FROM sluice_config_audit ORDER BY id DESC LIMIT ?")) {
            ps.setLong(1, limit);
            List<AuditEntry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(
                            new AuditEntry(
                                    instant(rs.getObject(1, LocalDateTime.class)),
                                    rs.getString(2),
                                    rs.getString(3),
                                    rs.getString(4),
                                    rs.getString(5)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read the audit log", e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return describe();
    }

    private static Instant instant(LocalDateTime utc) {
        return utc.toInstant(ZoneOffset.UTC);
    }

    private ConfigStoreException failure(String what, SQLException e) {
        return new ConfigStoreException(
                "config store " + describe() + ": cannot " + what + ": " + reason(e), e);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    /** The innermost cause's message: "Connection refused" rather than three wrappers of it. */
    private static String reason(Throwable e) {
        Throwable root = rootCause(e);
        String message = root.getMessage();
        if (root instanceof UnknownHostException) {
            return "unknown host " + message;
        }
        return message == null || message.isBlank()
                ? root.getClass().getSimpleName()
                : oneLine(message);
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
