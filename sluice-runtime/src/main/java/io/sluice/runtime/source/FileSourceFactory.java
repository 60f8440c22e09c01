package io.sluice.runtime.source;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.problem.Problems;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code file}: CSV (with a header line, or with {@code columns} naming the columns of files
 * without one) or JSON-lines files; a path is a file or a folder of them, relative to the spec's
 * folder. Each row remembers {@code file:line}.
 */
public final class FileSourceFactory implements SourceFactory, PluginCheck {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "path",
                            OptionType.STRING,
                            "a file, or a folder of files, relative to the spec")
                    .optional(
                            "columns",
                            OptionType.listOf(OptionType.STRING),
                            null,
                            "CSV without a header line: the column names, in order")
                    .build();

    @Override
    public String identifier() {
        return "file";
    }

    @Override
    public String description() {
        return "Reads CSV (with a header, or with 'columns') or JSON-lines files.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    static List<Path> files(SourceSpec spec, RunContext run) throws IOException {
        Path p = run.specDir().resolve(spec.options().string("path"));
        if (!Files.exists(p)) {
            throw new IOException(
                    "source '"
                            + spec.id()
                            + "': "
                            + p
                            + " does not exist (path is relative to the spec's folder)");
        }
        if (!Files.isDirectory(p)) {
            return List.of(p);
        }
        try (Stream<Path> s = Files.list(p)) {
            List<Path> files =
                    s.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .sorted()
                            .toList();
            if (files.isEmpty()) {
                throw new IOException("source '" + spec.id() + "': folder " + p + " has no files");
            }
            return files;
        }
    }

    @Override
    public void check(Options o, Problems problems) {
        List<String> columns = o.list("columns");
        if (o.get("columns") == null) {
            return;
        }
        if (!"csv".equals(o.string("format"))) {
            problems.add(
                    o.pos("columns"),
                    o.path("columns"),
                    "'columns' names the columns of CSV files without a header; JSON has names");
        } else if (columns.isEmpty()) {
            problems.add(o.pos("columns"), o.path("columns"), "name at least one column");
        } else if (new java.util.HashSet<>(columns).size() != columns.size()) {
            problems.add(o.pos("columns"), o.path("columns"), "a column is named twice");
        }
    }

    @Override
    public List<String> csvHeader(SourceSpec spec, RunContext run) throws IOException {
        if (spec.options().get("columns") != null) {
            files(spec, run); // the files must exist all the same
            return spec.options().list("columns");
        }
        List<String> header = null;
        Path first = null;
        for (Path f : files(spec, run)) {
            List<String> h = firstLineCells(f, spec.format().delimiter());
            if (header == null) {
                header = h;
                first = f;
            } else if (!header.equals(h)) {
                throw new IOException(
                        "source '"
                                + spec.id()
                                + "': "
                                + f
                                + " has a different header from "
                                + first);
            }
        }
        return header;
    }

    private static List<String> firstLineCells(Path f, char delimiter) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            byte[] line = LineFormat.readLine(in);
            if (line == null) {
                throw new IOException(f + " is empty: a CSV source needs a header line");
            }
            try {
                return io.sluice.runtime.codec.CsvSplitter.split(
                        new String(line, StandardCharsets.UTF_8).strip(), delimiter);
            } catch (io.sluice.runtime.codec.CsvSplitter.MalformedCsv e) {
                throw new IOException(f + ": the header line is not valid CSV: " + e.getMessage());
            }
        }
    }

    @Override
    public DataStream<EventRow> create(
            StreamExecutionEnvironment env, SourceSpec spec, RunContext run) throws IOException {
        boolean skipHeader =
                "csv".equals(spec.format().type()) && spec.options().get("columns") == null;
        DataStream<EventRow> out = null;
        List<Path> files = files(spec, run);
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            FileSource<EventRow> source =
                    FileSource.forRecordStreamFormat(
                                    new LineFormat(f.getFileName().toString(), skipHeader),
                                    new org.apache.flink.core.fs.Path(f.toUri()))
                            .build();
            DataStream<EventRow> s =
                    env.fromSource(
                                    source,
                                    WatermarkStrategy.noWatermarks(),
                                    spec.id() + " (" + f.getFileName() + ")")
                            .uid(spec.id() + ".source." + i);
            out = out == null ? s : out.union(s);
        }
        return out;
    }

    /** Reads raw lines (bytes, so invalid UTF-8 reaches the decoder intact) with line numbers. */
    static final class LineFormat extends SimpleStreamFormat<EventRow> {
        private static final long serialVersionUID = 1L;
        private final String fileName;
        private final boolean skipHeader;

        LineFormat(String fileName, boolean skipHeader) {
            this.fileName = fileName;
            this.skipHeader = skipHeader;
        }

        @Override
        public StreamFormat.Reader<EventRow> createReader(
                Configuration config, FSDataInputStream stream) {
            java.io.BufferedInputStream in = new java.io.BufferedInputStream(stream, 1 << 16);
            return new StreamFormat.Reader<>() {
                long line = 0;

                @Override
                public EventRow read() throws IOException {
                    byte[] bytes = readLine(in);
                    line++;
                    if (line == 1 && skipHeader && bytes != null) {
                        bytes = readLine(in);
                        line++;
                    }
                    return bytes == null
                            ? null
                            : new EventRow(new Object[0], bytes, fileName + ":" + line, 0L);
                }

                @Override
                public void close() throws IOException {
                    in.close();
                }
            };
        }

        @Override
        public TypeInformation<EventRow> getProducedType() {
            return new EventRowTypeInfo(new RowSchema(List.of()));
        }

        /** The next line (see {@link io.sluice.runtime.codec.Lines#read}), or null at the end. */
        static byte[] readLine(InputStream in) throws IOException {
            return io.sluice.runtime.codec.Lines.read(in);
        }
    }
}
