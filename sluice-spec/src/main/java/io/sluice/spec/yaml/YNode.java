package io.sluice.spec.yaml;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A YAML node that remembers where it was written. The loader walks these, never raw maps. */
public sealed interface YNode permits YNode.YMap, YNode.YSeq, YNode.YScalar {

    Pos pos();

    /** What a user calls this kind of node, for messages like "expected a list, found a map". */
    String kind();

    /** A mapping; keys keep their own positions so unknown keys are reported where they stand. */
    record YMap(Pos pos, Map<String, Entry> entries) implements YNode {
        public record Entry(String key, Pos keyPos, YNode value) {}

        public YMap {
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        public YNode get(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }

        @Override
        public String kind() {
            return "a map";
        }
    }

    record YSeq(Pos pos, List<YNode> items) implements YNode {
        public YSeq {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /**
     * A scalar. {@code quoted} tells whether the user wrote quotes (so {@code "42"} is a string and
     * {@code 42} a number); {@code isNull} is an explicit {@code null} or an empty value. {@code
     * contentPos} is where the value's first character stands: after an opening quote, or on the
     * line after a block indicator ({@code |}, {@code >}).
     */
    record YScalar(Pos pos, String value, boolean quoted, boolean isNull, Pos contentPos)
            implements YNode {
        @Override
        public String kind() {
            return isNull ? "null" : "a scalar";
        }
    }
}
