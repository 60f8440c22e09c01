package io.sluice.runtime.codec;

/** A value that does not fit its field's type; carries the field and a message saying why. */
public final class BadValue extends Exception {
    private final String field;

    public BadValue(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
