package io.sluice.kafka;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Checks made when a job is built, so that a broker that cannot be reached, a missing topic or a
 * transaction timeout the broker refuses is one clear error within a bounded time instead of a job
 * that waits forever.
 */
final class KafkaClients {
    private KafkaClients() {}

    static Properties properties(String bootstrap, Map<String, Object> extra) {
        Properties p = new Properties();
        extra.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    /** An admin client that gives up after {@code timeout}. */
    static Admin admin(Properties base, Duration timeout) {
        Properties p = new Properties();
        p.putAll(base);
        int ms = (int) Math.max(1000, timeout.toMillis());
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(ms));
        try {
            return Admin.create(p);
        } catch (org.apache.kafka.common.KafkaException e) {
            // e.g. bootstrap-servers "host:abc" or a host that does not resolve
            throw new IllegalArgumentException(
                    "cannot use Kafka at "
                            + base.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
                            + ": "
                            + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
                    e);
        }
    }

    /** Fails with a clear message unless the cluster answers within the timeout. */
    static void reach(Admin admin, String bootstrap, Duration timeout, String what)
            throws IOException {
        try {
            admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new IOException(
                    what
                            + ": cannot reach Kafka at "
                            + bootstrap
                            + " within "
                            + timeout.toSeconds()
                            + " s — is the broker running (e.g. ./sluice kafka)?",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + ": interrupted while reaching Kafka", e);
        }
    }

    static Set<String> topics(Admin admin, Duration timeout) throws IOException {
        try {
            return admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new IOException("cannot list Kafka topics: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while listing Kafka topics", e);
        }
    }

    /** Creates a topic (replication factor: the broker's default); another creator is no error. */
    static void createTopic(Admin admin, String topic, int partitions, Duration timeout)
            throws IOException {
        try {
            admin.createTopics(
                            Set.of(
                                    new org.apache.kafka.clients.admin.NewTopic(
                                            topic,
                                            java.util.Optional.of(partitions),
                                            java.util.Optional.empty())))
                    .all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                throw new IOException(
                        "cannot create topic '" + topic + "': " + e.getCause().getMessage(), e);
            }
        } catch (TimeoutException e) {
            throw new IOException(
                    "cannot create topic '" + topic + "' within " + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating topic '" + topic + "'", e);
        }
    }

    /** A broker setting, e.g. transaction.max.timeout.ms, or null when it cannot be read. */
    static String brokerConfig(Admin admin, String name, Duration timeout) {
        try {
            String broker =
                    admin.describeCluster()
                            .nodes()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .iterator()
                            .next()
                            .idString();
            ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, broker);
            Config c =
                    admin.describeConfigs(Set.of(r))
                            .all()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .get(r);
            return c.get(name) == null ? null : c.get(name).value();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return null; // not allowed to read configs, say: the broker will tell at run time
        }
    }
}
