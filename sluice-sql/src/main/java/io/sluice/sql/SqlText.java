package io.sluice.sql;

/** Flink SQL lexical pieces: quoted identifiers and literals. */
final class SqlText {
    private SqlText() {}

    /** A quoted identifier: {@code `trip id`}. */
    static String id(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** A string literal: {@code 'it''s'}. */
    static String string(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /**
     * A DOUBLE literal: {@code 3600.0E0}. Without the exponent Flink reads {@code 3600.0} as a
     * DECIMAL, and arithmetic on it is decimal arithmetic, not CEL's double arithmetic.
     */
    static String doubleLiteral(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("no SQL literal for " + d);
        }
        String s = Double.toString(d);
        return s.contains("E") ? s : s + "E0";
    }
}
