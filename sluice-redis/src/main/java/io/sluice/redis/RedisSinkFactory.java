package io.sluice.redis;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.sink.SinkFactory;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.problem.Problems;
import java.net.URI;
import java.time.Duration;
import org.apache.flink.api.connector.sink2.Sink;

/**
 * {@code redis} sink: recommendation results kept where online services read them. {@code mode:
 * rankings} takes whole rankings (a scenario's {@code rankings} output) and keeps each as the
 * sorted set {@code <prefix>:hot:<tenant>:<scenario>} (item → score) with a meta hash beside it;
 * {@code mode: profiles} keeps each profile as the hash {@code
 * <prefix>:profile:<tenant>:<scenario>:<user>} (category → interest). Each key is replaced
 * atomically, never by an older record, and expires after {@code ttl}. Writes are pipelined; while
 * Redis cannot be reached they are retried with backoff (the job slows down, nothing is dropped)
 * for up to {@code retry-for}, then the task fails and restarts from its last checkpoint.
 */
public final class RedisSinkFactory implements SinkFactory, PluginCheck {
    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "url",
                            OptionType.STRING,
                            "redis://host:port[/db], or embedded[:port] for a Redis this run starts")
                    .required(
                            "mode",
                            OptionType.oneOf("rankings", "profiles"),
                            "what the records are: whole rankings, or user profiles")
                    .optional("key-prefix", OptionType.STRING, "sluice", "first part of every key")
                    .optional(
                            "ttl",
                            OptionType.DURATION,
                            Duration.ofHours(24),
                            "keys expire this long after their last write (0s: never)")
                    .optional("batch-size", OptionType.INT, 500L, "records per pipelined write")
                    .optional(
                            "max-delay",
                            OptionType.DURATION,
                            Duration.ofMillis(20),
                            "a profile waits at most this long for a batch; rankings go at once")
                    .optional(
                            "retry-for",
                            OptionType.DURATION,
                            Duration.ofMinutes(10),
                            "how long writes are retried while Redis cannot be reached")
                    .optional(
                            "timeout",
                            OptionType.DURATION,
                            Duration.ofSeconds(5),
                            "connect and read timeout")
                    .build();

    @Override
    public String identifier() {
        return "redis";
    }

    @Override
    public String description() {
        return "Keeps hot item rankings as Redis sorted sets and user profiles as hashes.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public void check(Options o, Problems problems) {
        String url = o.string("url");
        if (url != null) {
            try {
                Endpoint.parse(url);
            } catch (IllegalArgumentException e) {
                problems.add(o.pos("url"), o.path("url"), e.getMessage());
            }
        }
        long batch = o.longValue("batch-size");
        if (batch < 1 || batch > 100_000) {
            problems.add(o.pos("batch-size"), o.path("batch-size"), "must be 1 to 100000");
        }
        Duration retry = o.duration("retry-for");
        if (retry != null && retry.toMillis() < 100) {
            problems.add(o.pos("retry-for"), o.path("retry-for"), "must be at least 100ms");
        }
    }

    @Override
    public Sink<SinkRecord> create(SinkSpec spec, Spec job, RunContext run) {
        Options o = spec.options();
        Endpoint e = Endpoint.parse(o.string("url"));
        if (e.embedded() && !EmbeddedRedis.sharedOn(e.port())) {
            EmbeddedRedis.shared(e.port());
            System.err.printf(
                    "Redis:        redis-server on localhost:%d for this run (try: redis-cli -p %d"
                            + " keys 'sluice:hot:*')%n",
                    e.port(), e.port());
        }
        return new RedisSink(
                new RedisSink.Settings(
                        spec.id(),
                        e.host(),
                        e.port(),
                        e.database(),
                        o.string("mode"),
                        o.string("key-prefix"),
                        o.duration("ttl").toMillis(),
                        (int) o.longValue("batch-size"),
                        o.duration("max-delay").toMillis(),
                        o.duration("retry-for").toMillis(),
                        (int) o.duration("timeout").toMillis()));
    }

    /**
     * A redis sink built in code (benchmarks, tests): defaults for everything but where, what and
     * how long keys live.
     */
    public static Sink<SinkRecord> sink(String id, String url, String mode, Duration ttl) {
        Endpoint e = Endpoint.parse(url);
        return new RedisSink(
                new RedisSink.Settings(
                        id,
                        e.host(),
                        e.port(),
                        e.database(),
                        mode,
                        "sluice",
                        ttl.toMillis(),
                        500,
                        20,
                        600_000,
                        5000));
    }

    /** Where Redis is: host, port, database; or a server this run starts. */
    record Endpoint(String host, int port, int database, boolean embedded) {
        static Endpoint parse(String url) {
            if (url.equals("embedded") || url.startsWith("embedded:")) {
                int port = url.equals("embedded") ? 6379 : port(url.substring(9), url);
                return new Endpoint("127.0.0.1", port, 0, true);
            }
            URI u;
            try {
                u = URI.create(url);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("not a URL: '" + url + "'");
            }
            if (!"redis".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException(
                        "expected redis://host:port[/db] or embedded[:port], found '" + url + "'");
            }
            int db = 0;
            String path = u.getPath();
            if (path != null && path.length() > 1) {
                db = port(path.substring(1), url);
            }
            return new Endpoint(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort(), db, false);
        }

        private static int port(String text, String url) {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("bad number '" + text + "' in '" + url + "'");
            }
        }
    }
}
