package io.sluice.redis;

/**
 * The Lua scripts the sink writes with. Redis runs a script as one command, so a reader sees a key
 * either as it was or as fully replaced, never in between. Each script first checks its arguments
 * (a script failing half-way is not rolled back), then replaces the key only if the incoming record
 * is not older than the stored one, so a replay after a restart never puts back an older ranking or
 * profile, and replaying the same record writes the same content.
 */
final class RedisScripts {
    private RedisScripts() {}

    /**
     * KEYS: the ranking's sorted set, its meta hash. Of two windows with the same end (two config
     * versions' windows of other sizes), the newer version's stays. ARGV: window end (ms), TTL (ms,
     * 0: none), window start, config version, then score and member pairs.
     */
    static final String RANKING =
            """
            local incoming = tonumber(ARGV[1]); local ttl = tonumber(ARGV[2])
            if not incoming or not ttl or (#ARGV - 4) % 2 ~= 0 then
              return redis.error_reply('ERR sluice: bad ranking arguments')
            end
            local stored = tonumber(redis.call('HGET', KEYS[2], 'window_end'))
            if stored and incoming < stored then return 0 end
            if stored and incoming == stored then
              local version = tonumber(redis.call('HGET', KEYS[2], 'config_version'))
              if version and tonumber(ARGV[4]) < version then return 0 end
            end
            redis.call('DEL', KEYS[1])
            local i, n = 5, #ARGV
            while i <= n do
              local j = math.min(i + 999, n)
              redis.call('ZADD', KEYS[1], unpack(ARGV, i, j))
              i = j + 1
            end
            redis.call('HSET', KEYS[2], 'window_end', ARGV[1], 'window_start', ARGV[3],
                       'config_version', ARGV[4])
            if ttl > 0 then
              redis.call('PEXPIRE', KEYS[1], ttl); redis.call('PEXPIRE', KEYS[2], ttl)
            end
            return 1
            """;

    /**
     * KEYS: the profile hash. ARGV: updated at (ms), TTL (ms, 0: none), config version, then field
     * and value pairs. The hash keeps {@code _updated_at} and {@code _config_version} beside the
     * categories.
     */
    static final String PROFILE =
            """
            local incoming = tonumber(ARGV[1]); local ttl = tonumber(ARGV[2])
            if not incoming or not ttl or (#ARGV - 3) % 2 ~= 0 then
              return redis.error_reply('ERR sluice: bad profile arguments')
            end
            local stored = tonumber(redis.call('HGET', KEYS[1], '_updated_at'))
            if stored and incoming < stored then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], '_updated_at', ARGV[1], '_config_version', ARGV[3])
            local i, n = 4, #ARGV
            while i <= n do
              local j = math.min(i + 999, n)
              redis.call('HSET', KEYS[1], unpack(ARGV, i, j))
              i = j + 1
            end
            if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
            return 1
            """;
}
