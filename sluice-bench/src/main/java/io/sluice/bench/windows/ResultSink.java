package io.sluice.bench.windows;

import io.sluice.runtime.row.EventRow;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Discards window results after adding them to order-independent totals, kept in this JVM (the
 * MiniCluster runs here): windows, trips over all windows, and the sum of mean fares.
 */
final class ResultSink implements Sink<EventRow> {
    private static final long serialVersionUID = 1L;
    private static final LongAdder WINDOWS = new LongAdder();
    private static final LongAdder TRIPS = new LongAdder();
    private static final DoubleAdder FARES = new DoubleAdder();

    static void reset() {
        WINDOWS.reset();
        TRIPS.reset();
        FARES.reset();
    }

    static Results results() {
        return new Results(WINDOWS.sum(), TRIPS.sum(), FARES.sum());
    }

    @Override
    public SinkWriter<EventRow> createWriter(WriterInitContext context) {
        return new SinkWriter<>() {
            @Override
            public void write(EventRow row, Context ctx) {
                WINDOWS.increment();
                TRIPS.add((Long) row.get(3));
                FARES.add((Double) row.get(4));
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
