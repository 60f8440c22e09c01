package io.sluice.jdbc;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One dimension table of an {@code enrich} step, as declared: where it lives (a JDBC table in the
 * business database), its key column, the columns it adds to events (as typed fields), which event
 * value finds its row ({@code on}), how it is kept ({@code broadcast}: the whole table on every
 * task, changed rows polled; {@code lookup}: per key, cached) and what a missing row does.
 */
record Dimension(
        String id,
        String url,
        String user,
        String password,
        String table,
        String keyColumn,
        String on,
        List<Field> fields,
        List<String> columns,
        Mode mode,
        String updatedColumn,
        long pollMs,
        long cacheSize,
        long cacheTtlMs,
        Missing missing,
        long waitMs,
        long retryForMs)
        implements Serializable {

    enum Mode {
        BROADCAST,
        LOOKUP
    }

    enum Missing {
        WAIT,
        NULL,
        DEAD_LETTER;

        static Missing of(String id) {
            return valueOf(id.toUpperCase().replace('-', '_'));
        }
    }

    Connection connect() throws SQLException {
        return JdbcTable.connect(url, user, password);
    }

    private String select() {
        JdbcDialect d = JdbcDialect.of(url);
        StringBuilder sql = new StringBuilder("SELECT ").append(d.quote(keyColumn));
        for (String c : columns) {
            sql.append(", ").append(d.quote(c));
        }
        if (updatedColumn != null) {
            sql.append(", ").append(d.quote(updatedColumn));
        }
        return sql.append(" FROM ").append(d.quote(table)).toString();
    }

    /** The whole table: key → values (in {@link #fields} order). */
    Map<String, Object[]> loadAll(Connection c) throws SQLException {
        Map<String, Object[]> rows = new HashMap<>();
        try (PreparedStatement st = c.prepareStatement(select());
                ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getString(1), values(rs));
            }
        }
        return rows;
    }

    /** A changed row: its key, values and the value of the updated column. */
    record Changed(String key, Object[] values, Timestamp updated) {}

    /** Rows whose updated column is at or after {@code since}. */
    List<Changed> changedSince(Connection c, Timestamp since) throws SQLException {
        String sql =
                select()
                        + " WHERE "
                        + JdbcDialect.of(url).quote(updatedColumn)
                        + " >= ? ORDER BY "
                        + JdbcDialect.of(url).quote(updatedColumn);
        List<Changed> out = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setTimestamp(1, since);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(
                            new Changed(
                                    rs.getString(1),
                                    values(rs),
                                    rs.getTimestamp(columns.size() + 2)));
                }
            }
        }
        return out;
    }

    /** The newest value of the updated column, or null for an empty table. */
    Timestamp newest(Connection c) throws SQLException {
        String sql =
                "SELECT MAX("
                        + JdbcDialect.of(url).quote(updatedColumn)
                        + ") FROM "
                        + JdbcDialect.of(url).quote(table);
        try (PreparedStatement st = c.prepareStatement(sql);
                ResultSet rs = st.executeQuery()) {
            return rs.next() ? rs.getTimestamp(1) : null;
        }
    }

    /** Statement looking up one key (prepare once per connection). */
    PreparedStatement prepareLookup(Connection c) throws SQLException {
        return c.prepareStatement(
                select() + " WHERE " + JdbcDialect.of(url).quote(keyColumn) + " = ?");
    }

    /** The row of {@code key}, or null when the table has none. */
    Object[] lookup(PreparedStatement st, String key) throws SQLException {
        st.setString(1, key);
        try (ResultSet rs = st.executeQuery()) {
            return rs.next() ? values(rs) : null;
        }
    }

    private Object[] values(ResultSet rs) throws SQLException {
        Object[] v = new Object[fields.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = read(rs, i + 2, fields.get(i).type());
        }
        return v;
    }

    static Object read(ResultSet rs, int col, FieldType type) throws SQLException {
        Object v =
                switch (type) {
                    case STRING, JSON -> rs.getString(col);
                    case LONG -> rs.getLong(col);
                    case DOUBLE -> rs.getDouble(col);
                    case BOOLEAN -> rs.getBoolean(col);
                    case TIMESTAMP -> {
                        Timestamp t = rs.getTimestamp(col);
                        yield t == null ? null : t.getTime();
                    }
                };
        return rs.wasNull() ? null : v;
    }

    /** How messages name it. */
    String describe() {
        return "dimension '"
                + id
                + "' ("
                + table
                + "."
                + keyColumn
                + " = "
                + on
                + ", "
                + fields.stream().map(Field::name).collect(Collectors.joining(", "))
                + ")";
    }
}
