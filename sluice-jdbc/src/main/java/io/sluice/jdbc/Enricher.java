package io.sluice.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import java.io.IOException;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an enrich step does to one event on one task, whichever operator runs it: reads the values
 * that find each dimension's row (a field, an earlier dimension's field, or a key of the JSON
 * payload), finds the rows — in the task's copy of a {@code broadcast} table, or through the
 * bounded, expiring cache of a {@code lookup} dimension, querying the database on a miss — and
 * fills the dimension's fields. A missing row leaves them null, or asks for a dead letter, or, for
 * a {@code wait} dimension, asks the caller to hold the event and try again. While the database
 * cannot be reached a lookup is retried with backoff (the step slows down, nothing is dropped) for
 * up to the dimension's {@code retry-for}.
 */
final class Enricher {
    private static final Logger LOG = LoggerFactory.getLogger(Enricher.class);
    private static final Object[] NONE = new Object[0];

    /** Where an event value comes from: a row field, else a key of the JSON payload. */
    record ValueAt(int field, String payloadKey) implements Serializable {}

    /** The step as the operators need it. */
    record Settings(
            List<Dimension> dims,
            List<ValueAt> on,
            List<ValueAt> key,
            int payloadField,
            int inputArity,
            int resultArity,
            String step,
            String position,
            long retryMs)
            implements Serializable {}

    /** What became of one attempt. */
    static final class Outcome {
        EventRow row;

        /** The dimension whose missing row sends the event to dead letters, or null. */
        Dimension dead;

        String deadKey;

        /** Whether a {@code wait} dimension's row is missing and the event should be held. */
        boolean hold;

        /** Dimensions whose rows were missing when the event stopped waiting, with their keys. */
        final List<String[]> gaveUp = new ArrayList<>();

        /** Dimensions without a row for the event. */
        int misses;
    }

    private final Settings s;
    private final List<Map<String, Object[]>> tables = new ArrayList<>();
    private final List<Cache<String, Object[]>> caches = new ArrayList<>();
    private final Connection[] connections;
    private final PreparedStatement[] statements;
    private final JsonFactory jsonFactory = new JsonFactory();
    final ObjectMapper json = new ObjectMapper();
    private final String[] payloadKeys;
    private final int[] offsets;
    private final LongCounter lookups;
    private final LongCounter hits;
    private final LongCounter missing;

    Enricher(Settings s, RuntimeContext ctx) {
        this.s = s;
        int n = s.dims().size();
        connections = new Connection[n];
        statements = new PreparedStatement[n];
        offsets = new int[n];
        int at = s.inputArity();
        for (int i = 0; i < n; i++) {
            Dimension d = s.dims().get(i);
            offsets[i] = at;
            at += d.fields().size();
            tables.add(d.mode() == Dimension.Mode.BROADCAST ? new HashMap<>() : null);
            caches.add(d.mode() == Dimension.Mode.LOOKUP ? cache(d, s.retryMs()) : null);
        }
        List<String> keys = new ArrayList<>();
        for (ValueAt v : s.on()) {
            if (v.field() < 0 && !keys.contains(v.payloadKey())) {
                keys.add(v.payloadKey());
            }
        }
        payloadKeys = keys.toArray(String[]::new);
        lookups = ctx.getLongCounter(Counters.ENRICH_LOOKUPS);
        hits = ctx.getLongCounter(Counters.ENRICH_HITS);
        missing = ctx.getLongCounter(Counters.ENRICH_MISSING);
    }

    private static Cache<String, Object[]> cache(Dimension d, long retryMs) {
        long ttlNanos = d.cacheTtlMs() * 1_000_000L;
        // a row that is not there is asked for again soon: it may be on its way
        long absentNanos = Math.min(ttlNanos, retryMs * 1_000_000L);
        return Caffeine.newBuilder()
                .maximumSize(d.cacheSize())
                .expireAfter(
                        new Expiry<String, Object[]>() {
                            @Override
                            public long expireAfterCreate(String k, Object[] v, long now) {
                                return v == NONE ? absentNanos : ttlNanos;
                            }

                            @Override
                            public long expireAfterUpdate(
                                    String k, Object[] v, long now, long current) {
                                return expireAfterCreate(k, v, now);
                            }

                            @Override
                            public long expireAfterRead(
                                    String k, Object[] v, long now, long current) {
                                return current;
                            }
                        })
                .build();
    }

