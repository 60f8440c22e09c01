package io.sluice.runtime.sink;

import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.OptionsSchema;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/** {@code console}: prints each record to standard output as {@code sink-id> {json}}. */
public final class ConsoleSinkFactory implements SinkFactory {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .optional(
                            "limit",
                            OptionType.INT,
                            null,
                            "print at most this many records per writer")
                    .build();

    @Override
    public String identifier() {
        return "console";
    }

    @Override
    public String description() {
        return "Prints records to standard output.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public Sink<SinkRecord> create(SinkSpec spec, Spec job, RunContext run) {
        Long limit = spec.options().longOrNull("limit");
        return ValueSink.of(new ConsoleSink(spec.id(), limit == null ? Long.MAX_VALUE : limit));
    }

    static final class ConsoleSink implements Sink<byte[]> {
        private static final long serialVersionUID = 1L;
        private final String id;
        private final long limit;

        ConsoleSink(String id, long limit) {
            this.id = id;
            this.limit = limit;
        }

        @Override
        public SinkWriter<byte[]> createWriter(WriterInitContext context) {
            PrintStream out = System.out;
            return new SinkWriter<>() {
                long written;

                @Override
                public void write(byte[] element, Context ctx) {
                    if (written++ < limit) {
                        out.println(id + "> " + new String(element, StandardCharsets.UTF_8));
                    }
                }

                @Override
                public void flush(boolean endOfInput) {
                    out.flush();
                }

                @Override
                public void close() {}
            };
        }
    }
}
