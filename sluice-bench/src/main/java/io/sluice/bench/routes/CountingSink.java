package io.sluice.bench.routes;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Discards encoded records after counting them per sink id; in verification runs it also adds a
 * 64-bit hash of each record to a per-sink sum. The sum does not depend on record order or on how
 * records are spread over subtasks, so equal sums and counts mean (up to hash collisions) the same
 * multiset of JSON records. Counts and sums live in this JVM: the MiniCluster runs here.
 */
final class CountingSink implements Sink<byte[]> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, LongAdder> COUNTS = new ConcurrentHashMap<>();
    private static final Map<String, LongAdder> SUMS = new ConcurrentHashMap<>();

    private final String sinkId;
    private final boolean digest;

    CountingSink(String sinkId, boolean digest) {
        this.sinkId = sinkId;
        this.digest = digest;
    }

    /** Forgets all counts and sums; call before a run. */
    static void reset() {
        COUNTS.clear();
        SUMS.clear();
    }

    static long count(String sinkId) {
        LongAdder n = COUNTS.get(sinkId);
        return n == null ? 0 : n.sum();
    }

    static long digest(String sinkId) {
        LongAdder n = SUMS.get(sinkId);
        return n == null ? 0 : n.sum();
    }

    /** Records per sink id since the last {@link #reset}. */
    static Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        COUNTS.forEach((sink, n) -> out.put(sink, n.sum()));
        return out;
    }

    @Override
    public SinkWriter<byte[]> createWriter(WriterInitContext context) {
        LongAdder count = COUNTS.computeIfAbsent(sinkId, k -> new LongAdder());
        LongAdder sum = SUMS.computeIfAbsent(sinkId, k -> new LongAdder());
        return new SinkWriter<>() {
            @Override
            public void write(byte[] record, Context ctx) {
                count.increment();
                if (digest) {
                    sum.add(hash(record));
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
