package io.sluice.runtime.row;

import java.util.Arrays;

/**
 * A row flowing through a Sluice job: field values in the order of its {@code RowSchema}, plus what
 * every output needs to trace it: the original input bytes (for dead letters), where it came from
 * ({@code origin}, e.g. {@code trips.csv:1043}) and the config version that produced it.
 *
 * <p>Values are {@code String}, {@code Long} (also timestamps, epoch ms), {@code Double}, {@code
 * Boolean} or null. Equality and hash code cover the values only, so a row of key fields works as a
 * Flink key.
 */
public final class EventRow {
    private final Object[] values;
    private byte[] raw;
    private String origin;
    private long configVersion;

    public EventRow(int arity) {
        this.values = new Object[arity];
    }

    public EventRow(Object[] values, byte[] raw, String origin, long configVersion) {
        this.values = values;
        this.raw = raw;
        this.origin = origin;
        this.configVersion = configVersion;
    }

    public static EventRow of(Object... values) {
        return new EventRow(values, null, null, 0L);
    }

    public int arity() {
        return values.length;
    }

    public Object get(int i) {
        return values[i];
    }

    public void set(int i, Object v) {
        values[i] = v;
    }

    public Object[] values() {
        return values;
    }

    public byte[] raw() {
        return raw;
    }

    public void raw(byte[] raw) {
        this.raw = raw;
    }

    public String origin() {
        return origin;
    }

    public void origin(String origin) {
        this.origin = origin;
    }

    public long configVersion() {
        return configVersion;
    }

    public void configVersion(long v) {
        this.configVersion = v;
    }

    /**
     * A copy with {@code arity} fields (the first ones copied), keeping raw, origin and version.
     */
    public EventRow widen(int arity) {
        return new EventRow(Arrays.copyOf(values, arity), raw, origin, configVersion);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventRow r && Arrays.equals(values, r.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return Arrays.toString(values) + (origin == null ? "" : " @" + origin);
    }
}
