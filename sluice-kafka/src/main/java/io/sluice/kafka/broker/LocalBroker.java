package io.sluice.kafka.broker;

import io.sluice.kafka.tools.Brokers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool$;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft: broker and controller in one node) running in this JVM from
 * Kafka's own classes, for {@code sluice kafka} and the tests. Not a stand-in: the same server code
 * as a production broker, with replication factors of 1.
 *
 * <p>The data directory holds {@code server.properties} (rewritten on every start, since ports may
 * change), {@code cluster.id} (kept, so a restart reuses the formatted storage) and {@code logs/}
 * (the topics' data and the metadata log).
 */
public final class LocalBroker implements AutoCloseable {
    /** Data folders of the brokers running in this JVM. */
    private static final Set<Path> RUNNING = ConcurrentHashMap.newKeySet();

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int NODE_ID = 1;

    private final Path dataDir;
    private final int port;
    private final KafkaRaftServer server;
    private boolean closed;

    private LocalBroker(Path dataDir, int port, KafkaRaftServer server) {
        this.dataDir = dataDir;
        this.port = port;
        this.server = server;
    }

    /**
     * Formats {@code dataDir} when new, starts the broker and waits until it answers.
     *
     * @param port the client port; 0 picks a free one. The controller port is always a free one.
     * @throws IOException when the port is taken, or the broker does not start within 60 s
     */
    public static LocalBroker start(Path dataDir, int port) throws IOException {
        Path abs = dataDir.toAbsolutePath().normalize();
        requireUnused(abs);
        if (!RUNNING.add(abs)) {
            throw inUse(abs);
        }
        try {
            return launch(abs, port);
        } catch (IOException | RuntimeException e) {
            RUNNING.remove(abs);
            throw e;
        }
    }

    private static LocalBroker launch(Path abs, int port) throws IOException {
        preventExit();
        Files.createDirectories(abs);
        int clientPort = port == 0 ? freePort() : checkFree(port);
        int controllerPort = freePort();
        Properties props = properties(abs, clientPort, controllerPort);
        Path propsFile = abs.resolve("server.properties");
        writeProperties(props, propsFile);
        format(abs, propsFile);
        long t0 = System.nanoTime();
        KafkaRaftServer server =
                new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        LocalBroker broker = new LocalBroker(abs, clientPort, server);
        try {
            server.startup();
            broker.awaitReady();
        } catch (RuntimeException | IOException e) {
            broker.close();
            if (isBindFailure(e)) {
                throw new IOException(
                        "port " + clientPort + " is in use; pass --port (0 picks a free one)", e);
            }
            throw e;
        }
        log().info(
                        "Local Kafka broker ready at {} in {} ms (data {})",
                        broker.bootstrapServers(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                        abs);
        return broker;
    }

    /** {@code 127.0.0.1:<port>}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Creates the topic with {@code partitions} partitions unless it exists (then: no change). */
    public void createTopic(String name, int partitions) throws IOException {
        Brokers.createTopic(bootstrapServers(), name, partitions, Duration.ofSeconds(30));
    }

    /** Stops the broker and waits until it has stopped; the data directory stays. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            RUNNING.remove(dataDir);
        }
        log().info("Local Kafka broker at 127.0.0.1:{} stopped", port);
    }

    /**
     * Fails when a broker (in this JVM or another process) uses {@code dataDir}. Touches no logger,
     * so a command can check before it points the logs at a file in that folder.
     */
    public static void requireUnused(Path dataDir) throws IOException {
        Path abs = dataDir.toAbsolutePath().normalize();
        if (RUNNING.contains(abs)) {
            throw inUse(abs);
        }
        Path lock = abs.resolve("logs").resolve(".lock");
        if (!Files.exists(lock)) {
            return;
        }
        // Kafka holds a lock on this file while it runs. Closing our channel would drop every lock
        // this JVM holds on the file, which is why brokers of this JVM are checked above instead.
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                throw inUse(abs);
            }
            l.release();
        } catch (OverlappingFileLockException e) {
            throw inUse(abs);
        }
    }

    private static IOException inUse(Path dataDir) {
        return new IOException(
                "another Kafka broker is using "
                        + dataDir
                        + "; stop it, or pass another --data-dir");
    }

    private static Logger log() {
        // not a static field: requireUnused must not start the logging
        return LoggerFactory.getLogger(LocalBroker.class);
    }

    static Properties properties(Path dataDir, int port, int controllerPort) {
        Map<String, String> p = new TreeMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dataDir.resolve("logs").toString());
        // one node: every internal topic has a single replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // the defaults (50 partitions each) make the first consumer group or transaction slow
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "true");
        // Flink's exactly-once sink keeps transactions open across checkpoints
        p.put("transaction.max.timeout.ms", "900000");
        // sized for a laptop sharing the JVM with Flink: the cleaner would take 128 MB of heap
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("background.threads", "4");
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private static void writeProperties(Properties props, Path file) throws IOException {
        StringBuilder text =
                new StringBuilder("# written by sluice on every start of the local broker\n");
        for (String key : new TreeSet<>(props.stringPropertyNames())) {
            text.append(key)
                    .append('=')
                    .append(props.getProperty(key).replace("\\", "\\\\"))
                    .append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Formats the storage once; {@code --ignore-formatted} makes a restart a no-op. */
    private static void format(Path dataDir, Path propsFile) throws IOException {
        Path idFile = dataDir.resolve("cluster.id");
        String clusterId;
        if (Files.exists(idFile)) {
            clusterId = Files.readString(idFile, StandardCharsets.UTF_8).strip();
        } else {
            clusterId = formattedClusterId(dataDir);
            if (clusterId == null) {
                clusterId = Uuid.randomUuid().toString();
            }
            Files.writeString(idFile, clusterId + "\n", StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            rc =
                    StorageTool$.MODULE$.execute(
                            new String[] {
                                "format",
                                "-t",
                                clusterId,
                                "-c",
                                propsFile.toString(),
                                "--ignore-formatted"
                            },
                            out);
        } catch (RuntimeException e) {
            throw new IOException(
                    "cannot format Kafka storage in " + dataDir + ": " + e.getMessage(), e);
        }
        String output = buf.toString(StandardCharsets.UTF_8).strip();
        if (rc != 0) {
            throw new IOException(
                    "cannot format Kafka storage in " + dataDir + " (exit " + rc + "): " + output);
        }
        log().info("kafka-storage format: {}", output);
    }

    /** The id in already formatted storage (when cluster.id was deleted), or null. */
    private static String formattedClusterId(Path dataDir) throws IOException {
        Path meta = dataDir.resolve("logs").resolve("meta.properties");
        if (!Files.exists(meta)) {
            return null;
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(meta)) {
            p.load(in);
        }
        return p.getProperty("cluster.id");
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin =
                Admin.create(Brokers.adminConfig(bootstrapServers(), Duration.ofSeconds(5)))) {
            Exception last = null;
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
            }
            throw new IOException(
                    "the Kafka broker did not answer within "
                            + READY_TIMEOUT.toSeconds()
                            + " s (see the log)",
                    last);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the Kafka broker", e);
        }
    }

    /**
     * Kafka's fatal-error paths call {@code Exit.exit}/{@code Exit.halt}, which would end the whole
     * JVM (the CLI, the test fork); here they fail the calling thread instead and log why.
     */
    private static synchronized void preventExit() {
        Exit.setExitProcedure(LocalBroker::refuseExit);
        Exit.setHaltProcedure(LocalBroker::refuseExit);
    }

    private static void refuseExit(int status, String message) {
        log().error("Kafka asked to end the JVM (status {}): {}; not ending it", status, message);
        throw new IllegalStateException(
                "Kafka asked to end the JVM (status " + status + "): " + message);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int checkFree(int port) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return port;
        } catch (BindException e) {
            throw new IOException("port " + port + " is in use; pass --port (0 picks a free one)");
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof BindException
                    || (c.getMessage() != null && c.getMessage().contains("failed to bind"))) {
                return true;
            }
        }
        return false;
    }
}
