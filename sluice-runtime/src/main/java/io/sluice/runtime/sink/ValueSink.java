package io.sluice.runtime.sink;

import java.io.IOException;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/** A sink of encoded records that hands only their values to a sink of bytes. */
public final class ValueSink implements Sink<SinkRecord> {
    private static final long serialVersionUID = 1L;
    private final Sink<byte[]> values;

    private ValueSink(Sink<byte[]> values) {
        this.values = values;
    }

    public static Sink<SinkRecord> of(Sink<byte[]> values) {
        return new ValueSink(values);
    }

    @Override
    public SinkWriter<SinkRecord> createWriter(WriterInitContext context) throws IOException {
        SinkWriter<byte[]> inner = values.createWriter(context);
        return new SinkWriter<>() {
            @Override
            public void write(SinkRecord element, Context ctx)
                    throws IOException, InterruptedException {
                inner.write(element.value, ctx);
            }

            @Override
            public void flush(boolean endOfInput) throws IOException, InterruptedException {
                inner.flush(endOfInput);
            }

            @Override
            public void close() throws Exception {
                inner.close();
            }
        };
    }
}
