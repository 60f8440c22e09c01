package io.sluice.bench;

import io.sluice.kafka.broker.LocalBroker;
import io.sluice.kafka.tools.Brokers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Kafka broker the benchmark talks to: a single-node KRaft {@link LocalBroker} in the benchmark
 * JVM ({@code in-process}, the default), the same broker in a child JVM of its own ({@code
 * process}: its garbage collections and threads do not share the benchmark JVM's heap), or a broker
 * that is already running ({@code HOST:PORT}).
 */
final class BenchBroker implements AutoCloseable {
    private static final String READY = "sluice-bench broker ready at ";

    private final String bootstrapServers;
    private final String description;
    private final LocalBroker inProcess;
    private final Process child;

    private BenchBroker(
            String bootstrapServers, String description, LocalBroker inProcess, Process child) {
        this.bootstrapServers = bootstrapServers;
        this.description = description;
        this.inProcess = inProcess;
        this.child = child;
    }

    /**
     * Starts or reaches the broker {@code mode} names; local brokers get a fresh {@code dataDir}.
     */
    static BenchBroker start(String mode, Path dataDir, Path childLog) throws IOException {
        String version = org.apache.kafka.common.utils.AppInfoParser.getVersion();
        switch (mode) {
            case "in-process" -> {
                wipe(dataDir);
                LocalBroker b = LocalBroker.start(dataDir, 0);
                return new BenchBroker(
                        b.bootstrapServers(),
                        "single-node KRaft Kafka "
                                + version
                                + " (broker and controller in one node, LocalBroker) inside the"
                                + " benchmark JVM (it shares heap, garbage collector and CPU"
                                + " with Flink and the benchmark's own clients); data on local"
                                + " disk, no fsync per message (Kafka's default), replication"
                                + " factor 1",
                        b,
                        null);
            }
            case "process" -> {
                wipe(dataDir);
                Process p = launchChild(dataDir, childLog);
                String bs = awaitReady(p);
                return new BenchBroker(
                        bs,
                        "single-node KRaft Kafka "
                                + version
                                + " (broker and controller in one node, LocalBroker) in a separate"
                                + " JVM (-Xmx1g) on the same machine; data on local disk, no fsync"
                                + " per message (Kafka's default), replication factor 1",
                        null,
                        p);
            }
            default -> {
                if (!mode.contains(":")) {
                    throw new IllegalArgumentException(
                            "--broker is in-process, process or HOST:PORT, found '" + mode + "'");
                }
                Brokers.requireReachable(mode, Duration.ofSeconds(15));
                return new BenchBroker(
                        mode,
                        "an external Kafka at "
                                + mode
                                + " (its setup is not known to the benchmark)",
                        null,
                        null);
            }
        }
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    String description() {
        return description;
    }

    void createTopic(String name, int partitions) throws IOException {
        Brokers.createTopic(bootstrapServers, name, partitions, Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        if (inProcess != null) {
            inProcess.close();
        }
        if (child != null) {
            try {
                child.getOutputStream().close(); // end of input: the child stops its broker
                if (!child.waitFor(30, TimeUnit.SECONDS)) {
                    child.destroy();
                    child.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (IOException e) {
                child.destroy();
            } catch (InterruptedException e) {
                child.destroy();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Process launchChild(Path dataDir, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-Dsluice.bench.log=" + log.toAbsolutePath());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ChildMain.class.getName());
        cmd.add(dataDir.toAbsolutePath().toString());
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .start();
    }

    private static String awaitReady(Process p) throws IOException {
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(READY)) {
                return line.substring(READY.length()).strip();
            }
        }
        throw new IOException("the broker process ended before it was ready (see its log)");
    }

    private static void wipe(Path dir) throws IOException {
        LocalBroker.requireUnused(dir);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * The child JVM of {@code --broker=process}: starts the broker, says where it listens, and
     * stops it when its standard input ends (the benchmark closed it, or ended).
     */
    static final class ChildMain {
        private ChildMain() {}

        public static void main(String[] args) throws Exception {
            try (LocalBroker broker = LocalBroker.start(Path.of(args[0]), 0)) {
                System.out.println(READY + broker.bootstrapServers());
                System.out.flush();
                while (System.in.read() != -1) {
                    // wait for the end of input
                }
            }
            System.exit(0);
        }
    }
}
