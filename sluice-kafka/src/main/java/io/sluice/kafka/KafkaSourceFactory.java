package io.sluice.kafka;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.source.SourceFactory;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.plugin.RecordTimestamps;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * {@code kafka} source: JSON record values decoded by the spec's field mapping. Each row remembers
 * {@code topic:partition:offset} as its origin, so a dead letter says exactly which record it was;
 * the record timestamp is available to {@code from: record-timestamp} fields. Reads only committed
 * records by default ({@code isolation.level=read_committed}).
 */
public final class KafkaSourceFactory implements SourceFactory, PluginCheck, RecordTimestamps {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required("bootstrap-servers", OptionType.STRING, "host:port[,host:port...]")
                    .optional(
                            "topics",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "topics to read")
                    .optional(
                            "topic-pattern",
                            OptionType.STRING,
                            null,
                            "a regular expression of topics to read, instead of 'topics'")
                    .optional(
                            "group-id",
                            OptionType.STRING,
                            null,
                            "consumer group; defaults to sluice-<source id>")
                    .optional(
                            "starting-offsets",
                            OptionType.oneOf("earliest", "latest", "committed", "timestamp"),
                            "earliest",
                            "where to start: committed falls back to earliest for partitions without a commit")
                    .optional(
                            "starting-timestamp",
                            OptionType.STRING,
                            null,
                            "with starting-offsets: timestamp, an ISO-8601 instant")
                    .optional(
                            "bounded",
                            OptionType.oneOf("none", "latest"),
                            "none",
                            "latest: stop at the offsets that are the latest when the job starts (replays, tests)")
                    .optional(
                            "properties",
                            OptionType.mapOf(OptionType.STRING),
                            java.util.Map.of(),
                            "Kafka consumer properties, passed as they are")
                    .optional(
                            "connect-timeout",
                            OptionType.DURATION,
                            Duration.ofSeconds(15),
                            "how long to wait for the broker when the job starts")
                    .build();

    @Override
    public String identifier() {
        return "kafka";
    }

    @Override
    public String description() {
        return "Reads JSON records from Kafka topics.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public void check(Options o, Problems problems) {
        if (!"json".equals(o.string("format"))) {
            problems.add(
                    o.pos("format"),
                    o.path("format"),
                    "Kafka record values are read as JSON: write format: json");
        }
        boolean topics = !o.<String>list("topics").isEmpty();
        boolean pattern = o.string("topic-pattern") != null;
        if (topics == pattern) {
            problems.add(
                    o.pos(),
                    o.path("topics"),
                    "name the topics to read with either 'topics' or 'topic-pattern' (one of them)");
        }
        if (pattern) {
            try {
                Pattern.compile(o.string("topic-pattern"));
            } catch (PatternSyntaxException e) {
                problems.add(
                        o.pos("topic-pattern"),
                        o.path("topic-pattern"),
                        "not a regular expression: " + e.getDescription());
            }
        }
        if ("timestamp".equals(o.string("starting-offsets"))) {
            if (o.string("starting-timestamp") == null) {
                problems.add(
                        o.pos("starting-offsets"),
                        o.path("starting-timestamp"),
                        "starting-offsets: timestamp needs starting-timestamp (e.g. 2024-01-01T00:00:00Z)");
            } else {
                try {
                    Instant.parse(o.string("starting-timestamp"));
                } catch (DateTimeParseException e) {
                    problems.add(
                            o.pos("starting-timestamp"),
                            o.path("starting-timestamp"),
                            "expected an ISO-8601 instant like 2024-01-01T00:00:00Z");
                }
            }
        }
    }

    @Override
    public boolean bounded(SourceSpec spec) {
        return "latest".equals(spec.options().string("bounded"));
    }

    @Override
    public List<String> csvHeader(SourceSpec spec, RunContext run) {
        return null; // JSON only
    }

    @Override
    public DataStream<EventRow> create(
            StreamExecutionEnvironment env, SourceSpec spec, RunContext run) throws IOException {
        Options o = spec.options();
        String bootstrap = o.string("bootstrap-servers");
        Properties props = KafkaClients.properties(bootstrap, o.map("properties"));
        Duration timeout = o.duration("connect-timeout");
        try (Admin admin = KafkaClients.admin(props, timeout)) {
            String what = "source '" + spec.id() + "'";
            KafkaClients.reach(admin, bootstrap, timeout, what);
            List<String> topics = o.list("topics");
            if (!topics.isEmpty()) {
                Set<String> existing = KafkaClients.topics(admin, timeout);
                for (String t : topics) {
                    if (!existing.contains(t)) {
                        throw new IOException(
                                what
                                        + ": "
                                        + "no topic '"
                                        + t
                                        + "' on "
                                        + bootstrap
                                        + " — create it, or replay a file into it with ./sluice"
                                        + " replay. "
                                        + Suggest.unknown("topic", t, existing));
                    }
                }
            }
        }
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaSourceBuilder<EventRow> b =
                KafkaSource.<EventRow>builder()
                        .setBootstrapServers(bootstrap)
                        .setGroupId(
                                o.string("group-id") != null
                                        ? o.string("group-id")
                                        : "sluice-" + spec.id())
                        .setProperties(props)
                        .setStartingOffsets(startingOffsets(o))
                        .setDeserializer(new RawRecords());
        if (o.string("topic-pattern") != null) {
            b.setTopicPattern(Pattern.compile(o.string("topic-pattern")));
        } else {
            b.setTopics(o.<String>list("topics"));
        }
        if ("latest".equals(o.string("bounded"))) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return env.fromSource(b.build(), WatermarkStrategy.noWatermarks(), spec.id() + " (kafka)")
                .uid(spec.id() + ".source");
    }

    private static OffsetsInitializer startingOffsets(Options o) {
        return switch (o.string("starting-offsets")) {
            case "latest" -> OffsetsInitializer.latest();
            case "committed" -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            case "timestamp" ->
                    OffsetsInitializer.timestamp(
                            Instant.parse(o.string("starting-timestamp")).toEpochMilli());
            default -> OffsetsInitializer.earliest();
        };
    }

    /** Each record as a raw line: its value's bytes and {@code topic:partition:offset}. */
    static final class RawRecords implements KafkaRecordDeserializationSchema<EventRow> {
        private static final long serialVersionUID = 1L;
        private static final byte[] EMPTY = new byte[0];

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<EventRow> out) {
            byte[] value = r.value() == null ? EMPTY : r.value();
            out.collect(
                    new EventRow(
                            new Object[0],
                            value,
                            r.topic() + ":" + r.partition() + ":" + r.offset(),
                            0L));
        }

        @Override
        public TypeInformation<EventRow> getProducedType() {
            return new EventRowTypeInfo(new RowSchema(List.of()));
        }
    }
}
