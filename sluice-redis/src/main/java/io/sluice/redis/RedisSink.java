package io.sluice.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.sink.BatchingWriter;
import io.sluice.runtime.sink.SinkRecord;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Writes rankings or profiles to Redis with the guarded scripts of {@link RedisScripts}. Records
 * are buffered and written in one pipeline when the batch is full, when a ranking arrives (rankings
 * are few and their readers wait for them), {@code max-delay} after the first buffered one, and
 * before every checkpoint completes; so a checkpoint covers only records Redis has. A write that
 * fails because Redis cannot be reached (or is loading, or lost the scripts in a restart) is
 * retried whole, with backoff, which the guards make safe.
 */
final class RedisSink implements Sink<SinkRecord> {
    private static final long serialVersionUID = 1L;

    record Settings(
            String id,
            String host,
            int port,
            int database,
            String mode,
            String prefix,
            long ttlMillis,
            int batchSize,
            long maxDelayMillis,
            long retryForMillis,
            int timeoutMillis)
            implements Serializable {}

    private final Settings settings;

    RedisSink(Settings settings) {
        this.settings = settings;
    }

    @Override
    public SinkWriter<SinkRecord> createWriter(WriterInitContext context) {
        return new Writer(settings, context.getProcessingTimeService());
    }

    /** One script call: its keys and arguments. */
    record Op(boolean ranking, List<String> keys, List<String> args) {}

    static final class Writer extends BatchingWriter<Op> {
        private final Settings s;
        private final boolean rankings;
        private final ObjectMapper json = new ObjectMapper();
        private final JedisClientConfig client;
        private Jedis jedis;
        private String rankingSha;
        private String profileSha;

        Writer(Settings s, ProcessingTimeService time) {
            super(s.id(), time, s.batchSize(), s.maxDelayMillis(), s.retryForMillis());
            this.s = s;
            this.rankings = s.mode().equals("rankings");
            this.client =
                    DefaultJedisClientConfig.builder()
                            .connectionTimeoutMillis(s.timeoutMillis())
                            .socketTimeoutMillis(s.timeoutMillis())
                            .database(s.database())
                            .clientName("sluice-" + s.id())
                            .build();
        }

        @Override
        protected Op operation(SinkRecord record) throws IOException {
            return rankings ? ranking(record) : profile(record);
        }

        @Override
        protected boolean urgent(Op op) {
            return op.ranking();
        }

        @Override
        protected String target() {
            return "Redis at " + s.host() + ":" + s.port();
        }

        @Override
        public void close() {
            dropConnection();
        }

        private Op ranking(SinkRecord r) throws IOException {
            JsonNode n = json.readTree(r.value);
            JsonNode items = n.get("items");
            if (items == null || !items.isArray()) {
                throw wrongRecord("items");
            }
            String key = s.prefix() + ":hot:" + text(n, "tenant") + ":" + text(n, "scenario");
            List<String> args = new ArrayList<>(4 + 2 * items.size());
            args.add(Long.toString(millis(n, "window_end")));
            args.add(Long.toString(s.ttlMillis()));
            args.add(Long.toString(millis(n, "window_start")));
            args.add(Long.toString(r.configVersion));
            for (JsonNode item : items) {
                args.add(Double.toString(item.get("score").asDouble()));
                args.add(item.get("item_id").asText());
            }
            return new Op(true, List.of(key, key + ":meta"), args);
        }

        private Op profile(SinkRecord r) throws IOException {
            JsonNode n = json.readTree(r.value);
            JsonNode cats = n.get("categories");
            if (cats == null || !cats.isArray()) {
                throw wrongRecord("categories");
            }
            String key =
                    s.prefix()
                            + ":profile:"
                            + text(n, "tenant")
                            + ":"
                            + text(n, "scenario")
                            + ":"
                            + text(n, "user_id");
            List<String> args = new ArrayList<>(3 + 2 * cats.size());
            args.add(Long.toString(millis(n, "updated_at")));
            args.add(Long.toString(s.ttlMillis()));
            args.add(Long.toString(r.configVersion));
            for (JsonNode c : cats) {
                args.add(c.get("category_id").asText());
                args.add(Double.toString(c.get("interest").asDouble()));
            }
            return new Op(false, List.of(key), args);
        }

        private IllegalArgumentException wrongRecord(String field) {
            return new IllegalArgumentException(
                    "redis sink '"
                            + s.id()
                            + "' (mode "
                            + s.mode()
                            + ") got a record without '"
                            + field
                            + "': send it a scenario's "
                            + s.mode()
                            + " (scenarios."
                            + s.mode()
                            + " in the spec)");
        }

        private String text(JsonNode n, String field) {
            JsonNode v = n.get(field);
            if (v == null || v.isNull()) {
                throw wrongRecord(field);
            }
            return v.asText();
        }

        private long millis(JsonNode n, String field) {
            return Instant.parse(text(n, field)).toEpochMilli();
        }

        /** One pipeline of script calls; why it must be written again, or null. */
        @Override
        protected String writeOnce(List<Op> batch) throws IOException {
            try {
                if (jedis == null) {
                    jedis = new Jedis(new HostAndPort(s.host(), s.port()), client);
                    rankingSha = null;
                }
                if (rankingSha == null) {
                    rankingSha = jedis.scriptLoad(RedisScripts.RANKING);
                    profileSha = jedis.scriptLoad(RedisScripts.PROFILE);
                }
                Pipeline p = jedis.pipelined();
                for (Op op : batch) {
                    p.evalsha(op.ranking() ? rankingSha : profileSha, op.keys(), op.args());
                }
                for (Object reply : p.syncAndReturnAll()) {
                    if (reply instanceof JedisDataException e) {
                        throw e;
                    }
                }
                return null;
            } catch (JedisConnectionException e) {
                dropConnection();
                return e.getMessage();
            } catch (JedisDataException e) {
                String m = String.valueOf(e.getMessage());
                if (!transientReply(m)) {
                    throw new IOException(
                            "redis sink '" + s.id() + "': Redis refused a write: " + m, e);
                }
                // a restarted Redis loading its data, or one that lost the scripts
                dropConnection();
                return m;
            }
        }

        /** Replies that say "not now" rather than "never": Redis restarting, busy, failing over. */
        private static boolean transientReply(String m) {
            return m.startsWith("NOSCRIPT")
                    || m.startsWith("LOADING")
                    || m.startsWith("BUSY")
                    || m.startsWith("TRYAGAIN")
                    || m.startsWith("MASTERDOWN")
                    || m.startsWith("READONLY");
        }

        private void dropConnection() {
            if (jedis != null) {
                try {
                    jedis.close();
                } catch (RuntimeException ignored) {
                    // the connection is broken already
                }
                jedis = null;
            }
        }
    }
}
