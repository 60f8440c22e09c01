package io.sluice.spec.model;

import java.io.Serializable;

/** A named, typed row field; {@code nullable} is false once a step guarantees a value. */
public record Field(String name, FieldType type, boolean nullable) implements Serializable {
    private static final java.util.regex.Pattern NAME =
            java.util.regex.Pattern.compile("[a-z_][a-z0-9_]*");

    /** Field names are snake_case identifiers, so expressions can use them as variables. */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }
}