    /** Loads every broadcast table whole (when the task opens). */
    void loadBroadcast() throws SQLException {
        for (int i = 0; i < s.dims().size(); i++) {
            Dimension d = s.dims().get(i);
            if (d.mode() == Dimension.Mode.BROADCAST) {
                try (Connection c = d.connect()) {
                    Map<String, Object[]> rows = d.loadAll(c);
                    tables.get(i).clear();
                    tables.get(i).putAll(rows);
                }
            }
        }
    }

    /** Loads the broadcast tables, retrying with backoff while the database cannot be reached. */
    void loadBroadcastRetrying() throws Exception {
        retrying(
                "loading broadcast dimensions",
                s.dims().get(0),
                () -> {
                    loadBroadcast();
                    return null;
                });
    }

    boolean hasBroadcast() {
        return s.dims().stream().anyMatch(d -> d.mode() == Dimension.Mode.BROADCAST);
    }

    /** A broadcast row of dimension {@code d} changed (null values: gone). */
    void put(int d, String key, Object[] values) {
        if (values == null) {
            tables.get(d).remove(key);
        } else {
            tables.get(d).put(key, values);
        }
    }

    /** Applies a message of {@link DimensionSource}; returns it decoded. */
    DimensionUpdates.Update apply(String message) throws IOException {
        DimensionUpdates.Update u = DimensionUpdates.decode(json, message, s.dims());
        Map<String, Object[]> t = tables.get(u.dimension());
        if (u.whole()) {
            t.clear();
        }
        for (int i = 0; i < u.keys().size(); i++) {
            t.put(u.keys().get(i), u.values().get(i));
        }
        return u;
    }

    /**
     * One attempt at enriching {@code in}, which has waited {@code waitedMs} so far: a {@code wait}
     * dimension's missing row holds the event until it has waited that dimension's {@code wait}
     * (then its fields stay null and it is reported in {@code gaveUp}). Misses are counted once,
     * when the attempt lets the event go.
     */
    Outcome enrich(EventRow in, long waitedMs) throws Exception {
        Outcome o = attempt(in, waitedMs);
        if (!o.hold) {
            missing.add(o.misses);
        }
        return o;
    }

    private Outcome attempt(EventRow in, long waitedMs) throws Exception {
        Outcome o = new Outcome();
        EventRow row = in.widen(s.resultArity());
        String[] payload = payloadKeys.length == 0 ? null : payloadValues(in);
        for (int i = 0; i < s.dims().size(); i++) {
            Dimension d = s.dims().get(i);
            String key = value(row, s.on().get(i), payload);
            Object[] found = key == null ? null : find(i, d, key);
            if (found != null) {
                System.arraycopy(found, 0, row.values(), offsets[i], found.length);
                continue;
            }
            switch (d.missing()) {
                case NULL -> o.misses++;
                case DEAD_LETTER -> {
                    o.misses++;
                    o.dead = d;
                    o.deadKey = key;
                    return o;
                }
                case WAIT -> {
                    if (waitedMs < d.waitMs() && key != null) {
                        o.hold = true;
                        return o;
                    }
                    o.misses++;
                    o.gaveUp.add(new String[] {d.id(), key});
                }
            }
        }
        o.row = row;
        return o;
    }

    /** The text of the event's value at {@code at} (null when absent). */
    String value(EventRow row, ValueAt at, String[] payload) {
        if (at.field() >= 0) {
            Object v = row.get(at.field());
            return v == null ? null : v.toString();
        }
        for (int k = 0; k < payloadKeys.length; k++) {
            if (payloadKeys[k].equals(at.payloadKey())) {
                return payload[k];
            }
        }
        return null;
    }

