package io.sluice.spec.options;

import io.sluice.spec.yaml.Pos;
import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Bound, typed option values with their positions. Values are already checked against the schema,
 * so getters cast without surprises; defaults are filled in by the binder.
 */
public final class Options implements Serializable {
    /** A value and where it was written (the key's position for defaults: the enclosing map). */
    public record Value(Object value, Pos pos) implements Serializable {}

    private final String path;
    private final Pos pos;
    private final Map<String, Value> values;

    private final Map<String, List<Pos>> itemPositions;

    public Options(String path, Pos pos, Map<String, Value> values) {
        this(path, pos, values, Map.of());
    }

    public Options(
            String path, Pos pos, Map<String, Value> values, Map<String, List<Pos>> itemPositions) {
        this.path = path;
        this.pos = pos;
        this.values = Collections.unmodifiableMap(values);
        this.itemPositions = Map.copyOf(itemPositions);
    }

    /** The path of this object in the file, e.g. {@code pipelines[0].steps[2]}. */
    public String path() {
        return path;
    }

    public String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public Pos pos() {
        return pos;
    }

    public Pos pos(String key) {
        Value v = values.get(key);
        return v == null ? pos : v.pos();
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key).value() != null;
    }

    public Object get(String key) {
        Value v = values.get(key);
        return v == null ? null : v.value();
    }

    public String string(String key) {
        return (String) get(key);
    }

    public long longValue(String key) {
        return ((Number) get(key)).longValue();
    }

    public Long longOrNull(String key) {
        Object v = get(key);
        return v == null ? null : ((Number) v).longValue();
    }

    public double doubleValue(String key) {
        return ((Number) get(key)).doubleValue();
    }

    public Double doubleOrNull(String key) {
        Object v = get(key);
        return v == null ? null : ((Number) v).doubleValue();
    }

    public boolean bool(String key) {
        return Boolean.TRUE.equals(get(key));
    }

    public Duration duration(String key) {
        return (Duration) get(key);
    }

    public Expr expr(String key) {
        return (Expr) get(key);
    }

    public Options object(String key) {
        return (Options) get(key);
    }

    @SuppressWarnings("unchecked")
    public <T> List<T> list(String key) {
        Object v = get(key);
        return v == null ? List.of() : (List<T>) v;
    }

    /** Where item {@code index} of list option {@code key} was written. */
    public Pos pos(String key, int index) {
        Object items = itemPositions.get(key);
        if (items instanceof List<?> l && index < l.size() && l.get(index) instanceof Pos p) {
            return p;
        }
        return pos(key);
    }

    @SuppressWarnings("unchecked")
    public <T> Map<String, T> map(String key) {
        Object v = get(key);
        return v == null ? Map.of() : (Map<String, T>) v;
    }

    public Map<String, Value> values() {
        return values;
    }

    @Override
    public String toString() {
        return path + values;
    }
}
