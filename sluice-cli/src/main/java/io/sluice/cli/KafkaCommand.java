package io.sluice.cli;

import io.sluice.kafka.broker.LocalBroker;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice kafka}: a local single-node Kafka broker in this process until Ctrl-C. */
@Command(
        name = "kafka",
        mixinStandardHelpOptions = true,
        description =
                "Run a local single-node Kafka broker (KRaft, Kafka 4.2 from its own jars, in this process) until Ctrl-C. Data stays in the data folder across restarts.")
final class KafkaCommand implements Callable<Integer> {
    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "the client port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port = 9092;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "topics, metadata and kafka.log (default: ${DEFAULT-VALUE})")
    Path dataDir = Path.of("sluice-out", "kafka");

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (port < 0 || port > 65535) {
            err.println("error: --port must be between 0 and 65535, not " + port);
            return CommandLine.ExitCode.USAGE;
        }
        try {
            // before the log file is opened: it would truncate the running broker's log
            LocalBroker.requireUnused(dataDir);
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return SluiceCli.FAILED;
        }
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("kafka.log");
        // before any logger exists: Kafka's and the clients' logs go to the file, not the terminal
        System.setProperty("sluice.log.file", log.toAbsolutePath().toString());
        // our shutdown hook stops the broker first, then the logging (it would race otherwise)
        System.setProperty("log4j2.shutdownHookEnabled", "false");
        out.println("Starting a local Kafka broker in " + dataDir + " ...");
        out.flush();
        LocalBroker broker;
        try {
            broker = LocalBroker.start(dataDir, port);
        } catch (IOException e) {
            err.println("error: " + Errors.oneLine(e));
            err.println("Kafka log: " + log);
            return SluiceCli.FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    out.println();
                                    out.println("Stopping the Kafka broker ...");
                                    out.flush();
                                    broker.close();
                                    out.println("Kafka broker stopped; data kept in " + dataDir);
                                    out.flush();
                                    org.apache.logging.log4j.LogManager.shutdown();
                                    stopped.countDown();
                                },
                                "sluice-kafka-shutdown"));
        out.println(
                "Kafka broker ready: bootstrap "
                        + broker.bootstrapServers()
                        + ", data "
                        + dataDir
                        + " (Ctrl-C stops it)");
        out.println("Kafka log: " + log);
        out.flush();
        stopped.await(); // the shutdown hook ends the wait; the JVM exits right after it
        return 0;
    }
}
