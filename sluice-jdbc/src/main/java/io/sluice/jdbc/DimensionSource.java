package io.sluice.jdbc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changes of an enrich step's {@code broadcast} dimensions: one reader polls each table every
 * {@code poll-interval} and emits what changed as one message per table and poll (see {@link
 * DimensionUpdates}), which is broadcast to every task of the step. With an {@code updated-column}
 * only rows whose value is at or after the newest seen, less an overlap for transactions that
 * commit late, are read, and a row is sent again only when its values changed; without one the
 * whole table is read and sent when it differs from the last poll. A database that cannot be
 * reached is logged and polled again; the tasks keep the table they have. Nothing is checkpointed:
 * after a restart the tasks load the whole table again.
 */
final class DimensionSource
        implements Source<String, DimensionSource.Split, DimensionSource.Pending> {
    private static final Logger LOG = LoggerFactory.getLogger(DimensionSource.class);

    /** Rows committed this long after their updated-column value are still picked up. */
    static final long OVERLAP_MS = 10_000;

    private final List<Dimension> dims;
    private final int[] indexes;
    private final boolean bounded;

    /**
     * @param dims the step's dimensions; {@code indexes} the broadcast ones among them
     * @param bounded whether the events end by themselves: then no changes are polled (the tasks
     *     work with the tables as they loaded them) and this stream ends at once, so the job can
     */
    DimensionSource(List<Dimension> dims, int[] indexes, boolean bounded) {
        this.dims = dims;
        this.indexes = indexes;
        this.bounded = bounded;
    }

    @Override
    public Boundedness getBoundedness() {
        return bounded ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<Split, Pending> createEnumerator(SplitEnumeratorContext<Split> ctx) {
        return new Enumerator(ctx, !bounded);
    }

    @Override
    public SplitEnumerator<Split, Pending> restoreEnumerator(
            SplitEnumeratorContext<Split> ctx, Pending checkpoint) {
        return new Enumerator(ctx, checkpoint.unassigned() && !bounded);
    }

    @Override
    public SimpleVersionedSerializer<Split> getSplitSerializer() {
        return new Serializer<>(new Split());
    }

    @Override
    public SimpleVersionedSerializer<Pending> getEnumeratorCheckpointSerializer() {
        return new SimpleVersionedSerializer<>() {
            @Override
            public int getVersion() {
                return 1;
            }

            @Override
            public byte[] serialize(Pending p) {
                return new byte[] {(byte) (p.unassigned() ? 1 : 0)};
            }

            @Override
            public Pending deserialize(int version, byte[] bytes) {
                return new Pending(bytes.length > 0 && bytes[0] == 1);
            }
        };
    }

    @Override
    public SourceReader<String, Split> createReader(SourceReaderContext ctx) {
        return new Reader(dims, indexes);
    }

    /** The one split: the dimension tables. */
    static final class Split implements SourceSplit {
        @Override
        public String splitId() {
            return "dimensions";
        }
    }

    /** The enumerator's checkpoint: whether no reader holds the split yet. */
    record Pending(boolean unassigned) {}

    private static final class Enumerator implements SplitEnumerator<Split, Pending> {
        private final SplitEnumeratorContext<Split> ctx;
        private boolean unassigned;

        Enumerator(SplitEnumeratorContext<Split> ctx, boolean unassigned) {
            this.ctx = ctx;
            this.unassigned = unassigned;
        }

        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {}

        @Override
        public void addSplitsBack(List<Split> splits, int subtaskId) {
            unassigned |= !splits.isEmpty();
        }

        @Override
        public void addReader(int subtaskId) {
            if (unassigned) {
                ctx.assignSplit(new Split(), subtaskId);
                unassigned = false;
            }
            ctx.signalNoMoreSplits(subtaskId);
        }

        @Override
        public Pending snapshotState(long checkpointId) {
            return new Pending(unassigned);
        }

        @Override
        public void close() {}
    }

    static boolean sameRows(Map<String, Object[]> a, Map<String, Object[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (Map.Entry<String, Object[]> e : a.entrySet()) {
            if (!Arrays.deepEquals(e.getValue(), b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static final class Reader implements SourceReader<String, Split> {
        private final List<Dimension> dims;
        private final int[] indexes;
        private final ObjectMapper json = new ObjectMapper();
        private final ArrayDeque<String> queue = new ArrayDeque<>();
        private final Map<Integer, Timestamp> newest = new HashMap<>();
        private final Map<Integer, Map<String, Object[]>> sent = new HashMap<>();
        private final Map<Integer, Map<String, Object[]>> lastWhole = new HashMap<>();
        private final Map<Integer, Long> nextPoll = new HashMap<>();
        private final Map<Integer, Boolean> failing = new HashMap<>();
        private boolean hasSplit;
        private boolean noMoreSplits;
        private CompletableFuture<Void> splitArrived = new CompletableFuture<>();

        Reader(List<Dimension> dims, int[] indexes) {
            this.dims = dims;
            this.indexes = indexes;
        }

        @Override
        public void start() {}

        @Override
        public InputStatus pollNext(ReaderOutput<String> output) {
            if (!queue.isEmpty()) {
                output.collect(queue.poll());
                return InputStatus.MORE_AVAILABLE;
            }
            if (!hasSplit) {
                // bounded: no split comes, and the reader ends once told so (ending before
                // would lose the enumerator's message to a finished task)
                return noMoreSplits ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
            }
            long now = System.currentTimeMillis();
            for (int i : indexes) {
                if (now >= nextPoll.getOrDefault(i, 0L)) {
                    nextPoll.put(i, now + dims.get(i).pollMs());
                    poll(i);
                }
            }
            return queue.isEmpty() ? InputStatus.NOTHING_AVAILABLE : InputStatus.MORE_AVAILABLE;
        }

        private void poll(int i) {
            Dimension d = dims.get(i);
            try (Connection c = d.connect()) {
                String update =
                        d.updatedColumn() == null ? pollWhole(i, d, c) : pollChanged(i, d, c);
                if (update != null) {
                    queue.add(update);
                }
                if (failing.remove(i) != null) {
                    LOG.info("{}: the database answers again", d.describe());
                }
            } catch (SQLException | IOException e) {
                if (failing.put(i, true) == null) {
                    LOG.warn(
                            "{}: cannot poll {} ({}); tasks keep the rows they have and the"
                                    + " table is polled again every {} ms",
                            d.describe(),
                            JdbcTable.redacted(d.url()),
                            e.toString(),
                            d.pollMs());
                }
            }
        }

        private String pollWhole(int i, Dimension d, Connection c)
                throws SQLException, IOException {
            Map<String, Object[]> rows = d.loadAll(c);
            Map<String, Object[]> before = lastWhole.put(i, rows);
            if (before != null && sameRows(before, rows)) {
                return null;
            }
            ArrayNode out = json.createArrayNode();
            for (Map.Entry<String, Object[]> e : rows.entrySet()) {
                out.add(DimensionUpdates.row(json, e.getKey(), e.getValue()));
            }
            return DimensionUpdates.encode(json, i, true, out);
        }

        private String pollChanged(int i, Dimension d, Connection c)
                throws SQLException, IOException {
            Timestamp since = newest.get(i);
            List<Dimension.Changed> changed =
                    d.changedSince(
                            c, new Timestamp(since == null ? 0 : since.getTime() - OVERLAP_MS));
            Map<String, Object[]> seen = sent.computeIfAbsent(i, k -> new HashMap<>());
            ArrayNode out = json.createArrayNode();
            for (Dimension.Changed r : changed) {
                if (r.updated() != null && (since == null || r.updated().after(since))) {
                    since = r.updated();
                }
                // sent again when its values changed, even within the updated column's precision
                if (Arrays.deepEquals(r.values(), seen.get(r.key()))) {
                    continue;
                }
                seen.put(r.key(), r.values());
                out.add(DimensionUpdates.row(json, r.key(), r.values()));
            }
            newest.put(i, since == null ? new Timestamp(0) : since);
            // merged into what the tasks have (they loaded the whole table when they opened)
            return out.isEmpty() ? null : DimensionUpdates.encode(json, i, false, out);
        }

        @Override
        public List<Split> snapshotState(long checkpointId) {
            return hasSplit ? List.of(new Split()) : List.of();
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            if (!queue.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            if (!hasSplit) {
                return noMoreSplits ? CompletableFuture.completedFuture(null) : splitArrived;
            }
            long next = Long.MAX_VALUE;
            for (int i : indexes) {
                next = Math.min(next, nextPoll.getOrDefault(i, 0L));
            }
            long wait = Math.max(1, next - System.currentTimeMillis());
            return CompletableFuture.runAsync(
                    () -> {}, CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS));
        }

        @Override
        public void addSplits(List<Split> splits) {
            hasSplit = true;
            splitArrived.complete(null);
        }

        @Override
        public void notifyNoMoreSplits() {
            noMoreSplits = true;
            splitArrived.complete(null);
        }

        @Override
        public void close() {}
    }

    /** A serializer of a stateless value: always the same instance. */
    private record Serializer<T>(T instance) implements SimpleVersionedSerializer<T> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(T t) {
            return new byte[0];
        }

        @Override
        public T deserialize(int version, byte[] bytes) {
            return instance;
        }
    }
}
