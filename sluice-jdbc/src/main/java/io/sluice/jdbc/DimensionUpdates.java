package io.sluice.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.spec.model.Field;
import java.io.IOException;
import java.util.List;

/**
 * The message {@link DimensionSource} broadcasts: one dimension's changed rows as JSON, {@code
 * {"d": index, "whole": bool, "rows": [[key, value...], ...]}}; with {@code whole} the rows replace
 * the table (rows gone from it are gone), otherwise they are merged into it. Text keeps the
 * broadcast stream's type plain (a String) whatever the dimensions' columns are.
 */
final class DimensionUpdates {
    private DimensionUpdates() {}

    /** One decoded message. */
    record Update(int dimension, boolean whole, List<String> keys, List<Object[]> values) {}

    static ArrayNode row(ObjectMapper json, String key, Object[] values) {
        ArrayNode r = json.createArrayNode();
        r.add(key);
        for (Object v : values) {
            r.addPOJO(v);
        }
        return r;
    }

    static String encode(ObjectMapper json, int dimension, boolean whole, ArrayNode rows)
            throws IOException {
        ObjectNode m = json.createObjectNode();
        m.put("d", dimension);
        m.put("whole", whole);
        m.set("rows", rows);
        return json.writeValueAsString(m);
    }

    /** The values of {@code fields} at {@code from} onwards of a JSON array. */
    static Object[] values(JsonNode r, int from, List<Field> fields) {
        Object[] v = new Object[fields.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = r.get(i + from);
            v[i] =
                    n == null || n.isNull()
                            ? null
                            : switch (fields.get(i).type()) {
                                case STRING, JSON -> n.asText();
                                case LONG, TIMESTAMP -> n.asLong();
                                case DOUBLE -> n.asDouble();
                                case BOOLEAN -> n.asBoolean();
                            };
        }
        return v;
    }

    static Update decode(ObjectMapper json, String text, List<Dimension> dims) throws IOException {
        JsonNode m = json.readTree(text);
        int d = m.get("d").asInt();
        List<Field> fields = dims.get(d).fields();
        List<String> keys = new java.util.ArrayList<>();
        List<Object[]> values = new java.util.ArrayList<>();
        for (JsonNode r : m.get("rows")) {
            keys.add(r.get(0).asText());
            values.add(values(r, 1, fields));
        }
        return new Update(d, m.get("whole").asBoolean(), keys, values);
    }
}
