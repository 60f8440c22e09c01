package io.sluice.kafka.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes a file into a topic, one record per line, so a pipeline reading the topic sees what it
 * would see reading the file.
 *
 * <ul>
 *   <li>JSON lines: each line exactly as it is (without its line break).
 *   <li>CSV (header line first): each row as a JSON object keyed by the header's names (see {@link
 *       CsvToJson}); a row that cannot be converted is sent as its original bytes, so the
 *       pipeline's JSON decoder turns it into a dead letter carrying the original line.
 * </ul>
 *
 * <p>Lines are read as bytes, a trailing {@code \r} and a UTF-8 byte-order mark are dropped, as the
 * {@code file} source does. The producer is idempotent with {@code acks=all}; {@link #run} returns
 * after every record is acknowledged.
 *
 * <pre>{@code
 * Replay.Counts c = Replay.into("127.0.0.1:9092", "trips").rate(500).keyField("taxi_id").run(file);
 * }</pre>
 */
public final class Replay {
    /** How lines are sent. */
    public enum Format {
        CSV,
        JSON_LINES;

        /**
         * From the file name: {@code .csv} is CSV, {@code .json}, {@code .jsonl}, {@code .ndjson}
         * JSON lines.
         */
        public static Format of(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".csv")) {
                return CSV;
            }
            if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
                return JSON_LINES;
            }
            throw new IllegalArgumentException(
                    file
                            + ": cannot tell the format from the name; expected .csv (with a header"
                            + " line) or .jsonl/.json/.ndjson (one JSON object per line)");
        }
    }

    /**
     * What was sent.
     *
     * @param sent records sent (one per line after the header)
     * @param converted CSV rows sent as JSON objects
     * @param unchanged CSV lines that could not be converted and were sent as their original bytes
     */
    public record Counts(Format format, long sent, long converted, long unchanged) {}

    /** Called on the replaying thread about every {@link #progressEvery} while it sends. */
    @FunctionalInterface
    public interface Progress {
        void update(Counts soFar, Duration elapsed);
    }

    private static final char CSV_DELIMITER = ',';
    private final String bootstrapServers;
    private final String topic;
    private double rate;
    private String keyField;
    private long limit = Long.MAX_VALUE;
    private Format format;
    private Progress progress = (c, e) -> {};
    private Duration progressEvery = Duration.ofSeconds(2);
    private Properties producerOverrides = new Properties();

    private Replay(String bootstrapServers, String topic) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
    }

    public static Replay into(String bootstrapServers, String topic) {
        return new Replay(bootstrapServers, topic);
    }

    /** At most this many records per second (0: as fast as possible). */
    public Replay rate(double recordsPerSecond) {
        if (recordsPerSecond < 0 || Double.isNaN(recordsPerSecond)) {
            throw new IllegalArgumentException("the rate must be positive");
        }
        this.rate = recordsPerSecond;
        return this;
    }

    /**
     * The field (CSV column, or top-level JSON field) whose value becomes the record key; records
     * without it, and unconverted lines, have no key.
     */
    public Replay keyField(String field) {
        this.keyField = field;
        return this;
    }

    /** Send at most this many lines (after the header). */
    public Replay limit(long lines) {
        if (lines < 0) {
            throw new IllegalArgumentException("the limit must not be negative");
        }
        this.limit = lines;
        return this;
    }

    /** Overrides the format guessed from the file name. */
    public Replay format(Format format) {
        this.format = format;
        return this;
    }

    public Replay progress(Progress progress, Duration every) {
        this.progress = progress;
        this.progressEvery = every;
        return this;
    }

    /** Extra producer settings (e.g. for tests); the serializers cannot be changed. */
    public Replay producerConfig(Properties overrides) {
        this.producerOverrides = overrides;
        return this;
    }

    /**
     * Sends the file's lines and waits until all are acknowledged.
     *
     * @throws IOException when the file cannot be read, its CSV header is unusable, or Kafka
     *     rejects a record
     */
    public Counts run(Path file) throws IOException {
        Format fmt = format != null ? format : Format.of(file);
        KafkaProducer<byte[], byte[]> producer = null;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            producer = new KafkaProducer<>(producerConfig());
            Sender sender = new Sender(producer, fmt);
            if (fmt == Format.CSV) {
                byte[] headerLine = readLine(in);
                if (headerLine == null) {
                    throw new IOException(file + " is empty: a CSV file needs a header line");
                }
                CsvToJson csv;
                try {
                    csv = new CsvToJson(headerLine, CSV_DELIMITER, keyField);
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": " + e.getMessage(), e);
                }
                byte[] line;
                while (sender.sent < limit && (line = readLine(in)) != null) {
                    CsvToJson.Row row = csv.convert(line);
                    if (row == null) {
                        sender.send(null, line, false);
                    } else {
                        sender.send(row.key(), row.json(), true);
                    }
                }
            } else {
                ObjectMapper mapper = new ObjectMapper();
                byte[] line;
                while (sender.sent < limit && (line = readLine(in)) != null) {
                    sender.send(keyField == null ? null : jsonKey(mapper, line), line, false);
                }
            }
            producer.flush();
            sender.check();
            return sender.counts();
        } catch (KafkaException e) {
            throw new IOException("replay into '" + topic + "' failed: " + e.getMessage(), e);
        } finally {
            if (producer != null) {
                // bounded: after a failure, records still in flight would hold close() for minutes
                producer.close(Duration.ofSeconds(5));
            }
        }
    }

    private Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        // the tools check that Kafka is reachable first; this bounds a broker gone mid-replay
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-replay");
        p.putAll(producerOverrides);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** Sends, paces and reports; the first failed send fails the replay. */
    private final class Sender {
        private final KafkaProducer<byte[], byte[]> producer;
        private final Format format;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private final long start = System.nanoTime();
        private long nextProgress;
        long sent;
        long converted;
        long unchanged;

        Sender(KafkaProducer<byte[], byte[]> producer, Format format) {
            this.producer = producer;
            this.format = format;
            this.nextProgress = start + progressEvery.toNanos();
        }

        void send(String key, byte[] value, boolean wasConverted) throws IOException {
            check();
            pace();
            byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
            producer.send(
                    new ProducerRecord<>(topic, k, value),
                    (meta, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        }
                    });
            sent++;
            if (wasConverted) {
                converted++;
            } else if (format == Format.CSV) {
                unchanged++;
            }
            maybeReport(System.nanoTime());
        }

        /** Waits until record {@code sent} is due at the configured rate. */
        private void pace() {
            if (rate <= 0) {
                return;
            }
            long due = start + (long) (sent * 1e9 / rate);
            long now;
            while ((now = System.nanoTime()) < due) {
                LockSupport.parkNanos(Math.min(due - now, TimeUnit.MILLISECONDS.toNanos(100)));
                maybeReport(System.nanoTime());
            }
        }

        private void maybeReport(long now) {
            if (now >= nextProgress) {
                nextProgress = now + progressEvery.toNanos();
                progress.update(counts(), Duration.ofNanos(now - start));
            }
        }

        void check() throws IOException {
            Exception e = failure.get();
            if (e != null) {
                throw new IOException(
                        "Kafka rejected a record for '" + topic + "': " + e.getMessage(), e);
            }
        }

        Counts counts() {
            return new Counts(format, sent, converted, unchanged);
        }
    }

    /** The key field's value of a JSON line, or null when the line has none. */
    private String jsonKey(ObjectMapper mapper, byte[] line) {
        try {
            JsonNode node = mapper.readTree(line);
            JsonNode v = node == null ? null : node.get(keyField);
            if (v == null || v.isNull()) {
                return null;
            }
            return v.isValueNode() ? v.asText() : v.toString();
        } catch (IOException e) {
            return null; // not JSON: sent without a key, the pipeline will reject it
        }
    }

    /** The next line exactly as the {@code file} source reads it, or null at the end. */
    static byte[] readLine(InputStream in) throws IOException {
        return io.sluice.runtime.codec.Lines.read(in);
    }
}
