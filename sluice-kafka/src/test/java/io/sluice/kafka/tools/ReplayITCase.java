package io.sluice.kafka.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.kafka.broker.LocalBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replays files into a real broker and reads every record back. */
class ReplayITCase {
    private static final Duration IDLE = Duration.ofSeconds(2);

    @TempDir static Path dir;
    private static LocalBroker broker;

    @BeforeAll
    static void startBroker() throws IOException {
        broker = LocalBroker.start(dir.resolve("kafka"), 0);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** Every kind of line the CSV decoder would reject, between good rows. */
    private static Path tripsCsv() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        write(b, "id,name,fare,when,code\n");
        write(b, "1,Zoë,12.50,2024-01-01T00:00:00Z,007\n");
        write(b, "2,\"Bob, Jr.\",,2024-01-01T00:01:00Z,-3\n");
        write(b, "3,\"unterminated,1.0,x,y\n"); // bad quoting
        write(b, "4,Dan,1.0\n"); // three columns of five
        write(b, "\n"); // empty line
        b.write(new byte[] {'5', ',', 'E', 'v', (byte) 0xFF, ',', '2', ',', 'x', ',', 'y', '\n'});
        write(b, "6,\"say \"\"hi\"\"\",1e3,  12 ,+5\n");
        write(b, "7,Gus,0,z,0\r\n"); // a Windows line break is not part of the data
        Path f = dir.resolve("trips.csv");
        Files.write(f, b.toByteArray());
        return f;
    }

    @Test
    void csvRowsBecomeJsonAndBrokenLinesStayAsTheyAre() throws IOException {
        broker.createTopic("csv-trips", 1);
        Replay.Counts counts =
                Replay.into(broker.bootstrapServers(), "csv-trips").keyField("id").run(tripsCsv());

        assertThat(counts).isEqualTo(new Replay.Counts(Replay.Format.CSV, 8, 4, 4));
        List<ConsumerRecord<byte[], byte[]>> records = read("csv-trips");
        assertThat(records).hasSize(8);
        assertRecord(
                records.get(0),
                "1",
                "{\"id\":1,\"name\":\"Zoë\",\"fare\":12.50,\"when\":\"2024-01-01T00:00:00Z\",\"code\":\"007\"}");
        assertRecord(
                records.get(1),
                "2",
                "{\"id\":2,\"name\":\"Bob, Jr.\",\"when\":\"2024-01-01T00:01:00Z\",\"code\":-3}");
        assertRecord(records.get(2), null, "3,\"unterminated,1.0,x,y");
        assertRecord(records.get(3), null, "4,Dan,1.0");
        assertRecord(records.get(4), null, "");
        assertThat(records.get(5).key()).isNull();
        assertThat(records.get(5).value())
                .isEqualTo(
                        new byte[] {'5', ',', 'E', 'v', (byte) 0xFF, ',', '2', ',', 'x', ',', 'y'});
        assertRecord(
                records.get(6),
                "6",
                "{\"id\":6,\"name\":\"say \\\"hi\\\"\",\"fare\":\"1e3\",\"when\":12,\"code\":\"+5\"}");
        assertRecord(
                records.get(7),
                "7",
                "{\"id\":7,\"name\":\"Gus\",\"fare\":0,\"when\":\"z\",\"code\":0}");
    }

    @Test
    void jsonLinesAreSentAsTheyAre() throws IOException {
        Path f = dir.resolve("events.jsonl");
        Files.writeString(
                f,
                "{\"a\":1}\nnot json\n\n{\"a\":2, \"k\":\"x\"}\n{\"k\":7}",
                StandardCharsets.UTF_8);

        broker.createTopic("json-events", 1);
        Replay.Counts counts =
                Replay.into(broker.bootstrapServers(), "json-events").keyField("k").run(f);

        assertThat(counts).isEqualTo(new Replay.Counts(Replay.Format.JSON_LINES, 5, 0, 0));
        List<ConsumerRecord<byte[], byte[]>> records = read("json-events");
        assertThat(records).hasSize(5);
        assertRecord(records.get(0), null, "{\"a\":1}");
        assertRecord(records.get(1), null, "not json");
        assertRecord(records.get(2), null, "");
        assertRecord(records.get(3), "x", "{\"a\":2, \"k\":\"x\"}");
        assertRecord(records.get(4), "7", "{\"k\":7}");
    }

    @Test
    void limitAndRateAndProgress() throws IOException {
        broker.createTopic("paced", 1);
        List<Replay.Counts> progress = new ArrayList<>();
        long start = System.nanoTime();

        Replay.Counts counts =
                Replay.into(broker.bootstrapServers(), "paced")
                        .limit(6)
                        .rate(20)
                        .progress((soFar, elapsed) -> progress.add(soFar), Duration.ofMillis(50))
                        .run(tripsCsv());

        // the 6th record is not due before 5 / 20 s
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(250));
        assertThat(counts).isEqualTo(new Replay.Counts(Replay.Format.CSV, 6, 2, 4));
        assertThat(progress).isNotEmpty();
        assertThat(progress).allSatisfy(c -> assertThat(c.sent()).isBetween(0L, 6L));
        assertThat(read("paced")).hasSize(6);
    }

    @Test
    void anUnknownKeyColumnIsAClearError() throws IOException {
        Path csv = tripsCsv();
        assertThatThrownBy(
                        () ->
                                Replay.into(broker.bootstrapServers(), "never")
                                        .keyField("taxi")
                                        .run(csv))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no column 'taxi' for the key")
                .hasMessageContaining("id, name, fare, when, code");
    }

    @Test
    void anUnreachableBrokerIsAClearError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(
                        () -> Brokers.requireReachable("127.0.0.1:" + port, Duration.ofSeconds(2)))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "cannot reach Kafka at 127.0.0.1:"
                                + port
                                + " within 2 s — is `./sluice kafka` running?");
    }

    @Test
    void readingAMissingTopicStopsAfterTheIdleTimeout() {
        TopicReader.Result r =
                TopicReader.of(broker.bootstrapServers(), "no-such-topic")
                        .idleTimeout(Duration.ofMillis(500))
                        .read(rec -> {});
        assertThat(r).isEqualTo(new TopicReader.Result(0, TopicReader.Stop.NO_TOPIC));
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic) {
        return TopicReader.of(broker.bootstrapServers(), topic).idleTimeout(IDLE).readAll();
    }

    private static void assertRecord(
            ConsumerRecord<byte[], byte[]> r, String expectedKey, String expectedValue) {
        assertThat(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8))
                .isEqualTo(expectedKey);
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(expectedValue);
    }

    private static void write(ByteArrayOutputStream b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }
}
