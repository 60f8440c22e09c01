package io.sluice.jdbc;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.compose.SinkFields;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table a {@code jdbc} sink writes, as the records reaching it describe it: one column per
 * field (of the steps, routes at the store's current version and scenario outputs that name the
 * sink), {@code config_version}, the soft-delete column, and the key as primary key. {@code sluice
 * render ddl} prints it; {@code create-table: true} creates it when the job starts and it is
 * missing.
 */
public final class JdbcDdl {
    private JdbcDdl() {}

    /** The columns the records bring (name → field), {@code config_version} included. */
    static Map<String, Field> columns(Spec job, SinkSpec sink, RunContext run) {
        Map<String, Field> cols = new LinkedHashMap<>();
        for (String k : sink.options().<String>list("key")) {
            cols.put(k.toLowerCase(Locale.ROOT), null);
        }
        for (Map.Entry<String, Field> e :
                SinkFields.union(SinkFields.of(job, sink.id(), run)).entrySet()) {
            cols.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
        }
        return cols;
    }

    /** CREATE TABLE for the sink in the dialect of its URL. */
    public static String render(Spec job, SinkSpec sink, RunContext run) {
        JdbcDialect d = JdbcDialect.of(sink.options().string("url"));
        List<String> key = sink.options().list("key");
        String soft = sink.options().string("soft-delete-column");
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, Field> e : columns(job, sink, run).entrySet()) {
            String type = type(d, e.getValue());
            boolean isKey = key.stream().anyMatch(k -> k.equalsIgnoreCase(e.getKey()));
            lines.add("  " + d.quote(e.getKey()) + " " + type + (isKey ? " NOT NULL" : ""));
        }
        if (!lines.stream().anyMatch(l -> l.contains("config_version"))) {
            lines.add("  " + d.quote("config_version") + " BIGINT");
        }
        if (soft != null) {
            lines.add("  " + d.quote(soft) + " BOOLEAN NOT NULL DEFAULT FALSE");
        }
        if (!key.isEmpty()) {
            lines.add(
                    "  PRIMARY KEY ("
                            + String.join(", ", key.stream().map(d::quote).toList())
                            + ")");
        }
        return "CREATE TABLE "
                + d.quote(sink.options().string("table"))
                + " (\n"
                + String.join(",\n", lines)
                + "\n);\n";
    }

    private static String type(JdbcDialect d, Field f) {
        if (f == null) {
            return "VARCHAR(255)";
        }
        boolean my = d == JdbcDialect.MYSQL;
        return switch (f.type()) {
            case STRING -> "VARCHAR(255)";
            case LONG -> "BIGINT";
            case DOUBLE -> my ? "DOUBLE" : "DOUBLE PRECISION";
            case BOOLEAN -> "BOOLEAN";
            case TIMESTAMP -> my ? "DATETIME(3)" : "TIMESTAMP(3)";
            case JSON -> my ? "LONGTEXT" : "TEXT";
        };
    }

    /**
     * Fields of records reaching the sink that the table has no column for, each with what sends
     * it: they would not be written.
     */
    static List<String> missingColumns(Spec job, SinkSpec sink, RunContext run, JdbcTable table) {
        List<String> missing = new ArrayList<>();
        for (SinkFields.Producer p : SinkFields.of(job, sink.id(), run)) {
            for (Field f : p.schema().fields()) {
                String name = f.name().toLowerCase(Locale.ROOT);
                String entry = f.name() + " (" + p.what() + ")";
                if (!table.columns().containsKey(name)
                        && missing.stream().noneMatch(m -> m.startsWith(f.name() + " ("))) {
                    missing.add(entry);
                }
            }
        }
        return missing;
    }
}
