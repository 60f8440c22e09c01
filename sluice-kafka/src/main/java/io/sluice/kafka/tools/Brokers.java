package io.sluice.kafka.tools;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;

/** Admin calls shared by the tools and the local broker, each bounded by a timeout. */
public final class Brokers {
    private Brokers() {}

    /**
     * Returns the topics' names once the cluster answers.
     *
     * @throws IOException "cannot reach Kafka at HOST:PORT within N s — is `./sluice kafka`
     *     running?" when it does not answer in time
     */
    public static Set<String> requireReachable(String bootstrapServers, Duration timeout)
            throws IOException {
        Admin admin = admin(bootstrapServers, timeout);
        try {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new TreeSet<>(
                    admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            throw unreachable(bootstrapServers, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to Kafka", e);
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }

    /**
     * Creates a topic with one replica unless it exists, and waits until it has leaders.
     *
     * @return true when it was created, false when it existed
     */
    public static boolean createTopic(
            String bootstrapServers, String name, int partitions, Duration timeout)
            throws IOException {
        Admin admin = admin(bootstrapServers, timeout);
        try {
            boolean created;
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                        .all()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                created = true;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IOException(
                            "cannot create topic '" + name + "': " + e.getCause().getMessage(),
                            e.getCause());
                }
                created = false;
            }
            // a producer sending right after creation would log leader-not-available warnings;
            // the broker may not know the topic for a moment, so ask until it does
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    admin.describeTopics(Set.of(name))
                            .allTopicNames()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    return created;
                } catch (ExecutionException e) {
                    if (!(e.getCause()
                                    instanceof
                                    org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                            || System.nanoTime() > deadline) {
                        throw e;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException(
                    "topic '"
                            + name
                            + "' did not become ready within "
                            + timeout.toSeconds()
                            + " s",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating topic '" + name + "'", e);
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }

    public static Properties adminConfig(String bootstrapServers, Duration timeout) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "sluice-admin");
        return p;
    }

    static IOException unreachable(String bootstrapServers, Duration timeout, Exception cause) {
        return new IOException(
                "cannot reach Kafka at "
                        + bootstrapServers
                        + " within "
                        + timeout.toSeconds()
                        + " s — is `./sluice kafka` running?",
                cause);
    }

    private static Admin admin(String bootstrapServers, Duration timeout) throws IOException {
        try {
            return Admin.create(adminConfig(bootstrapServers, timeout));
        } catch (KafkaException e) {
            // e.g. "No resolvable bootstrap urls given in bootstrap.servers"
            String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
            throw new IOException("cannot connect to Kafka at " + bootstrapServers + ": " + why, e);
        }
    }
}
