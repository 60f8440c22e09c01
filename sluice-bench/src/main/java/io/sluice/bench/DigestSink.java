package io.sluice.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A sink that discards records after adding a 64-bit hash of each to a per-sink sum. The sum does
 * not depend on record order or on how records are spread over subtasks, so equal sums mean (up to
 * hash collisions) the same multiset of JSON records. Used only in the verification runs, so the
 * measured runs pay nothing for it. The sums live in this JVM: the MiniCluster runs here.
 */
final class DigestSink implements Sink<byte[]> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, LongAdder> SUMS = new ConcurrentHashMap<>();

    /** Sinks whose records are also kept, to compare numbers with a tolerance. */
    static final java.util.Set<String> KEPT = java.util.Set.of("area-stats");

    private static final Map<String, java.util.Queue<byte[]>> RECORDS = new ConcurrentHashMap<>();

    private final String sinkId;

    DigestSink(String sinkId) {
        this.sinkId = sinkId;
    }

    /** Forgets all sums; call before a run. */
    static void reset() {
        SUMS.clear();
        RECORDS.clear();
    }

    /** The records of a sink in {@link #KEPT} since the last {@link #reset}, in any order. */
    static java.util.List<byte[]> records(String sinkId) {
        return new java.util.ArrayList<>(
                RECORDS.getOrDefault(sinkId, new java.util.concurrent.ConcurrentLinkedQueue<>()));
    }

    /** The sums per sink id since the last {@link #reset}. */
    static Map<String, Long> sums() {
        Map<String, Long> out = new TreeMap<>();
        SUMS.forEach((sink, sum) -> out.put(sink, sum.sum()));
        return out;
    }

    @Override
    public SinkWriter<byte[]> createWriter(WriterInitContext context) {
        LongAdder sum = SUMS.computeIfAbsent(sinkId, k -> new LongAdder());
        java.util.Queue<byte[]> kept =
                KEPT.contains(sinkId)
                        ? RECORDS.computeIfAbsent(
                                sinkId, k -> new java.util.concurrent.ConcurrentLinkedQueue<>())
                        : null;
        return new SinkWriter<>() {
            @Override
            public void write(byte[] record, Context ctx) {
                sum.add(hash(record));
                if (kept != null) {
                    kept.add(record.clone());
                }
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }

    /** FNV-1a over the bytes, then a SplitMix64 finalizer so sums of similar records spread. */
    static long hash(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }
}