    private String[] payloadValues(EventRow row) {
        Object text = s.payloadField() < 0 ? null : row.get(s.payloadField());
        return readPayload(jsonFactory, text, payloadKeys);
    }

    /**
     * Top-level scalar values of a JSON object's {@code keys} (null entries are skipped), as text;
     * null when absent, not scalar, or the text is not a JSON object.
     */
    static String[] readPayload(JsonFactory f, Object text, String[] keys) {
        String[] out = new String[keys.length];
        if (!(text instanceof String payload)) {
            return out;
        }
        try (JsonParser p = f.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return out;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                int k = indexOf(keys, name);
                if (k >= 0 && t.isScalarValue() && t != JsonToken.VALUE_NULL) {
                    out[k] = p.getText();
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            // a malformed payload has no values: the rows it would find are missing
        }
        return out;
    }

    private static int indexOf(String[] keys, String name) {
        for (int i = 0; i < keys.length; i++) {
            if (name.equals(keys[i])) {
                return i;
            }
        }
        return -1;
    }

    private Object[] find(int i, Dimension d, String key) throws Exception {
        if (d.mode() == Dimension.Mode.BROADCAST) {
            return tables.get(i).get(key);
        }
        lookups.add(1);
        Cache<String, Object[]> cache = caches.get(i);
        Object[] v = cache.getIfPresent(key);
        if (v != null) {
            hits.add(1);
            return v == NONE ? null : v;
        }
        Object[] row = retrying("looking up " + key, d, () -> query(i, d, key));
        cache.put(key, row == null ? NONE : row);
        return row;
    }

    private Object[] query(int i, Dimension d, String key) throws SQLException {
        if (statements[i] == null) {
            connections[i] = d.connect();
            try {
                statements[i] = d.prepareLookup(connections[i]);
            } catch (SQLException e) {
                closeConnection(i);
                throw e;
            }
        }
        try {
            return d.lookup(statements[i], key);
        } catch (SQLException e) {
            closeConnection(i);
            throw e;
        }
    }

    interface Call<T> {
        T call() throws SQLException;
    }

    /**
     * Runs {@code call}, retrying with backoff (100 ms doubling to 5 s) while the database fails,
     * for up to the dimension's {@code retry-for}; then fails naming the dimension.
     */
    <T> T retrying(String what, Dimension d, Call<T> call) throws Exception {
        long start = System.currentTimeMillis();
        long backoff = 100;
        boolean warned = false;
        while (true) {
            try {
                T t = call.call();
                if (warned) {
                    LOG.info("{}: the database answers again", d.describe());
                }
                return t;
            } catch (SQLException e) {
                if (!JdbcSink.Writer.transient_(e)) {
                    // a statement the database refuses (a wrong column type, bad SQL): no retry
                    throw new IllegalStateException(
                            d.describe()
                                    + ": "
                                    + what
                                    + " failed (SQL state "
                                    + e.getSQLState()
                                    + "): "
                                    + e.getMessage(),
                            e);
                }
                if (System.currentTimeMillis() - start >= d.retryForMs()) {
                    throw new IllegalStateException(
                            d.describe()
                                    + ": "
                                    + what
                                    + " failed for "
                                    + d.retryForMs() / 1000
                                    + " s ("
                                    + JdbcTable.redacted(d.url())
                                    + "): "
                                    + e,
                            e);
                }
                if (!warned) {
                    LOG.warn(
                            "{}: {} failed ({}); retrying with backoff for up to {} s",
                            d.describe(),
                            what,
                            e.toString(),
                            d.retryForMs() / 1000);
                    warned = true;
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    private void closeConnection(int i) {
        try {
            if (connections[i] != null) {
                connections[i].close();
            }
        } catch (SQLException ignored) {
            // the connection is broken already
        }
        connections[i] = null;
        statements[i] = null;
    }

    void close() {
        for (int i = 0; i < connections.length; i++) {
            closeConnection(i);
        }
    }
}
