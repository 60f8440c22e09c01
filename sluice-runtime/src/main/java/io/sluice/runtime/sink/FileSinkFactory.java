package io.sluice.runtime.sink;

import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.OptionsSchema;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * {@code file}: JSON lines, one folder per sink under the run's output folder, one {@code
 * part-N.jsonl} per parallel writer. A run replaces the folder's previous parts; a run started from
 * a savepoint appends to them.
 */
public final class FileSinkFactory implements SinkFactory {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .optional(
                            "path",
                            OptionType.STRING,
                            null,
                            "folder relative to the run's output folder; defaults to the sink id")
                    .build();

    @Override
    public String identifier() {
        return "file";
    }

    @Override
    public String description() {
        return "Writes JSON lines into a folder of part files.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    /** The folder a file sink writes to for this run. */
    public static Path folder(SinkSpec spec, RunContext run) {
        String p = spec.options().string("path");
        return run.outputDir().resolve(p == null ? spec.id() : p);
    }

    @Override
    public Sink<SinkRecord> create(SinkSpec spec, Spec job, RunContext run) {
        Path dir = folder(spec, run);
        try {
            Files.createDirectories(dir);
            if (run.resumed()) {
                // a job started from a savepoint continues the parts of the one before it
                return ValueSink.of(new JsonLinesSink(dir.toAbsolutePath().toString()));
            }
            try (Stream<Path> old = Files.list(dir)) {
                for (Path p :
                        old.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "sink '" + spec.id() + "': cannot prepare " + dir + ": " + e.getMessage(), e);
        }
        return ValueSink.of(new JsonLinesSink(dir.toAbsolutePath().toString()));
    }

    /** Writes each record and a newline to {@code part-<subtask>.jsonl}. */
    public static final class JsonLinesSink implements Sink<byte[]> {
        private static final long serialVersionUID = 1L;
        private final String dir;

        public JsonLinesSink(String dir) {
            this.dir = dir;
        }

        @Override
        public SinkWriter<byte[]> createWriter(WriterInitContext context) throws IOException {
            Path d = Path.of(dir);
            Files.createDirectories(d);
            int subtask = context.getTaskInfo().getIndexOfThisSubtask();
            OutputStream out =
                    new BufferedOutputStream(
                            Files.newOutputStream(
                                    d.resolve("part-" + subtask + ".jsonl"),
                                    java.nio.file.StandardOpenOption.CREATE,
                                    java.nio.file.StandardOpenOption.APPEND),
                            1 << 16);
            // a long-running job's records reach the file within a second, not when 64 KB
            // have gathered; the callback runs in the task's thread, like write()
            org.apache.flink.api.common.operators.ProcessingTimeService time =
                    context.getProcessingTimeService();
            org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback[]
                    tick =
                            new org.apache.flink.api.common.operators.ProcessingTimeService
                                            .ProcessingTimeCallback[1];
            boolean[] closed = new boolean[1];
            tick[0] =
                    t -> {
                        if (!closed[0]) {
                            out.flush();
                            time.registerTimer(t + 1000, tick[0]);
                        }
                    };
            time.registerTimer(time.getCurrentProcessingTime() + 1000, tick[0]);
            return new SinkWriter<>() {
                @Override
                public void write(byte[] element, Context ctx) throws IOException {
                    out.write(element);
                    out.write('\n');
                }

                @Override
                public void flush(boolean endOfInput) throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    closed[0] = true;
                    out.close();
                }
            };
        }
    }
}
