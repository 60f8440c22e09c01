package io.sluice.runtime.route;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
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

/**
 * The control stream: one reader watching the config store, emitting each new version as a {@link
 * ConfigUpdate} (a file store's hand edits are imported first). Its position, the last version
 * emitted, is checkpointed. With a bounded event input the control stream is bounded too: it
 * delivers the version current at start and ends, so the job can finish.
 */
public final class ControlSource
        implements Source<ConfigUpdate, ControlSource.Split, ControlSource.Pending> {
    private final StoreVersions store;
    private final Duration pollInterval;
    private final boolean bounded;

    public ControlSource(StoreVersions store, Duration pollInterval, boolean bounded) {
        this.store = store;
        this.pollInterval = pollInterval;
        this.bounded = bounded;
    }

    /**
     * Watermarks at the end of time: the control stream (or any other broadcast side stream) never
     * holds back the events' event time where the two streams meet.
     */
    public static <T> WatermarkStrategy<T> watermarks() {
        return WatermarkStrategy.forGenerator(
                ctx ->
                        new WatermarkGenerator<>() {
                            @Override
                            public void onEvent(T event, long timestamp, WatermarkOutput output) {
                                output.emitWatermark(new Watermark(Long.MAX_VALUE));
                            }

                            @Override
                            public void onPeriodicEmit(WatermarkOutput output) {
                                output.emitWatermark(new Watermark(Long.MAX_VALUE));
                            }
                        });
    }

    @Override
    public Boundedness getBoundedness() {
        return bounded ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<Split, Pending> createEnumerator(SplitEnumeratorContext<Split> ctx) {
        return new Enumerator(ctx, new Pending(new Split(0)));
    }

    @Override
    public SplitEnumerator<Split, Pending> restoreEnumerator(
            SplitEnumeratorContext<Split> ctx, Pending checkpoint) {
        return new Enumerator(ctx, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<Split> getSplitSerializer() {
        return new SplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<Pending> getEnumeratorCheckpointSerializer() {
        return new PendingSerializer();
    }

    @Override
    public SourceReader<ConfigUpdate, Split> createReader(SourceReaderContext ctx) {
        return new Reader(store, pollInterval.toMillis(), bounded);
    }

    /** The one split: the config store, read from after {@code version}. */
    public record Split(long version) implements SourceSplit {
        @Override
        public String splitId() {
            return "config-store";
        }
    }

    /** The enumerator's checkpoint: the split when no reader holds it (null otherwise). */
    public record Pending(Split split) {}

    private static final class Enumerator implements SplitEnumerator<Split, Pending> {
        private final SplitEnumeratorContext<Split> ctx;
        private Split pending;

        Enumerator(SplitEnumeratorContext<Split> ctx, Pending state) {
            this.ctx = ctx;
            this.pending = state.split();
        }

        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {}

        @Override
        public void addSplitsBack(List<Split> splits, int subtaskId) {
            if (!splits.isEmpty()) {
                pending = splits.get(0);
            }
        }

        @Override
        public void addReader(int subtaskId) {
            if (pending != null) {
                ctx.assignSplit(pending, subtaskId);
                pending = null;
            }
            ctx.signalNoMoreSplits(subtaskId);
        }

        @Override
        public Pending snapshotState(long checkpointId) {
            return new Pending(pending);
        }

        @Override
        public void close() {}
    }

    private static final class Reader implements SourceReader<ConfigUpdate, Split> {
        private final StoreVersions store;
        private final long pollMs;
        private final boolean bounded;
        private final ArrayDeque<ConfigUpdate> queue = new ArrayDeque<>();
        private Split split;
        private boolean noMoreSplits;
        private boolean done;
        private long nextPoll;
        private CompletableFuture<Void> splitArrived = new CompletableFuture<>();

        Reader(StoreVersions store, long pollMs, boolean bounded) {
            this.store = store;
            this.pollMs = pollMs;
            this.bounded = bounded;
        }

        @Override
        public void start() {}

        @Override
        public InputStatus pollNext(ReaderOutput<ConfigUpdate> output) {
            if (!queue.isEmpty()) {
                ConfigUpdate u = queue.poll();
                output.collect(u, u.committedAt);
                return InputStatus.MORE_AVAILABLE;
            }
            if (split == null) {
                return noMoreSplits ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
            }
            if (done) {
                return InputStatus.END_OF_INPUT;
            }
            long now = System.currentTimeMillis();
            if (now < nextPoll) {
                return InputStatus.NOTHING_AVAILABLE;
            }
            nextPoll = now + pollMs;
            poll();
            if (bounded) {
                done = true;
            }
            return queue.isEmpty()
                    ? (done ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE)
                    : InputStatus.MORE_AVAILABLE;
        }

        private void poll() {
            store.importEdits();
            if (store.latest() <= split.version()) {
                return;
            }
            // only the newest matters: tasks stamp rows with versions they have received
            Optional<ConfigUpdate> u = store.current();
            if (u.isPresent() && u.get().version > split.version()) {
                queue.add(u.get());
                split = new Split(u.get().version);
            }
        }

        @Override
        public List<Split> snapshotState(long checkpointId) {
            return split == null ? List.of() : List.of(split);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            if (!queue.isEmpty() || done) {
                return CompletableFuture.completedFuture(null);
            }
            if (split == null) {
                return noMoreSplits ? CompletableFuture.completedFuture(null) : splitArrived;
            }
            long wait = Math.max(1, nextPoll - System.currentTimeMillis());
            return CompletableFuture.runAsync(
                    () -> {}, CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS));
        }

        @Override
        public void addSplits(List<Split> splits) {
            split = splits.get(0);
            splitArrived.complete(null);
        }

        @Override
        public void notifyNoMoreSplits() {
            noMoreSplits = true;
            splitArrived.complete(null);
        }

        @Override
        public void close() {
            store.close();
        }
    }

    private static final class SplitSerializer implements SimpleVersionedSerializer<Split> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Split s) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            new DataOutputStream(b).writeLong(s.version());
            return b.toByteArray();
        }

        @Override
        public Split deserialize(int version, byte[] bytes) throws IOException {
            return new Split(new DataInputStream(new ByteArrayInputStream(bytes)).readLong());
        }
    }

    private static final class PendingSerializer implements SimpleVersionedSerializer<Pending> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Pending p) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeBoolean(p.split() != null);
            if (p.split() != null) {
                out.writeLong(p.split().version());
            }
            return b.toByteArray();
        }

        @Override
        public Pending deserialize(int version, byte[] bytes) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            return new Pending(in.readBoolean() ? new Split(in.readLong()) : null);
        }
    }
}
