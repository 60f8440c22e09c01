package io.sluice.spec.yaml;

import java.io.Serializable;

/** A place in a file: 1-based line and column, as editors count them. */
public record Pos(String file, int line, int column) implements Serializable {
    public static final Pos UNKNOWN = new Pos("<unknown>", 0, 0);

    /** {@code file:line:col}, the form editors and terminals turn into links. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }

    /** {@code file:line}, for records that point back at a spec entry. */
    public String fileLine() {
        return file + ":" + line;
    }

    public Pos shift(int lines, int columns) {
        return new Pos(file, line + lines, lines == 0 ? column + columns : columns);
    }
}
