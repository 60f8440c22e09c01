package io.sluice.kafka.it;

import io.sluice.kafka.broker.LocalBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real local broker for every test class of the test JVM that registers this extension: it is
 * started by the first such class and stopped (its data folder deleted) when the whole run ends,
 * through JUnit's root store. Each test uses topics of its own, so classes never see each other's
 * records.
 *
 * <pre>{@code
 * @RegisterExtension static final SharedKafka KAFKA = new SharedKafka();
 * ... KAFKA.bootstrapServers() ...
 * }</pre>
 */
public final class SharedKafka implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(SharedKafka.class);

    private LocalBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker =
                context.getRoot()
                        .getStore(NAMESPACE)
                        .getOrComputeIfAbsent(Running.class, k -> Running.start(), Running.class)
                        .broker;
    }

    public LocalBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("register SharedKafka with @RegisterExtension");
        }
        return broker;
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /**
     * Creates a topic (unless it exists) with the broker's defaults, time retention included, and
     * waits until each partition has a leader. The default retention matters: the sinks stamp
     * records with their write time, so outputs whose event times are years old (the taxi data is
     * from 2024) must survive the broker's retention check, which runs from 30 s after it starts.
     * The wait is a retry, since a broker can answer "unknown topic" for a moment after creating
     * one.
     */
    public void createTopic(String name, int partitions) throws IOException {
        try (Admin admin =
                Admin.create(
                        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IOException("cannot create topic '" + name + "'", e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IOException("cannot create topic '" + name + "' within 30 s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while creating topic '" + name + "'", e);
            }
            Awaitility.await("a leader for every partition of " + name)
                    .atMost(Duration.ofSeconds(30))
                    .pollInSameThread()
                    .ignoreExceptionsInstanceOf(ExecutionException.class)
                    .until(() -> partitionsWithLeaders(admin, name) == partitions);
        }
    }

    private static long partitionsWithLeaders(Admin admin, String topic) throws Exception {
        return admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get()
                .get(topic)
                .partitions()
                .stream()
                .filter(p -> p.leader() != null)
                .count();
    }

    /** The broker, closed by JUnit when the root context (the whole test run) closes. */
    private static final class Running implements ExtensionContext.Store.CloseableResource {
        final LocalBroker broker;
        final Path dir;

        private Running(LocalBroker broker, Path dir) {
            this.broker = broker;
            this.dir = dir;
        }

        static Running start() {
            try {
                // java.io.tmpdir is under target/ in the test JVMs (see the parent pom)
                Path dir = Files.createTempDirectory("sluice-it-kafka");
                return new Running(LocalBroker.start(dir, 0), dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            broker.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
