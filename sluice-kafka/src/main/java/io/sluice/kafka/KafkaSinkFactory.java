package io.sluice.kafka;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.sink.SinkFactory;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.problem.Problems;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@code kafka} sink: JSON values, keys from named fields, headers {@code spec_hash} and {@code
 * config_version}. Exactly-once writes in Kafka transactions committed at checkpoints; their ids
 * come from a pool that is reused, so they do not grow without bound.
 */
public final class KafkaSinkFactory implements SinkFactory, PluginCheck {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required("bootstrap-servers", OptionType.STRING, "host:port[,host:port...]")
                    .required("topic", OptionType.STRING, "topic written to")
                    .optional(
                            "key",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "fields whose values, joined by '|', form the record key")
                    .optional(
                            "delivery-guarantee",
                            OptionType.oneOf("at-least-once", "exactly-once", "none"),
                            "at-least-once",
                            "exactly-once needs runtime.checkpoint-interval; readers should use read_committed")
                    .optional(
                            "transactional-id-prefix",
                            OptionType.STRING,
                            null,
                            "exactly-once: prefix of transactional ids; defaults to sluice-<job>-<sink id>")
                    .optional(
                            "transaction-timeout",
                            OptionType.DURATION,
                            Duration.ofMinutes(10),
                            "exactly-once: must be below the broker's transaction.max.timeout.ms (15 min by default)")
                    .optional(
                            "properties",
                            OptionType.mapOf(OptionType.STRING),
                            java.util.Map.of(),
                            "Kafka producer properties, passed as they are")
                    .optional(
                            "connect-timeout",
                            OptionType.DURATION,
                            Duration.ofSeconds(15),
                            "how long to wait for the broker when the job starts")
                    .optional(
                            "create-topic",
                            OptionType.INT,
                            1L,
                            "partitions of the topic when it is missing at start (0: do not create it)")
                    .optional(
                            "record-timestamp",
                            OptionType.oneOf("write-time", "event-time"),
                            "write-time",
                            "Kafka timestamp of each record: when it is written (safe with time"
                                    + " retention), or the row's event time (old event times fall under"
                                    + " the topic's retention at once)")
                    .build();

    @Override
    public String identifier() {
        return "kafka";
    }

    @Override
    public String description() {
        return "Writes JSON records to a Kafka topic, at-least-once or exactly-once.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public List<String> keyFields(SinkSpec spec) {
        return spec.options().list("key");
    }

    @Override
    public void check(Options o, Problems problems) {
        Duration t = o.duration("transaction-timeout");
        if (t != null && t.toMillis() < 1000) {
            problems.add(
                    o.pos("transaction-timeout"),
                    o.path("transaction-timeout"),
                    "must be at least 1s");
        }
    }

    @Override
    public void check(Options o, Spec.RuntimeSpec runtime, Problems problems) {
        if (!"exactly-once".equals(o.string("delivery-guarantee"))) {
            return;
        }
        Duration interval = runtime.checkpointInterval();
        if (interval == null) {
            problems.add(
                    o.pos("delivery-guarantee"),
                    o.path("delivery-guarantee"),
                    "exactly-once commits Kafka transactions at checkpoints: set"
                            + " runtime.checkpoint-interval (e.g. 10s)");
        } else if (o.duration("transaction-timeout") != null
                && o.duration("transaction-timeout").compareTo(interval.multipliedBy(3)) < 0) {
            problems.add(
                    o.pos("transaction-timeout"),
                    o.path("transaction-timeout"),
                    "a transaction stays open for a checkpoint interval or more: make"
                            + " transaction-timeout at least 3 × runtime.checkpoint-interval ("
                            + interval.multipliedBy(3).toSeconds()
                            + "s), or the broker aborts transactions before they commit");
        }
    }

