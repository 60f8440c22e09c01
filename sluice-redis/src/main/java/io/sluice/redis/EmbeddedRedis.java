package io.sluice.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import redis.embedded.RedisServer;

/**
 * A real redis-server (the binary bundled with embedded-redis) run by this JVM: for {@code url:
 * embedded} sinks in local runs, {@code sluice redis}, and tests. Data is kept in a folder with an
 * append-only file fsynced on every write, so a restarted server comes back with every write it
 * acknowledged.
 */
public final class EmbeddedRedis implements AutoCloseable {
    private static final Map<Integer, EmbeddedRedis> BY_PORT = new HashMap<>();

    private final int port;
    private final RedisServer server;

    private EmbeddedRedis(int port, Path dir) throws IOException {
        this.port = port;
        Files.createDirectories(dir);
        this.server =
                RedisServer.newRedisServer()
                        .port(port)
                        .setting("dir " + dir.toAbsolutePath())
                        .setting("appendonly yes")
                        .setting("appendfsync always")
                        .setting("save \"\"")
                        .onShutdownForceStop(false)
                        .build();
    }

    /** Starts a server on {@code port} keeping its data in {@code dir}. */
    public static EmbeddedRedis start(int port, Path dir) throws IOException {
        EmbeddedRedis r = new EmbeddedRedis(port, dir);
        r.server.start();
        return r;
    }

    /**
     * The server this JVM runs on {@code port}, started on first use (data in a fresh temporary
     * folder) and stopped when the JVM exits.
     */
    public static synchronized EmbeddedRedis shared(int port) {
        EmbeddedRedis r = BY_PORT.get(port);
        if (r == null) {
            try {
                r = start(port, Files.createTempDirectory("sluice-redis-"));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "could not start the embedded Redis on port "
                                + port
                                + " (is the port taken?): "
                                + e.getMessage(),
                        e);
            }
            BY_PORT.put(port, r);
            EmbeddedRedis started = r;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return r;
    }

    /** Whether this JVM already runs a shared server on {@code port}. */
    public static synchronized boolean sharedOn(int port) {
        return BY_PORT.containsKey(port);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Stops the server; {@link #restart()} starts it again on the same port and data. */
    public void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void restart() throws IOException {
        server.start();
    }

    public boolean running() {
        return server.isActive();
    }

    @Override
    public void close() {
        if (server.isActive()) {
            stop();
        }
    }
}
