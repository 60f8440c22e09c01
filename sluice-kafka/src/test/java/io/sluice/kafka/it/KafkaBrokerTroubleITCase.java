package io.sluice.kafka.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trouble with the broker is one clear error when the job is built, within a bounded time: no
 * broker at the address, a topic that is not there, a transaction timeout the broker would refuse.
 */
class KafkaBrokerTroubleITCase {
    static final Duration BOUND = Duration.ofSeconds(10);

    @RegisterExtension static final SharedKafka KAFKA = new SharedKafka();

    @TempDir Path dir;

    @Test
    void aSourceWithNoBrokerAtItsAddressFailsWithinItsConnectTimeout() throws IOException {
        String nobody = "127.0.0.1:" + closedPort();
        Spec spec = load(source(nobody, "trouble-anything", "connect-timeout: 2s"), consoleSink());

        long start = System.nanoTime();
        assertThatThrownBy(() -> compose(spec))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "source 'in': cannot reach Kafka at "
                                + nobody
                                + " within 2 s — is the broker running (e.g. ./sluice kafka)?");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BOUND);
    }

    @Test
    void aSinkWithNoBrokerAtItsAddressFailsWithinItsConnectTimeout() throws IOException {
        KAFKA.createTopic("trouble-sink-in", 1);
        String nobody = "127.0.0.1:" + closedPort();
        Spec spec =
                load(
                        source(KAFKA.bootstrapServers(), "trouble-sink-in", ""),
                        kafkaSink(nobody, "trouble-out", "connect-timeout: 2s"));

        long start = System.nanoTime();
        assertThatThrownBy(() -> compose(spec))
                .isInstanceOf(UncheckedIOException.class)
                .cause()
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "sink 'out': cannot reach Kafka at "
                                + nobody
                                + " within 2 s — is the broker running (e.g. ./sluice kafka)?");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BOUND);
    }

    @Test
    void aMissingInputTopicIsAClearErrorListingTheTopicsThatExist() throws Exception {
        KAFKA.createTopic("trouble-trips", 1);
        KAFKA.createTopic("trouble-fares", 1);
        Spec spec = load(source(KAFKA.bootstrapServers(), "trouble-trip", ""), consoleSink());
        Set<String> existing = topics();
        assertThat(existing)
                .contains("trouble-trips", "trouble-fares")
                .doesNotContain("trouble-trip");

        long start = System.nanoTime();
        assertThatThrownBy(() -> compose(spec))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(
                        "source 'in': no topic 'trouble-trip' on "
                                + KAFKA.bootstrapServers()
                                + " — create it, or replay a file into it with ./sluice replay."
                                + " unknown topic 'trouble-trip' (known: ")
                .hasMessageEndingWith("; did you mean 'trouble-trips'?")
                .hasMessageContaining(
                        "(known: " + String.join(", ", new TreeSet<>(existing)) + ")");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BOUND);
        assertThat(topics())
                .as("checking must not create the topic")
                .doesNotContain("trouble-trip");
    }

    @Test
    void aTransactionTimeoutAboveTheBrokersMaximumIsRejectedWithBothFigures() throws Exception {
        KAFKA.createTopic("trouble-tx-in", 1);
        // the local broker allows transactions of up to 900000 ms; 16m is 960000 ms
        Spec spec =
                load(
                        source(KAFKA.bootstrapServers(), "trouble-tx-in", ""),
                        kafkaSink(
                                KAFKA.bootstrapServers(),
                                "trouble-tx-out",
                                "delivery-guarantee: exactly-once, transaction-timeout: 16m"));

        assertThatThrownBy(() -> compose(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "sink 'out': transaction-timeout 960000 ms is above the broker's"
                                + " transaction.max.timeout.ms (900000 ms): lower it");
    }

    @Test
    void aTransactionTimeoutAtTheBrokersMaximumIsAccepted() throws Exception {
        KAFKA.createTopic("trouble-tx-ok-in", 1);
        Spec spec =
                load(
                        source(KAFKA.bootstrapServers(), "trouble-tx-ok-in", ""),
                        kafkaSink(
                                KAFKA.bootstrapServers(),
                                "trouble-tx-ok-out",
                                "delivery-guarantee: exactly-once, transaction-timeout: 15m"));
        compose(spec);
    }

    // ---- helpers ----

    private void compose(Spec spec) throws IOException {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment();
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
    }

    private static Spec load(String source, String sink) {
        String text =
                """
                name: trouble
                runtime:
                  parallelism: 1
                  checkpoint-interval: 1s
                sources:
                %s
                sinks:
                %s
                pipelines:
                  - id: p
                    source: in
                    dead-letters: out
                    steps:
                      - {id: need-id, processor: validate, required: [id], output: out}
                """
                        .formatted(source, sink);
        return new SpecLoader(PluginRegistry.load()).load("trouble.yaml", text);
    }

    private static String source(String bootstrap, String topic, String extra) {
        return "  - {id: in, type: kafka, bootstrap-servers: \"%s\", topics: [%s], format: json, fields: [{name: id, type: long}]%s}"
                .formatted(bootstrap, topic, extra.isEmpty() ? "" : ", " + extra);
    }

    private static String consoleSink() {
        return "  - {id: out, type: console}";
    }

    private static String kafkaSink(String bootstrap, String topic, String extra) {
        return "  - {id: out, type: kafka, bootstrap-servers: \"%s\", topic: %s, %s}"
                .formatted(bootstrap, topic, extra);
    }

    /** A port nothing listens on: taken from the system, then released. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Set<String> topics() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }
}
