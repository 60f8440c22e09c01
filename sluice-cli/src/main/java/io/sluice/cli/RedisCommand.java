package io.sluice.cli;

import io.sluice.redis.EmbeddedRedis;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice redis}: a local redis-server until Ctrl-C. */
@Command(
        name = "redis",
        mixinStandardHelpOptions = true,
        description =
                "Run a local redis-server (Redis 6.2, the binary bundled with embedded-redis) until"
                        + " Ctrl-C, for specs whose redis sinks use redis://localhost:PORT. Data"
                        + " stays in the data folder (append-only file) across restarts.")
final class RedisCommand implements Callable<Integer> {
    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "the port (default: ${DEFAULT-VALUE})")
    int port = 6379;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "where Redis keeps its data (default: ${DEFAULT-VALUE})")
    Path dataDir = Path.of("sluice-out", "redis");

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (port < 1 || port > 65535) {
            err.println("error: --port must be between 1 and 65535, not " + port);
            return CommandLine.ExitCode.USAGE;
        }
        Files.createDirectories(dataDir);
        EmbeddedRedis redis;
        try {
            redis = EmbeddedRedis.start(port, dataDir);
        } catch (IOException e) {
            err.println(
                    "error: could not start redis-server on port "
                            + port
                            + " (is the port taken?): "
                            + Errors.oneLine(e));
            return SluiceCli.FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    out.println();
                                    out.println("Stopping Redis ...");
                                    redis.close();
                                    out.println("Redis stopped; data kept in " + dataDir);
                                    out.flush();
                                    stopped.countDown();
                                },
                                "sluice-redis-shutdown"));
        out.println(
                "Redis ready on "
                        + redis.url()
                        + ", data "
                        + dataDir
                        + " (Ctrl-C stops it); try: redis-cli -p "
                        + port
                        + " ping");
        out.flush();
        stopped.await();
        return 0;
    }
}
