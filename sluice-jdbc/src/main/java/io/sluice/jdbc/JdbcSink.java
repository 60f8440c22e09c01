package io.sluice.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.sink.BatchingWriter;
import io.sluice.runtime.sink.RejectingSink;
import io.sluice.runtime.sink.SinkRecord;
import java.io.IOException;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records as rows in batches (see {@link JdbcSinkFactory}). The columns written are the
 * record's fields that the table has, fixed by the first record; timestamps (ISO-8601 text in the
 * records) go to {@code TIMESTAMP}/{@code DATETIME} columns as UTC. A batch is committed whole when
 * it is full, {@code max-delay} after its first row, and before every checkpoint completes.
 */
public final class JdbcSink implements RejectingSink {
    private static final long serialVersionUID = 1L;

    record Settings(
            String id,
            String url,
            String user,
            String password,
            String table,
            List<String> key,
            String deleteField,
            List<String> deleteValues,
            String softDeleteColumn,
            int batchSize,
            long maxDelayMillis,
            long retryForMillis)
            implements Serializable {}

    private final Settings settings;

    JdbcSink(Settings settings) {
        this.settings = settings;
    }

    @Override
    public SinkWriter<SinkRecord> createWriter(WriterInitContext context) {
        return new Writer(settings, context.getProcessingTimeService());
    }

    @Override
    public BatchingWriter<?> writer(ProcessingTimeService time) {
        return new Writer(settings, time);
    }

    /** One record to write: its fields, and the record as it came, for dead letters. */
    record Op(JsonNode row, byte[] raw, long configVersion) {}

    /** A record that cannot become a row (a key field missing, a value no column takes). */
    static final class RowProblem extends SQLException {
        private static final long serialVersionUID = 1L;

        RowProblem(String message, String field) {
            super(message);
            this.field = field;
        }

        final String field;
    }

    static final class Writer extends BatchingWriter<Op> {
        private static final Logger LOG = LoggerFactory.getLogger(JdbcSink.class);
        private final Settings s;
        private final JdbcDialect dialect;
        private final ObjectMapper json = new ObjectMapper();
        private JdbcTable table;
        private Connection connection;

        /** Prepared statements by the columns a record writes ("" for deletes), per connection. */
        private final java.util.Map<List<String>, PreparedStatement> statements =
                new java.util.HashMap<>();

        private final java.util.Set<String> warned = new java.util.HashSet<>();

        Writer(Settings s, ProcessingTimeService time) {
            super(s.id(), time, s.batchSize(), s.maxDelayMillis(), s.retryForMillis());
            this.s = s;
            this.dialect = JdbcDialect.of(s.url());
        }

        @Override
        protected Op operation(SinkRecord record) throws IOException {
            return new Op(json.readTree(record.value), record.value, record.configVersion);
        }

        @Override
        protected String target() {
            return JdbcTable.redacted(s.url());
        }

        @Override
        public void close() {
            disconnect();
        }

        /**
         * One batch in one transaction; why it must be written again, or null. When the database
         * refuses a row of it for good (see {@link #rowLevel}) and refused rows have somewhere to
         * go, the batch is written again row by row, each refused row reported with its SQL state.
         */
        @Override
        protected String writeOnce(List<Op> batch) throws IOException {
            try {
                write(batch);
                return null;
            } catch (SQLException e) {
                disconnect();
                if (transient_(e)) {
                    return e.getMessage();
                }
                if (rejects() != null && rowLevel(e)) {
                    return writeRowByRow(batch);
                }
                throw refused(batch.size(), e);
            }
        }

        private IOException refused(int rows, SQLException e) {
            if (e instanceof RowProblem) {
                return new IOException(
                        "sink '"
                                + s.id()
                                + "': a record cannot become a row of table '"
                                + s.table()
                                + "': "
                                + e.getMessage(),
                        e);
            }
            return new IOException(
                    "sink '"
                            + s.id()
                            + "': the database refused a batch of "
                            + rows
                            + " rows for table '"
                            + s.table()
                            + "' (SQL state "
                            + e.getSQLState()
                            + "): "
                            + e.getMessage(),
                    e);
        }

