package io.sluice.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.sink.BatchingWriter;
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
import org.apache.flink.api.connector.sink2.Sink;
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
public final class JdbcSink implements Sink<SinkRecord> {
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

    static final class Writer extends BatchingWriter<JsonNode> {
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
        protected JsonNode operation(SinkRecord record) throws IOException {
            return json.readTree(record.value);
        }

        @Override
        protected String target() {
            return JdbcTable.redacted(s.url());
        }

        @Override
        public void close() {
            disconnect();
        }

        /** One batch in one transaction; why it must be written again, or null. */
        @Override
        protected String writeOnce(List<JsonNode> batch) throws IOException {
            try {
                write(batch);
                return null;
            } catch (SQLException e) {
                disconnect();
                if (transient_(e)) {
                    return e.getMessage();
                }
                throw new IOException(
                        "sink '"
                                + s.id()
                                + "': the database refused a batch of "
                                + batch.size()
                                + " rows for table '"
                                + s.table()
                                + "' (SQL state "
                                + e.getSQLState()
                                + "): "
                                + e.getMessage(),
                        e);
            }
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
        private void write(List<JsonNode> buffer) throws SQLException {
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
            PreparedStatement open = null;
            for (JsonNode row : buffer) {
                boolean delete = isDelete(row);
                List<String> columns = delete ? s.key() : columns(row);
                List<String> statementKey = delete ? List.of() : columns;
                PreparedStatement st = statements.get(statementKey);
                if (st == null) {
                    st =
                            connection.prepareStatement(
                                    delete
                                            ? dialect.delete(
                                                    s.table(), s.key(), s.softDeleteColumn())
                                            : dialect.insert(s.table(), columns, s.key()));
                    statements.put(statementKey, st);
                }
                if (open != null && open != st) {
                    open.executeBatch();
                }
                open = st;
                for (int i = 0; i < columns.size(); i++) {
                    bind(st, i + 1, columns.get(i), row.get(columns.get(i)));
                }
                st.addBatch();
            }
            if (open != null) {
                open.executeBatch();
            }
            connection.commit();
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
                    throw new SQLException(
                            "key column '"
                                    + k
                                    + "' is not a field of the record (it has: "
                                    + String.join(", ", out)
                                    + (skipped.isEmpty() ? "" : ", " + String.join(", ", skipped))
                                    + ")",
                            "42000");
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
