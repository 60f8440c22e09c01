package io.sluice.jdbc;

import java.util.List;
import java.util.stream.Collectors;

/** How a database spells an upsert. */
enum JdbcDialect {
    MYSQL,
    POSTGRESQL;

    static JdbcDialect of(String url) {
        if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
            return MYSQL;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        return null;
    }

    String quote(String name) {
        return this == MYSQL
                ? "`" + name.replace("`", "``") + "`"
                : "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** DELETE of the row with the key; or, with a soft-delete column, setting it true. */
    String delete(String table, List<String> key, String softDeleteColumn) {
        String where =
                key.stream().map(k -> quote(k) + " = ?").collect(Collectors.joining(" AND "));
        return softDeleteColumn == null
                ? "DELETE FROM " + table + " WHERE " + where
                : "UPDATE " + table + " SET " + quote(softDeleteColumn) + " = TRUE WHERE " + where;
    }

    /** INSERT of {@code columns}; with a key, replacing the row of the same key. */
    String insert(String table, List<String> columns, List<String> key) {
        return insert(table, columns, key, 1);
    }

    /**
     * INSERT of {@code rows} rows of {@code columns} in one statement; with a key, each replacing
     * the row of the same key. (Keys must differ between the rows: PostgreSQL refuses to update one
     * row twice in a statement.)
     */
    String insert(String table, List<String> columns, List<String> key, int rows) {
        String cols = columns.stream().map(this::quote).collect(Collectors.joining(", "));
        String marks = columns.stream().map(c -> "?").collect(Collectors.joining(", ", "(", ")"));
        StringBuilder sql =
                new StringBuilder("INSERT INTO ")
                        .append(table)
                        .append(" (")
                        .append(cols)
                        .append(") VALUES ")
                        .append(marks);
        for (int r = 1; r < rows; r++) {
            sql.append(", ").append(marks);
        }
        if (key.isEmpty()) {
            return sql.toString();
        }
        List<String> rest = columns.stream().filter(c -> !key.contains(c)).toList();
        if (this == MYSQL) {
            sql.append(" ON DUPLICATE KEY UPDATE ");
            if (rest.isEmpty()) {
                String k = quote(key.get(0));
                sql.append(k).append(" = ").append(k);
            } else {
                sql.append(
                        rest.stream()
                                .map(c -> quote(c) + " = VALUES(" + quote(c) + ")")
                                .collect(Collectors.joining(", ")));
            }
        } else {
            sql.append(" ON CONFLICT (")
                    .append(key.stream().map(this::quote).collect(Collectors.joining(", ")))
                    .append(") DO ");
            if (rest.isEmpty()) {
                sql.append("NOTHING");
            } else {
                sql.append("UPDATE SET ")
                        .append(
                                rest.stream()
                                        .map(c -> quote(c) + " = EXCLUDED." + quote(c))
                                        .collect(Collectors.joining(", ")));
            }
        }
        return sql.toString();
    }
}
