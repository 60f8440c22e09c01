package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

/**
 * The sink's scripts on a real redis-server: a ranking or profile replaces the key whole, an older
 * one replayed after a newer never overwrites it, the same one replayed writes the same content,
 * and bad arguments are refused before anything is written.
 */
class RedisScriptsITCase {
    @TempDir static Path dir;
    static EmbeddedRedis redis;
    static Jedis jedis;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        redis = EmbeddedRedis.start(port, dir);
        jedis = new Jedis("127.0.0.1", port);
    }

    @AfterAll
    static void stop() {
        jedis.close();
        redis.close();
    }

    static Object ranking(String key, long end, String... scoreAndItem) {
        List<String> args =
                new java.util.ArrayList<>(List.of(Long.toString(end), "60000", "0", "1"));
        args.addAll(List.of(scoreAndItem));
        return jedis.eval(RedisScripts.RANKING, List.of(key, key + ":meta"), args);
    }

    static List<String> items(String key) {
        return jedis.zrevrangeWithScores(key, 0, -1).stream()
                .map(t -> t.getElement() + "=" + t.getScore())
                .toList();
    }

    @Test
    void aRankingIsReplacedWholeAndNeverByAnOlderWindow() {
        String key = "sluice:hot:t:s1";
        assertThat(ranking(key, 200, "3.0", "a", "2.0", "b")).isEqualTo(1L);
        assertThat(ranking(key, 300, "5.0", "c")).isEqualTo(1L);
        assertThat(items(key)).containsExactly("c=5.0"); // a and b are gone: replaced, not merged
        assertThat(ranking(key, 200, "3.0", "a", "2.0", "b")).isEqualTo(0L); // a replay of 200
        assertThat(items(key)).containsExactly("c=5.0");
        assertThat(ranking(key, 300, "5.0", "c")).isEqualTo(1L); // the same window again
        assertThat(items(key)).containsExactly("c=5.0");
        assertThat(jedis.hget(key + ":meta", "window_end")).isEqualTo("300");
        assertThat(jedis.pttl(key)).isBetween(1L, 60_000L);
        List<Tuple> none = jedis.zrangeWithScores("sluice:hot:t:other", 0, -1);
        assertThat(none).isEmpty();
    }

    @Test
    void ofTwoRankingsForTheSameWindowEndTheNewerVersionStays() {
        String key = "sluice:hot:t:s3";
        jedis.eval(
                RedisScripts.RANKING,
                List.of(key, key + ":meta"),
                List.of("500", "0", "0", "2", "9.0", "new"));
        jedis.eval(
                RedisScripts.RANKING,
                List.of(key, key + ":meta"),
                List.of("500", "0", "0", "1", "1.0", "old"));
        assertThat(items(key)).containsExactly("new=9.0");
        assertThat(jedis.hget(key + ":meta", "config_version")).isEqualTo("2");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnyWrite() {
        String key = "sluice:hot:t:s2";
        ranking(key, 100, "1.0", "a");
        assertThatThrownBy(() -> ranking(key, 200, "2.0"))
                .hasMessageContaining("bad ranking arguments");
        assertThat(items(key)).containsExactly("a=1.0");
    }

    @Test
    void aProfileIsReplacedWholeAndNeverByAnOlderUpdate() {
        String key = "sluice:profile:t:s:u-1";
        jedis.eval(
                RedisScripts.PROFILE,
                List.of(key),
                List.of("100", "0", "1", "c-1", "2.5", "c-2", "1.0"));
        jedis.eval(RedisScripts.PROFILE, List.of(key), List.of("200", "0", "2", "c-3", "4.0"));
        jedis.eval(RedisScripts.PROFILE, List.of(key), List.of("100", "0", "1", "c-1", "2.5"));
        Map<String, String> h = jedis.hgetAll(key);
        assertThat(h)
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("_updated_at", "200", "_config_version", "2", "c-3", "4.0"));
        assertThat(jedis.pttl(key)).isEqualTo(-1L); // ttl 0: the key does not expire
    }
}
