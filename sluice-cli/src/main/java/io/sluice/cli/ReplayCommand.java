package io.sluice.cli;

import io.sluice.kafka.tools.Brokers;
import io.sluice.kafka.tools.Replay;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice replay FILE --topic T}: a file into a Kafka topic, one record per line. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Write a file into a Kafka topic, one record per line: CSV rows (header line first) as"
                    + " JSON objects keyed by the header's names, JSON lines as they are. A CSV line"
                    + " that cannot be converted (bad quoting, wrong column count, invalid UTF-8,"
                    + " empty) is sent unchanged, so the pipeline turns it into a dead letter.",
            "Creates the topic when it is missing. Exit 0 when every record was acknowledged, 1"
                    + " on a failure, 2 for bad arguments."
        })
final class ReplayCommand implements Callable<Integer> {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    @Parameters(paramLabel = "FILE", description = "a .csv file (with a header) or a .jsonl file")
    Path file;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "the topic")
    String topic;

    @Option(
            names = "--bootstrap",
            paramLabel = "HOST:PORT",
            description = "Kafka's bootstrap servers (default: ${DEFAULT-VALUE})")
    String bootstrap = "127.0.0.1:9092";

    @Option(
            names = "--rate",
            paramLabel = "N",
            description = "at most N records per second (default: as fast as possible)")
    Double rate;

    @Option(
            names = "--key",
            paramLabel = "FIELD",
            description = "the CSV column or JSON field whose value becomes the record key")
    String key;

    @Option(names = "--limit", paramLabel = "N", description = "send only the first N lines")
    Long limit;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            description = "partitions of the topic when it is created (default: ${DEFAULT-VALUE})")
    int partitions = 1;

    @Option(
            names = "--format",
            paramLabel = "csv|json",
            description = "the file's format (default: from its name: .csv, .jsonl/.json/.ndjson)")
    String format;

    @Option(
            names = "--progress-every",
            paramLabel = "SECONDS",
            description = "seconds between progress lines (default: ${DEFAULT-VALUE})")
    double progressEvery = 2.0;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (!Files.isRegularFile(file)) {
            err.println(file + ": no such file");
            return CommandLine.ExitCode.USAGE;
        }
        String problem = checkOptions();
        if (problem != null) {
            err.println("error: " + problem);
            return CommandLine.ExitCode.USAGE;
        }
        Replay.Format fmt;
        try {
            fmt = format != null ? parseFormat(format) : Replay.Format.of(file);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage() + " (or pass --format csv|json)");
            return CommandLine.ExitCode.USAGE;
        }
        try {
            Brokers.requireReachable(bootstrap, CONNECT_TIMEOUT);
            if (Brokers.createTopic(bootstrap, topic, partitions, Duration.ofSeconds(30))) {
                out.println("created topic " + topic + " with " + partitions + " partition(s)");
            }
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return SluiceCli.FAILED;
        }
        out.println("Replaying " + file + " into " + topic + " at " + bootstrap + describe(fmt));
        out.flush();
        Replay replay =
                Replay.into(bootstrap, topic)
                        .format(fmt)
                        .keyField(key)
                        .progress(
                                (c, elapsed) -> {
                                    double secs = elapsed.toNanos() / 1e9;
                                    out.printf(
                                            Locale.ROOT,
                                            "[%6.1fs] sent %,d lines (%,.0f/s)%n",
                                            secs,
                                            c.sent(),
                                            c.sent() / secs);
                                    out.flush();
                                },
                                Duration.ofMillis((long) (progressEvery * 1000)));
        if (rate != null) {
            replay.rate(rate);
        }
        if (limit != null) {
            replay.limit(limit);
        }
        Replay.Counts c;
        try {
            c = replay.run(file);
        } catch (IOException e) {
            err.println("error: " + Errors.oneLine(e));
            return SluiceCli.FAILED;
        }
        out.println(summary(c));
        return 0;
    }

    private String checkOptions() {
        if (rate != null && !(rate > 0)) {
            return "--rate must be positive, not " + rate;
        }
        if (limit != null && limit < 0) {
            return "--limit must not be negative";
        }
        if (partitions < 1) {
            return "--partitions must be at least 1";
        }
        if (progressEvery <= 0) {
            return "--progress-every must be positive";
        }
        return null;
    }

    private static Replay.Format parseFormat(String f) {
        return switch (f.toLowerCase(Locale.ROOT)) {
            case "csv" -> Replay.Format.CSV;
            case "json", "jsonl", "json-lines" -> Replay.Format.JSON_LINES;
            default ->
                    throw new IllegalArgumentException(
                            "unknown --format '" + f + "' (known: csv, json)");
        };
    }

    private String describe(Replay.Format fmt) {
        StringBuilder s =
                new StringBuilder(
                        fmt == Replay.Format.CSV
                                ? " (CSV rows as JSON objects"
                                : " (JSON lines as they are");
        if (rate != null) {
            s.append(String.format(Locale.ROOT, ", %,.0f records/s", rate));
        }
        if (key != null) {
            s.append(", key ").append(key);
        }
        if (limit != null) {
            s.append(String.format(Locale.ROOT, ", first %,d lines", limit));
        }
        return s.append(")").toString();
    }

    private String summary(Replay.Counts c) {
        if (c.format() == Replay.Format.CSV) {
            return String.format(
                    Locale.ROOT,
                    "replayed %,d lines into %s: %,d as JSON, %,d unchanged (not convertible)",
                    c.sent(),
                    topic,
                    c.converted(),
                    c.unchanged());
        }
        return String.format(
                Locale.ROOT, "replayed %,d lines into %s, each as it is", c.sent(), topic);
    }
}