    @Override
    public Sink<SinkRecord> create(SinkSpec spec, Spec job, RunContext run) {
        Options o = spec.options();
        String bootstrap = o.string("bootstrap-servers");
        Properties props = KafkaClients.properties(bootstrap, o.map("properties"));
        DeliveryGuarantee guarantee =
                switch (o.string("delivery-guarantee")) {
                    case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
                    case "none" -> DeliveryGuarantee.NONE;
                    default -> DeliveryGuarantee.AT_LEAST_ONCE;
                };
        Duration txTimeout = o.duration("transaction-timeout");
        String what = "sink '" + spec.id() + "'";
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE
                && job.runtime().checkpointInterval() == null) {
            throw new IllegalArgumentException(
                    what
                            + ": exactly-once commits Kafka transactions at checkpoints: set runtime.checkpoint-interval (e.g. 10s)");
        }
        Duration timeout = o.duration("connect-timeout");
        try (Admin admin = KafkaClients.admin(props, timeout)) {
            KafkaClients.reach(admin, bootstrap, timeout, what);
            String topic = o.string("topic");
            if (!KafkaClients.topics(admin, timeout).contains(topic)) {
                long partitions = o.longValue("create-topic");
                if (partitions < 1) {
                    throw new IOException(
                            what + ": topic '" + topic + "' does not exist on " + bootstrap);
                }
                KafkaClients.createTopic(admin, topic, (int) partitions, timeout);
            }
            if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
                String max =
                        KafkaClients.brokerConfig(admin, "transaction.max.timeout.ms", timeout);
                if (max != null && txTimeout.toMillis() > Long.parseLong(max)) {
                    throw new IllegalArgumentException(
                            what
                                    + ": transaction-timeout "
                                    + txTimeout.toMillis()
                                    + " ms is above the broker's transaction.max.timeout.ms ("
                                    + Long.parseLong(max)
                                    + " ms): lower it");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        props.setProperty(
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(txTimeout.toMillis()));
        KafkaSinkBuilder<SinkRecord> b =
                KafkaSink.<SinkRecord>builder()
                        .setBootstrapServers(bootstrap)
                        .setKafkaProducerConfig(props)
                        .setDeliveryGuarantee(guarantee)
                        .setRecordSerializer(
                                new Records(
                                        o.string("topic"),
                                        job.hash(),
                                        "event-time".equals(o.string("record-timestamp"))));
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            String prefix = o.string("transactional-id-prefix");
            b.setTransactionalIdPrefix(
                            prefix != null ? prefix : "sluice-" + job.name() + "-" + spec.id())
                    .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING);
            // its writer's close() aborts the open transaction, which throws while the broker is
            // away; thrown from the clean-up of a failed task, that stops the whole TaskManager
            return new QuietCloseKafkaSink<>(b.build());
        }
        return b.build();
    }

    /** Key and value as encoded; the stamps also as headers, for consumers that route on them. */
    static final class Records
            implements KafkaRecordSerializationSchema<SinkRecord>, KafkaDatasetFacetProvider {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final byte[] specHash;
        private final boolean eventTime;

        Records(String topic, String specHash, boolean eventTime) {
            this.topic = topic;
            this.specHash = specHash.getBytes(StandardCharsets.UTF_8);
            this.eventTime = eventTime;
        }

        /** The topic written to; the pooling transaction naming strategy needs to know it. */
        @Override
        public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
            return Optional.of(
                    new DefaultKafkaDatasetFacet(
                            DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                SinkRecord r, KafkaSinkContext ctx, Long timestamp) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(new RecordHeader("spec_hash", specHash));
            headers.add(
                    new RecordHeader(
                            "config_version",
                            Long.toString(r.configVersion).getBytes(StandardCharsets.UTF_8)));
            // null: the producer stamps the write time
            Long ts = eventTime && timestamp != null && timestamp >= 0 ? timestamp : null;
            return new ProducerRecord<>(topic, null, ts, r.key, r.value, headers);
        }
    }
}
