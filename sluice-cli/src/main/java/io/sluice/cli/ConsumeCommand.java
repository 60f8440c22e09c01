package io.sluice.cli;

import io.sluice.kafka.tools.Brokers;
import io.sluice.kafka.tools.TopicReader;
import io.sluice.spec.options.OptionsBinder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code sluice consume TOPIC}: a topic's committed records as KEY TAB VALUE lines. */
@Command(
        name = "consume",
        mixinStandardHelpOptions = true,
        description = {
            "Print a topic's committed records (read_committed, all partitions, no consumer group)"
                    + " as KEY<TAB>VALUE lines, the value as UTF-8, then a count on stderr.",
            "Stops after --max records or when none arrived for --idle-timeout. Exit 0, or 1 when"
                    + " Kafka cannot be reached or the topic does not exist."
        })
final class ConsumeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "TOPIC", description = "the topic")
    String topic;

    @Option(
            names = "--bootstrap",
            paramLabel = "HOST:PORT",
            description = "Kafka's bootstrap servers (default: ${DEFAULT-VALUE})")
    String bootstrap = "127.0.0.1:9092";

    @Option(names = "--max", paramLabel = "N", description = "stop after N records")
    Long max;

    @Option(
            names = "--idle-timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description =
                    "stop when no record arrived for this long, e.g. 500ms, 5s, 1m (default: 10s,"
                            + " longer than a typical checkpoint interval, after which"
                            + " exactly-once output becomes visible)")
    Duration idleTimeout = Duration.ofSeconds(10);

    @Option(
            names = "--from-beginning",
            description = "read from the first record (default: only records written from now on)")
    boolean fromBeginning;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (max != null && max < 1) {
            err.println("error: --max must be at least 1");
            return CommandLine.ExitCode.USAGE;
        }
        try {
            Set<String> topics = Brokers.requireReachable(bootstrap, ReplayCommand.CONNECT_TIMEOUT);
            if (!topics.contains(topic)) {
                err.println(
                        "error: there is no topic '"
                                + topic
                                + "' at "
                                + bootstrap
                                + (topics.isEmpty()
                                        ? " (it has no topics yet)"
                                        : " (topics: " + String.join(", ", topics) + ")"));
                return SluiceCli.FAILED;
            }
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return SluiceCli.FAILED;
        }
        if (!fromBeginning) {
            err.println(
                    "Waiting for new records in " + topic + " (--from-beginning reads older ones)");
            err.flush();
        }
        TopicReader.Result r =
                TopicReader.of(bootstrap, topic)
                        .fromBeginning(fromBeginning)
                        .max(max == null ? Long.MAX_VALUE : max)
                        .idleTimeout(idleTimeout)
                        .read(rec -> out.println(text(rec.key()) + "\t" + text(rec.value())));
        out.flush();
        err.println(
                String.format(
                        Locale.ROOT,
                        "consumed %,d record%s from %s (%s)",
                        r.count(),
                        r.count() == 1 ? "" : "s",
                        topic,
                        switch (r.stop()) {
                            case MAX -> "--max reached";
                            case IDLE -> "no new record for " + human(idleTimeout);
                            case NO_TOPIC -> "the topic disappeared";
                        }));
        return 0;
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** Durations as in specs: 500ms, 5s, 1m, 1h. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return OptionsBinder.duration(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(
                        "'" + value + "' is not a duration; write e.g. 500ms, 5s or 1m");
            }
        }
    }
}
