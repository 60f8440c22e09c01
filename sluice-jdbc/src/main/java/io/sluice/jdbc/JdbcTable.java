package io.sluice.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A table's columns (name → JDBC type), read from the database's metadata. */
record JdbcTable(String name, Map<String, Integer> columns, java.util.Set<String> zoned) {

    static Connection connect(JdbcSink.Settings s) throws SQLException {
        return connect(s.url(), s.user(), s.password());
    }

    static Connection connect(String url, String user, String password) throws SQLException {
        Connection c =
                user == null
                        ? DriverManager.getConnection(url)
                        : DriverManager.getConnection(url, user, password);
        if (JdbcDialect.of(url) == JdbcDialect.MYSQL) {
            // TIMESTAMP columns convert from the session's zone: make it UTC, as the rows are
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("SET time_zone = '+00:00'");
            }
        }
        return c;
    }

    /**
     * The table as the database describes it; fails naming the problem when the database cannot be
     * reached, the table does not exist, or a key column is not one of its columns.
     */
    static JdbcTable describe(JdbcSink.Settings s) {
        try (Connection c = connect(s)) {
            JdbcTable t = read(c, s.table());
            if (t == null) {
                throw new IllegalArgumentException(
                        "sink '"
                                + s.id()
                                + "': table '"
                                + s.table()
                                + "' does not exist in "
                                + redacted(s.url())
                                + ": create it first (./sluice render ddl SPEC prints it), or set create-table: true");
            }
            List<String> missing = new ArrayList<>();
            if (s.softDeleteColumn() != null
                    && !t.columns().containsKey(s.softDeleteColumn().toLowerCase(Locale.ROOT))) {
                missing.add(s.softDeleteColumn());
            }
            for (String k : s.key()) {
                if (!t.columns().containsKey(k.toLowerCase(Locale.ROOT))) {
                    missing.add(k);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(
                        "sink '"
                                + s.id()
                                + "': key or soft-delete column(s) "
                                + missing
                                + " are not columns of table '"
                                + s.table()
                                + "' (its columns: "
                                + String.join(", ", t.columns().keySet())
                                + ")");
            }
            return t;
        } catch (SQLException e) {
            throw new IllegalArgumentException(
                    "sink '"
                            + s.id()
                            + "': cannot read table '"
                            + s.table()
                            + "' in "
                            + redacted(s.url())
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** Runs {@code ddl} when the sink's table does not exist yet. */
    static void createIfMissing(JdbcSink.Settings s, String ddl) {
        try (Connection c = connect(s)) {
            if (read(c, s.table()) == null) {
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute(ddl.strip().replaceAll(";$", ""));
                }
            }
        } catch (SQLException e) {
            throw new IllegalArgumentException(
                    "sink '"
                            + s.id()
                            + "': cannot create table '"
                            + s.table()
                            + "' in "
                            + redacted(s.url())
                            + ": "
                            + e.getMessage()
                            + "\n"
                            + ddl,
                    e);
        }
    }

    static JdbcTable read(Connection c, String table) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        Map<String, Integer> cols = new LinkedHashMap<>();
        java.util.Set<String> zoned = new java.util.HashSet<>();
        for (String name :
                List.of(table, table.toLowerCase(Locale.ROOT), table.toUpperCase(Locale.ROOT))) {
            try (ResultSet rs = md.getColumns(c.getCatalog(), null, name, null)) {
                while (rs.next()) {
                    cols.put(
                            rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT),
                            rs.getInt("DATA_TYPE"));
                }
            }
            if (!cols.isEmpty()) {
                return new JdbcTable(table, cols, zoned);
            }
        }
        return null;
    }

    boolean isTimestamp(String column) {
        Integer t = columns.get(column);
        return t != null && (t == Types.TIMESTAMP || t == Types.TIMESTAMP_WITH_TIMEZONE);
    }

    boolean withZone(String column) {
        Integer t = columns.get(column);
        return zoned.contains(column) || (t != null && t == Types.TIMESTAMP_WITH_TIMEZONE);
    }

    static String redacted(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