        /**
         * Each row in its own transaction; a row the database refuses goes to {@link #rejects()}.
         * Rows done (written or refused) leave {@code batch}, so when the connection is lost on the
         * way the retry starts where this stopped and no refusal is reported twice.
         */
        private String writeRowByRow(List<Op> batch) throws IOException {
            int done = 0;
            try {
                connect();
                for (Op op : batch) {
                    try {
                        bound(op.row()).executeUpdate();
                        connection.commit();
                    } catch (SQLException e) {
                        if (transient_(e) || !rowLevel(e)) {
                            throw e;
                        }
                        connection.rollback();
                        rejects()
                                .reject(
                                        op.raw(),
                                        "table '"
                                                + s.table()
                                                + "' refused the row"
                                                + (e instanceof RowProblem
                                                        ? ""
                                                        : " (SQL state "
                                                                + e.getSQLState()
                                                                + ", error "
                                                                + e.getErrorCode()
                                                                + ")")
                                                + ": "
                                                + e.getMessage(),
                                        faultyField(e),
                                        op.configVersion());
                    }
                    done++;
                }
                return null;
            } catch (SQLException e) {
                disconnect();
                batch.subList(0, done).clear();
                if (transient_(e)) {
                    return e.getMessage();
                }
                throw refused(batch.size(), e);
            }
        }

        private static final java.util.regex.Pattern COLUMN =
                java.util.regex.Pattern.compile("column [`'\"]([^`'\"]+)[`'\"]");

        /** The column a refusal names (MariaDB, MySQL and PostgreSQL messages do so), or null. */
        static String faultyField(SQLException e) {
            if (e instanceof RowProblem p) {
                return p.field;
            }
            java.util.regex.Matcher m = COLUMN.matcher(String.valueOf(e.getMessage()));
            return m.find() ? m.group(1) : null;
        }

        /**
         * Whether the database refused a row for what it holds, not for the table or the
         * connection: SQL state class 22 (data: too long, out of range, bad value) or 23
         * (constraint), MariaDB/MySQL errors with a general state that are about one value (1366
         * incorrect value, 1292 truncated value), and records that cannot become a row.
         */
        static boolean rowLevel(SQLException e) {
            int depth = 0;
            for (Throwable t = e; t != null && depth < 16; t = t.getCause(), depth++) {
                if (t instanceof RowProblem) {
                    return true;
                }
                if (t instanceof SQLException sql) {
                    String state = sql.getSQLState();
                    if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                        return true;
                    }
                    if (sql.getErrorCode() == 1366 || sql.getErrorCode() == 1292) {
                        return true;
                    }
                    SQLException next = sql.getNextException();
                    if (next != null && next != t && rowLevel(next)) {
                        return true;
                    }
                }
            }
            return false;
        }

        /**
         * Lost connections, timeouts, a server restarting: worth another try (on a new connection).
         * The driver may wrap them (a batch's failure holds the connection's as its cause or next
         * exception), so the whole chain is looked at.
         */
        static boolean transient_(SQLException e) {
            java.util.Set<Throwable> seen =
                    java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
            todo.add(e);
            while (!todo.isEmpty()) {
                Throwable t = todo.poll();
                if (!seen.add(t)) {
                    continue;
                }
                if (t instanceof SQLTransientException
                        || t instanceof SQLRecoverableException
                        || t instanceof java.sql.SQLNonTransientConnectionException
                        || t instanceof java.io.IOException) {
                    return true;
                }
                if (t instanceof SQLException sql) {
                    String state = sql.getSQLState();
                    if (state != null
                            && (state.startsWith("08") // connection
                                    || state.startsWith("40") // deadlock, serialization
                                    || state.equals("57P01") // PostgreSQL shutting down
                                    || state.equals("57P03"))) { // PostgreSQL starting up
                        return true;
                    }
                    if (sql.getNextException() != null) {
                        todo.add(sql.getNextException());
                    }
                }
                if (t.getCause() != null) {
                    todo.add(t.getCause());
                }
            }
            return false;
        }

