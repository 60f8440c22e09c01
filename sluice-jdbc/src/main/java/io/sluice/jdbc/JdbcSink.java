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

        /** Multi-row upsert statements by the columns they write, per connection. */
        private final java.util.Map<List<String>, PreparedStatement> multiRowStatements =
                new java.util.HashMap<>();

        private final java.util.Set<String> warned = new java.util.HashSet<>();

        /** Rows refused so far, by SQL state, for the log. */
        private final java.util.Map<String, Long> refusals = new java.util.HashMap<>();

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
                throw refused("a batch of " + batch.size() + " rows", e);
            }
        }

        private IOException refused(String what, SQLException e) {
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
                            + "': the database refused "
                            + what
                            + " for table '"
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
                        String reason = e instanceof RowProblem ? "-" : e.getSQLState();
                        long n = refusals.merge(reason, 1L, Long::sum);
                        if (n == 1 || n % 1000 == 0) {
                            LOG.warn(
                                    "sink '{}': table '{}' refused {} row(s) so far with SQL state"
                                            + " {} (sent to dead letters), the last: {}",
                                    s.id(),
                                    s.table(),
                                    n,
                                    reason,
                                    e.getMessage());
                        }
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
                throw refused("a row", e);
            }
        }

        /** "column 'x'", "Column 'x'", "column \"x\"", "column `db`.`table`.`x`": the last name. */
        private static final java.util.regex.Pattern COLUMN =
                java.util.regex.Pattern.compile(
                        "(?i)column\\s+(?:[`'\"][^`'\"]*[`'\"]\\.)*[`'\"]([^`'\"]+)[`'\"]");

        /** The column a refusal names (MariaDB, MySQL and PostgreSQL messages do so), or null. */
        static String faultyField(SQLException e) {
            if (e instanceof RowProblem p) {
                return p.field;
            }
            java.util.regex.Matcher m = COLUMN.matcher(String.valueOf(e.getMessage()));
            return m.find() ? m.group(1) : null;
        }

        /**
         * MariaDB/MySQL errors about one row's values that come with the general state HY000: 1364
         * no value for a NOT NULL column without default, 1366 incorrect value, 1292 truncated
         * value, 3819 CHECK constraint violated (MySQL).
         */
        static final java.util.Set<Integer> ROW_ERRORS = java.util.Set.of(1364, 1366, 1292, 3819);

        /**
         * Whether the database refused a row for what it holds, not for the table or the
         * connection: SQL state class 22 (data: too long, out of range, bad value) or 23
         * (constraint: check, not null, unique, foreign key), {@link #ROW_ERRORS}, and records that
         * cannot become a row.
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
                    if (ROW_ERRORS.contains(sql.getErrorCode())) {
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
            List<Op> ops = new ArrayList<>(buffer);
            int n = ops.size();
            List<List<String>> shapes = new ArrayList<>(n); // columns written; null: a delete
            for (Op op : ops) {
                shapes.add(isDelete(op.row()) ? null : columns(op.row()));
            }
            int[] ranks = order(ops, shapes);
            PreparedStatement open = null;
            int i = 0;
            while (i < n) {
                List<String> columns = shapes.get(i);
                int end = i + 1;
                if (columns != null) {
                    // upserts of the same columns and different keys: ROWS_PER_STATEMENT of them
                    // go in one multi-row statement, which the database runs far faster than as
                    // many single-row statements
                    // (one rank: no key twice, which PostgreSQL refuses in one statement)
                    int rows = rowsPerStatement(columns);
                    while (end < n
                            && end - i < rows
                            && columns.equals(shapes.get(end))
                            && ranks[end] == ranks[i]) {
                        end++;
                    }
                    if (end - i == rows && rows > 1) {
                        if (open != null) {
                            open.executeBatch();
                            open = null;
                        }
                        PreparedStatement multi = multiRow(columns);
                        int at = 0;
                        for (int k = i; k < end; k++) {
                            at = bindRow(multi, at, columns, ops.get(k).row());
                        }
                        multi.executeUpdate();
                        i = end;
                        continue;
                    }
                }
                // the rest one statement per row, consecutive ones sharing a JDBC batch
                for (int k = i; k < end; k++) {
                    PreparedStatement st = bound(ops.get(k).row());
                    if (open != null && open != st) {
                        open.executeBatch();
                    }
                    open = st;
                    st.addBatch();
                }
                i = end;
            }
            if (open != null) {
                open.executeBatch();
            }
            connection.commit();
        }

        static final int ROWS_PER_STATEMENT = 100;

        /**
         * Rows per multi-row statement: 100, fewer for wide rows (PostgreSQL takes at most 32,767
         * parameters in a statement).
         */
        static int rowsPerStatement(List<String> columns) {
            return Math.max(1, Math.min(ROWS_PER_STATEMENT, 30_000 / columns.size()));
        }

        /** The statement upserting {@link #rowsPerStatement} rows of these columns. */
        private PreparedStatement multiRow(List<String> columns) throws SQLException {
            PreparedStatement st = multiRowStatements.get(columns);
            if (st == null) {
                st =
                        connection.prepareStatement(
                                dialect.insert(
                                        s.table(), columns, s.key(), rowsPerStatement(columns)));
                multiRowStatements.put(columns, st);
            }
            return st;
        }

        /**
         * The order to write a batch in: one key's records keep their order, and otherwise records
         * writing the same columns (or deleting) come together, by key — so that long runs of
         * upserts fit multi-row statements even when deletes are mixed in, and every writer takes
         * its row locks in the same order (near enough the index's: numbers by value, text
         * case-insensitively). Each record gets its rank within its key (0 for a key's first record
         * in the batch, 1 for its second, ...); records are ordered by rank, then by what they
         * write, then by key. Without a key (plain inserts) the order is kept.
         */
        int[] order(List<Op> ops, List<List<String>> shapes) {
            int n = ops.size();
            if (s.key().isEmpty() || n < 2) {
                return new int[n];
            }
            java.util.Comparator<Op> byKey = (a, b) -> compareKeys(a, b);
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            java.util.Arrays.sort(idx, (a, b) -> byKey.compare(ops.get(a), ops.get(b)));
            int[] rank = new int[n];
            for (int p = 1; p < n; p++) {
                if (compareKeys(ops.get(idx[p - 1]), ops.get(idx[p])) == 0) {
                    rank[idx[p]] = rank[idx[p - 1]] + 1;
                }
            }
            java.util.Map<List<String>, Integer> shapeIds = new java.util.HashMap<>();
            int[] shape = new int[n];
            for (int i = 0; i < n; i++) {
                List<String> sh = shapes.get(i);
                shape[i] = sh == null ? -1 : shapeIds.computeIfAbsent(sh, k -> shapeIds.size());
            }
            // idx is in key order; a stable sort by (rank, shape) keeps it within each group
            java.util.Arrays.sort(
                    idx,
                    (a, b) ->
                            rank[a] != rank[b]
                                    ? Integer.compare(rank[a], rank[b])
                                    : Integer.compare(shape[a], shape[b]));
            List<Op> o = new ArrayList<>(n);
            List<List<String>> sh = new ArrayList<>(n);
            for (int i : idx) {
                o.add(ops.get(i));
                sh.add(shapes.get(i));
            }
            ops.clear();
            ops.addAll(o);
            shapes.clear();
            shapes.addAll(sh);
            int[] ranks = new int[n];
            for (int p = 0; p < n; p++) {
                ranks[p] = rank[idx[p]];
            }
            return ranks;
        }

        private int compareKeys(Op a, Op b) {
            for (String k : s.key()) {
                int c = compareValues(a.row().get(k), b.row().get(k));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        }

        /**
         * A total order on key values: absent or null first, then numbers by value, then the rest
         * as text, case-insensitively (MariaDB/MySQL's usual collations; where the database tells
         * cases apart this only orders records that need no order).
         */
        static int compareValues(JsonNode a, JsonNode b) {
            int ka = kind(a);
            int kb = kind(b);
            if (ka != kb) {
                return Integer.compare(ka, kb);
            }
            return switch (ka) {
                case 0 -> 0;
                case 1 ->
                        a.isIntegralNumber()
                                        && b.isIntegralNumber()
                                        && a.canConvertToLong()
                                        && b.canConvertToLong()
                                ? Long.compare(a.asLong(), b.asLong())
                                : a.decimalValue().compareTo(b.decimalValue());
                default -> String.CASE_INSENSITIVE_ORDER.compare(a.asText(), b.asText());
            };
        }

        private static int kind(JsonNode v) {
            return v == null || v.isNull() ? 0 : v.isNumber() ? 1 : 2;
        }

        private void connect() throws SQLException {
            if (connection == null) {
                connection = JdbcTable.connect(s);
                connection.setAutoCommit(false);
                // Writes by key need no repeatable reads. MariaDB/MySQL's default (REPEATABLE READ)
                // makes a delete of an absent key lock the gap around it, and writers then wait on
                // each other's neighbouring keys until they commit.
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                if (table == null) {
                    table = JdbcTable.read(connection, s.table());
                    if (table == null) {
                        throw new SQLException("table '" + s.table() + "' does not exist", "42S02");
                    }
                }
                statements.clear();
                multiRowStatements.clear();
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
            bindRow(st, 0, columns, row);
            return st;
        }

        /** Binds the row's values from parameter {@code at + 1} on; returns the next offset. */
        private int bindRow(PreparedStatement st, int at, List<String> columns, JsonNode row)
                throws SQLException {
            for (int i = 0; i < columns.size(); i++) {
                String c = columns.get(i);
                try {
                    bind(st, at + i + 1, c, row.get(c));
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
            return at + columns.size();
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
                multiRowStatements.clear();
            }
        }
    }
}
