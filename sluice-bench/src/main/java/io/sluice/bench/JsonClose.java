package io.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Compares two multisets of JSON records where floating-point numbers may differ in their last
 * bits: window aggregates merged pane by pane add the same values in another order than a window
 * fed row by row. Records are matched by their text with every fractional number rounded; then each
 * pair must agree field by field, numbers to a relative 1e-9.
 */
final class JsonClose {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonClose() {}

    static boolean sameRecords(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        List<JsonNode> x = sorted(a);
        List<JsonNode> y = sorted(b);
        for (int i = 0; i < x.size(); i++) {
            if (!close(x.get(i), y.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Ordered by the record's text with fractional numbers left out, which pairs them up. */
    private static List<JsonNode> sorted(List<byte[]> records) {
        List<JsonNode> nodes = new ArrayList<>(records.size());
        for (byte[] r : records) {
            try {
                nodes.add(JSON.readTree(r));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        nodes.sort(java.util.Comparator.comparing(JsonClose::withoutFractions));
        return nodes;
    }

    private static String withoutFractions(JsonNode n) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            sb.append(f.getKey()).append('=');
            sb.append(f.getValue().isFloatingPointNumber() ? "~" : f.getValue().toString());
            sb.append(',');
        }
        return sb.toString();
    }

    private static boolean close(JsonNode a, JsonNode b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode other = b.get(f.getKey());
            if (other == null) {
                return false;
            }
            JsonNode v = f.getValue();
            if (v.isNumber() && other.isNumber()) {
                double p = v.asDouble();
                double q = other.asDouble();
                if (Math.abs(p - q) > Math.max(1e-12, Math.abs(q) * 1e-9)) {
                    return false;
                }
            } else if (!v.equals(other)) {
                return false;
            }
        }
        return true;
    }
}
