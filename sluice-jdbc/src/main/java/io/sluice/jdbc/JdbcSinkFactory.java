package io.sluice.jdbc;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.sink.SinkFactory;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.problem.Problems;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;

/**
 * {@code jdbc} sink: each record becomes a row of an existing table in MariaDB/MySQL or PostgreSQL;
 * the record's fields fill the columns of the same name. With {@code key}, a row replaces the one
 * with the same key (MariaDB/MySQL {@code INSERT ... ON DUPLICATE KEY UPDATE}, PostgreSQL {@code ON
 * CONFLICT ... DO UPDATE}), so replays after a restart are harmless; without, rows are inserted.
 * Rows are written in batches, each committed before a checkpoint completes; while the database
 * cannot be reached a batch is retried with backoff (the job slows down, nothing is dropped) for up
 * to {@code retry-for}. The table and its key columns are checked when the job starts.
 */
public final class JdbcSinkFactory implements SinkFactory, PluginCheck {
    static final OptionsSchema DELETE_WHEN =
            OptionsSchema.builder()
                    .required("field", OptionType.STRING, "the record field to look at")
                    .required(
                            "equals",
                            OptionType.listOf(OptionType.STRING),
                            "values of it that mean: delete")
                    .build();

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "url",
                            OptionType.STRING,
                            "jdbc:mariadb://host:3306/db, jdbc:mysql://... or jdbc:postgresql://...")
                    .required("table", OptionType.STRING, "the table rows go to; it must exist")
                    .optional(
                            "key",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "the table's primary (or unique) key: rows with the same key replace"
                                    + " each other; none: plain inserts")
                    .optional(
                            "user",
                            OptionType.STRING,
                            null,
                            "database user (default: from the URL, or SLUICE_JDBC_USER)")
                    .optional(
                            "password",
                            OptionType.STRING,
                            null,
                            "database password, e.g. ${env:DB_PASSWORD} (default: from the URL, or"
                                    + " SLUICE_JDBC_PASSWORD)")
                    .optional(
                            "delete-when",
                            OptionType.object(DELETE_WHEN),
                            null,
                            "records that delete their key's row instead of writing it")
                    .optional(
                            "soft-delete-column",
                            OptionType.STRING,
                            null,
                            "with delete-when: set this boolean column true instead of deleting")
                    .optional(
                            "create-table",
                            OptionType.BOOLEAN,
                            false,
                            "create the table when the job starts and it is missing, with a column"
                                    + " per field of the records reaching the sink (what sluice"
                                    + " render ddl prints)")
                    .optional("batch-size", OptionType.INT, 500L, "rows per batch")
                    .optional(
                            "max-delay",
                            OptionType.DURATION,
                            Duration.ofMillis(200),
                            "a row waits at most this long for its batch")
                    .optional(
                            "retry-for",
                            OptionType.DURATION,
                            Duration.ofMinutes(10),
                            "how long a batch is retried while the database cannot be reached")
                    .build();

    @Override
    public String identifier() {
        return "jdbc";
    }

    @Override
    public String description() {
        return "Writes (or upserts by key) rows into a MariaDB/MySQL or PostgreSQL table.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public List<String> keyFields(SinkSpec spec) {
        return spec.options().list("key");
    }

    /** With a key, one row's upserts and deletes go through one writer, in order. */
    @Override
    public boolean partitionedByKey(SinkSpec spec) {
        return !spec.options().list("key").isEmpty();
    }

    @Override
    public void check(Options o, Problems problems) {
        String url = o.string("url");
        if (url != null && JdbcDialect.of(url) == null) {
            problems.add(
                    o.pos("url"),
                    o.path("url"),
                    "expected jdbc:mariadb:, jdbc:mysql: or jdbc:postgresql:, found '" + url + "'");
        }
        if (o.object("delete-when") != null && o.list("key").isEmpty()) {
            problems.add(
                    o.pos("delete-when"),
                    o.path("delete-when"),
                    "deletes find their row by key: name the table's key with 'key'");
        }
        if (o.string("soft-delete-column") != null && o.object("delete-when") == null) {
            problems.add(
                    o.pos("soft-delete-column"),
                    o.path("soft-delete-column"),
                    "say which records delete with 'delete-when'");
        }
        long batch = o.longValue("batch-size");
        if (batch < 1 || batch > 100_000) {
            problems.add(o.pos("batch-size"), o.path("batch-size"), "must be 1 to 100000");
        }
    }

    @Override
    public Sink<SinkRecord> create(SinkSpec spec, Spec job, RunContext run) {
        Options o = spec.options();
        String user = o.string("user");
        String password = o.string("password");
        if (user == null) {
            user = System.getenv("SLUICE_JDBC_USER");
        }
        if (password == null) {
            password = System.getenv("SLUICE_JDBC_PASSWORD");
        }
        JdbcSink.Settings s =
                new JdbcSink.Settings(
                        spec.id(),
                        o.string("url"),
                        user,
                        password,
                        o.string("table"),
                        o.list("key"),
                        o.object("delete-when") == null
                                ? null
                                : o.object("delete-when").string("field"),
                        o.object("delete-when") == null
                                ? List.of()
                                : o.object("delete-when").list("equals"),
                        o.string("soft-delete-column"),
                        (int) o.longValue("batch-size"),
                        o.duration("max-delay").toMillis(),
                        o.duration("retry-for").toMillis());
        if (o.bool("create-table")) {
            JdbcTable.createIfMissing(s, JdbcDdl.render(job, spec, run));
        }
        // a missing table or key column stops the job before it starts, naming what is wrong;
        // so does a field of the records reaching the sink that no column would take
        JdbcTable table = JdbcTable.describe(s);
        List<String> missing = JdbcDdl.missingColumns(job, spec, run, table);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "sink '"
                            + spec.id()
                            + "': table '"
                            + s.table()
                            + "' has no column for "
                            + String.join(", ", missing)
                            + ": add the columns (./sluice render ddl prints the table the records"
                            + " describe) or leave the fields out of what writes them");
        }
        return new JdbcSink(s);
    }
}
