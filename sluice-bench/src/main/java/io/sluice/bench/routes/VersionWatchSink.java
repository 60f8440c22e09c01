package io.sluice.bench.routes;

import io.sluice.runtime.sink.SinkRecord;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * The propagation benchmark's output: discards records, but notes the time ({@link
 * System#nanoTime}) at which the first record stamped with each config version arrived, separately
 * for each routing task. The routing task is read from the record's {@code event_id}: the endless
 * source gives task {@code s} only lines whose number is {@code s} modulo the parallelism, and the
 * edge from source to routing is forward.
 *
 * <p>Versions only grow on a routing task, and records of one routing task reach a writer in the
 * order they were stamped, so a writer looks at a record's id only when its version is newer than
 * the newest it has seen from some task; otherwise a record costs a comparison and a count.
 */
final class VersionWatchSink implements Sink<SinkRecord> {
    private static final long serialVersionUID = 1L;
    private static final byte[] PREFIX = "{\"event_id\":\"e-".getBytes(StandardCharsets.UTF_8);

    /** version → first arrival (nanoTime) per routing task, 0 while none arrived. */
    static final Map<Long, long[]> FIRST = new ConcurrentHashMap<>();

    static final LongAdder RECORDS = new LongAdder();
    static volatile int tasks = 2;

    static void reset(int parallelism) {
        FIRST.clear();
        RECORDS.reset();
        tasks = parallelism;
    }

    /** When the first record of {@code version} from routing task {@code task} arrived, or 0. */
    static long first(long version, int task) {
        long[] t = FIRST.get(version);
        return t == null ? 0 : t[task];
    }

    /** Whether records of {@code version} arrived from every routing task. */
    static boolean seenEverywhere(long version) {
        long[] t = FIRST.get(version);
        if (t == null) {
            return false;
        }
        for (long x : t) {
            if (x == 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public SinkWriter<SinkRecord> createWriter(WriterInitContext context) {
        int p = tasks;
        return new SinkWriter<>() {
            private final long[] newest = new long[p];
            private long oldestNewest;

            @Override
            public void write(SinkRecord r, Context ctx) {
                RECORDS.increment();
                if (r.configVersion <= oldestNewest) {
                    return;
                }
                long now = System.nanoTime();
                int task = (int) (lineNumber(r.value) % p);
                if (r.configVersion <= newest[task]) {
                    return;
                }
                newest[task] = r.configVersion;
                long min = Long.MAX_VALUE;
                for (long v : newest) {
                    min = Math.min(min, v);
                }
                oldestNewest = min;
                FIRST.compute(
                        r.configVersion,
                        (v, t) -> {
                            long[] times = t == null ? new long[p] : t.clone();
                            if (times[task] == 0 || now < times[task]) {
                                times[task] = now;
                            }
                            return times;
                        });
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }

    /** The number in {@code "event_id":"e-N"}, which every output record starts with. */
    static long lineNumber(byte[] json) {
        for (int i = 0; i < PREFIX.length; i++) {
            if (json[i] != PREFIX[i]) {
                throw new IllegalStateException(
                        "expected a record starting with {\"event_id\":\"e-, found "
                                + new String(json, 0, Math.min(json.length, 40)));
            }
        }
        long n = 0;
        for (int i = PREFIX.length; json[i] != '"'; i++) {
            n = n * 10 + (json[i] - '0');
        }
        return n;
    }
}
