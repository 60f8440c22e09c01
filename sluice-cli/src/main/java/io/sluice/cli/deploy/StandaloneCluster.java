package io.sluice.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A Flink standalone session cluster on this machine: a JobManager and a TaskManager, each its own
 * {@code java} process, run from the Flink jars the CLI carries (there is no Flink distribution on
 * Maven Central, so no start scripts: this class does what they do). Its folder holds the
 * configuration ({@code conf/config.yaml}), logs, uploaded jars, savepoints and a {@code
 * cluster.properties} naming the REST address and the processes, so a later command finds it.
 */
public final class StandaloneCluster {
    private static final String STATE = "cluster.properties";

    /**
     * What Flink's start scripts pass ({@code env.java.default-opts.all} of its configuration): the
     * runtime reflects into these JDK packages, e.g. to register DataStream translators.
     */
    private static final List<String> JAVA_OPENS =
            Stream.concat(
                            Stream.of(
                                            "java.base/sun.net.util",
                                            "java.rmi/sun.rmi.registry",
                                            "java.security.jgss/sun.security.krb5")
                                    .map(p -> "--add-exports=" + p + "=ALL-UNNAMED"),
                            Stream.of(
                                            "java.lang",
                                            "java.net",
                                            "java.io",
                                            "java.nio",
                                            "sun.nio.ch",
                                            "java.lang.reflect",
                                            "java.text",
                                            "java.time",
                                            "java.util",
                                            "java.util.concurrent",
                                            "java.util.concurrent.atomic",
                                            "java.util.concurrent.locks")
                                    .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED"))
                    .toList();

    private final Path home;
    private final String rest;
    private final long jobManager;
    private final long taskManager;

    private StandaloneCluster(Path home, String rest, long jobManager, long taskManager) {
        this.home = home;
        this.rest = rest;
        this.jobManager = jobManager;
        this.taskManager = taskManager;
    }

    public String restUrl() {
        return rest;
    }

    public Path home() {
        return home;
    }

    /** Where savepoints go unless a command names another folder. */
    public Path savepoints() {
        return home.resolve("savepoints");
    }

    /** The cluster described in {@code home}, when its processes are still alive. */
    public static Optional<StandaloneCluster> find(Path home) throws IOException {
        Path state = home.resolve(STATE);
        if (!Files.isRegularFile(state)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(state)) {
            p.load(in);
        }
        long jm = Long.parseLong(p.getProperty("jobmanager.pid"));
        long tm = Long.parseLong(p.getProperty("taskmanager.pid"));
        // after a reboot the ids may belong to other processes: those are not ours to stop
        if (!ours(jm, "StandaloneSessionClusterEntrypoint") || !ours(tm, "TaskManagerRunner")) {
            return Optional.empty();
        }
        return Optional.of(new StandaloneCluster(home, p.getProperty("rest"), jm, tm));
    }

    /**
     * Starts a cluster with {@code slots} task slots in {@code home}, its classpath the jars in
     * {@code lib} (Sluice's own left out: jobs bring them in their jar); waits until the
     * TaskManager has registered.
     */
    public static StandaloneCluster start(Path home, Path lib, int slots, Duration timeout)
            throws IOException {
        Path conf = home.resolve("conf");
        Path log = home.resolve("log");
        for (Path d : List.of(conf, log, home.resolve("uploads"), home.resolve("tmp"))) {
            Files.createDirectories(d);
        }
        Files.createDirectories(home.resolve("savepoints"));
        int restPort = freePort();
        int rpcPort = freePort();
        Files.writeString(
                conf.resolve("config.yaml"),
                String.join(
                        "\n",
                        "# written by sluice: a standalone session cluster on this machine",
                        "jobmanager.rpc.address: localhost",
                        "jobmanager.rpc.port: " + rpcPort,
                        "jobmanager.bind-host: localhost",
                        "rest.address: localhost",
                        "rest.bind-address: localhost",
                        "rest.port: " + restPort,
                        "taskmanager.host: localhost",
                        "taskmanager.bind-host: localhost",
                        "taskmanager.numberOfTaskSlots: " + slots,
                        // without the start scripts every TaskManager memory part is explicit
                        "taskmanager.cpu.cores: " + slots,
                        "taskmanager.memory.framework.heap.size: 128m",
                        "taskmanager.memory.task.heap.size: 512m",
                        "taskmanager.memory.framework.off-heap.size: 128m",
                        "taskmanager.memory.task.off-heap.size: 0m",
                        "taskmanager.memory.managed.size: 256m",
                        "taskmanager.memory.network.min: 64m",
                        "taskmanager.memory.network.max: 64m",
                        "taskmanager.memory.jvm-metaspace.size: 256m",
                        "taskmanager.memory.jvm-overhead.min: 192m",
                        "taskmanager.memory.jvm-overhead.max: 192m",
                        "heartbeat.interval: 1000",
                        "heartbeat.timeout: 10000",
                        "web.upload.dir: " + home.resolve("uploads").toAbsolutePath(),
                        "io.tmp.dirs: " + home.resolve("tmp").toAbsolutePath(),
                        "execution.checkpointing.savepoint-dir: "
                                + home.resolve("savepoints").toAbsolutePath().toUri(),
                        ""));
        Files.writeString(
                conf.resolve("log4j2.properties"),
                String.join(
                        "\n",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.file.ref = file",
                        "appender.file.type = File",
                        "appender.file.name = file",
                        "appender.file.fileName = ${sys:log.file}",
                        "appender.file.layout.type = PatternLayout",
                        "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
                        ""));
        String classpath = classpath(lib);
        Process jm =
                launch(
                        home,
                        classpath,
                        "jobmanager",
                        "-Xmx768m",
                        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        Process tm =
                launch(
                        home,
                        classpath,
                        "taskmanager",
                        "-Xmx700m",
                        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
        String rest = "http://localhost:" + restPort;
        StandaloneCluster c = new StandaloneCluster(home, rest, jm.pid(), tm.pid());
        Properties p = new Properties();
        p.setProperty("rest", rest);
        p.setProperty("jobmanager.pid", Long.toString(jm.pid()));
        p.setProperty("taskmanager.pid", Long.toString(tm.pid()));
        try (OutputStream out = Files.newOutputStream(home.resolve(STATE))) {
            p.store(out, "a Flink standalone cluster started by sluice");
        }
        c.awaitReady(slots, timeout);
        return c;
    }

    /** Stops both processes (TERM, then KILL after 15 s) and forgets the cluster. */
    public void stop() throws IOException {
        for (long pid : List.of(taskManager, jobManager)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        for (long pid : List.of(taskManager, jobManager)) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isPresent()) {
                try {
                    h.get().onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.get().destroyForcibly();
                }
            }
        }
        Files.deleteIfExists(home.resolve(STATE));
    }

    private void awaitReady(int slots, Duration timeout) throws IOException {
        FlinkRest client = new FlinkRest(rest);
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            for (String role : List.of("jobmanager", "taskmanager")) {
                long pid = role.equals("jobmanager") ? jobManager : taskManager;
                if (!alive(pid)) {
                    stop(); // the other process, if it still runs
                    throw new IOException(
                            "the "
                                    + role
                                    + " process ended while starting; its log ends:\n"
                                    + tail(home.resolve("log").resolve(role + ".out"), 10)
                                    + "\n"
                                    + tail(home.resolve("log").resolve(role + ".log"), 15));
                }
            }
            try {
                JsonNode o = client.overview();
                if (o.path("taskmanagers").asInt() >= 1 && o.path("slots-total").asInt() >= slots) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        stop();
        throw new IOException(
                "the cluster did not come up within "
                        + timeout
                        + " (logs in "
                        + home.resolve("log")
                        + ")",
                last);
    }

    private static Process launch(
            Path home, String classpath, String role, String heap, String mainClass)
            throws IOException {
        Path conf = home.resolve("conf").toAbsolutePath();
        Path logFile = home.resolve("log").resolve(role + ".log").toAbsolutePath();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add(heap);
        cmd.add("-XX:MaxDirectMemorySize=512m");
        cmd.addAll(JAVA_OPENS);
        cmd.add("-Dlog.file=" + logFile);
        cmd.add("-Dlog4j.configurationFile=" + conf.resolve("log4j2.properties").toUri());
        cmd.add("-Dlog4j2.statusLoggerLevel=OFF");
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(conf.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(home.resolve("log").resolve(role + ".out").toFile());
        pb.directory(home.toFile());
        return pb.start();
    }

    /** The jars in {@code lib} but Sluice's own. */
    private static String classpath(Path lib) throws IOException {
        if (!Files.isDirectory(lib)) {
            throw new IOException(lib + " does not exist: build the CLI first (./mvnw package)");
        }
        try (Stream<Path> jars = Files.list(lib)) {
            return String.join(
                    java.io.File.pathSeparator,
                    jars.filter(j -> j.toString().endsWith(".jar"))
                            .filter(j -> !j.getFileName().toString().startsWith("sluice-"))
                            .sorted()
                            .map(j -> j.toAbsolutePath().toString())
                            .toList());
        }
    }

    /** Whether the process is alive and runs this Flink entry point. */
    private static boolean ours(long pid, String mainClass) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .flatMap(h -> h.info().commandLine())
                .map(c -> c.contains(mainClass))
                .orElse(false);
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + file + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