        /**
         * Writes the batch in one transaction, in order: consecutive records writing the same
         * columns (or deleting) share one JDBC batch, so one key's upserts and deletes never
         * reorder.
         */
        private void write(List<Op> buffer) throws SQLException {
            connect();
            PreparedStatement open = null;
            for (Op op : buffer) {
                PreparedStatement st = bound(op.row());
                if (open != null && open != st) {
                    open.executeBatch();
                }
                open = st;
                st.addBatch();
            }
            if (open != null) {
                open.executeBatch();
            }
            connection.commit();
        }

        private void connect() throws SQLException {
            if (connection == null) {
                connection = JdbcTable.connect(s);
                connection.setAutoCommit(false);
                if (table == null) {
                    table = JdbcTable.read(connection, s.table());
                    if (table == null) {
                        throw new SQLException("table '" + s.table() + "' does not exist", "42S02");
                    }
                }
                statements.clear();
            }
        }

        /**
         * The statement writing (or deleting) this row, prepared once per column set, with the
         * row's values bound.
         */
        private PreparedStatement bound(JsonNode row) throws SQLException {
            boolean delete = isDelete(row);
            List<String> columns = delete ? s.key() : columns(row);
            List<String> statementKey = delete ? List.of() : columns;
            PreparedStatement st = statements.get(statementKey);
            if (st == null) {
                st =
                        connection.prepareStatement(
                                delete
                                        ? dialect.delete(s.table(), s.key(), s.softDeleteColumn())
                                        : dialect.insert(s.table(), columns, s.key()));
                statements.put(statementKey, st);
            }
            for (int i = 0; i < columns.size(); i++) {
                String c = columns.get(i);
                try {
                    bind(st, i + 1, c, row.get(c));
                } catch (RuntimeException e) {
                    throw new RowProblem(
                            "field '"
                                    + c
                                    + "' = "
                                    + row.get(c)
                                    + " does not fit column '"
                                    + c
                                    + "': "
                                    + e.getMessage(),
                            c);
                }
            }
            return st;
        }

        private boolean isDelete(JsonNode row) {
            if (s.deleteField() == null) {
                return false;
            }
            JsonNode v = row.get(s.deleteField());
            return v != null && !v.isNull() && s.deleteValues().contains(v.asText());
        }

        /** The record's fields that the table has; every key field must be among them. */
        private List<String> columns(JsonNode row) throws SQLException {
            List<String> out = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (Iterator<String> it = row.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (table.columns().containsKey(f.toLowerCase(Locale.ROOT))) {
                    out.add(f);
                } else {
                    skipped.add(f);
                }
            }
            for (String k : s.key()) {
                if (!out.contains(k)) {
                    throw new RowProblem(
                            "key column '"
                                    + k
                                    + "' is not a field of the record (it has: "
                                    + String.join(", ", out)
                                    + (skipped.isEmpty() ? "" : ", " + String.join(", ", skipped))
                                    + ")",
                            k);
                }
            }
            if (!skipped.isEmpty() && warned.add(String.join(",", skipped))) {
                LOG.info(
                        "sink '{}': table '{}' has no column for fields {}; they are not written",
                        s.id(),
                        s.table(),
                        skipped);
            }
            return out;
        }

        private void bind(PreparedStatement statement, int index, String column, JsonNode v)
                throws SQLException {
            String col = column.toLowerCase(Locale.ROOT);
            if (v == null || v.isNull()) {
                statement.setNull(index, table.columns().get(col));
            } else if (table.isTimestamp(col) && v.isTextual()) {
                Instant at = Instant.parse(v.asText());
                statement.setObject(
                        index,
                        table.withZone(col)
                                ? OffsetDateTime.ofInstant(at, ZoneOffset.UTC)
                                : LocalDateTime.ofInstant(at, ZoneOffset.UTC));
            } else if (v.isIntegralNumber()) {
                statement.setLong(index, v.asLong());
            } else if (v.isNumber()) {
                statement.setDouble(index, v.asDouble());
            } else if (v.isBoolean()) {
                statement.setBoolean(index, v.asBoolean());
            } else if (v.isContainerNode()) {
                statement.setString(index, v.toString());
            } else {
                statement.setString(index, v.asText());
            }
        }

        private void disconnect() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // already broken
                }
                connection = null;
                statements.clear();
            }
        }
    }
}
