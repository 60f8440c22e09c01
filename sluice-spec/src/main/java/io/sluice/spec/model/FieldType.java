package io.sluice.spec.model;

import java.util.Arrays;
import java.util.List;

/**
 * Types a row field can have. Timestamps are epoch milliseconds (UTC). A {@code json} field holds a
 * JSON object or array as compact text (e.g. a business event's payload); expressions see it as a
 * string, outputs write it as JSON.
 */
public enum FieldType {
    STRING,
    LONG,
    DOUBLE,
    BOOLEAN,
    TIMESTAMP,
    JSON;

    public String id() {
        return name().toLowerCase();
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(FieldType::id).toList();
    }

    public static FieldType of(String id) {
        return valueOf(id.toUpperCase());
    }

    public boolean isNumeric() {
        return this == LONG || this == DOUBLE || this == TIMESTAMP;
    }
}
