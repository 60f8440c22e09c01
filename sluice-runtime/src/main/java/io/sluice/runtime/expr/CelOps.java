package io.sluice.runtime.expr;

import dev.cel.runtime.CelEvaluationException;

/**
 * What compiled CEL code calls: each method is one of CEL's standard overloads with the
 * interpreter's exact rules (dev.cel 0.11.1, errorOnIntWrap and heterogeneous numeric comparisons
 * on), and its error where the interpreter fails. Public because generated classes live in their
 * own class loader.
 */
public final class CelOps {
    private CelOps() {}

    /** Where in the expression a call is, and what it is: for error messages like CEL's. */
    public static final class Site {
        private final String prefix;
        private final String function;
        private final String overloads;

        public Site(int position, String function, String overloads) {
            this.prefix = "evaluation error at <input>:" + position + ": ";
            this.function = function;
            this.overloads = overloads;
        }

        /**
         * A value of the wrong type, in practice a null (a missing field): CEL finds no overload.
         */
        CelEvaluationException noOverload() {
            return new CelEvaluationException(
                    prefix
                            + "No matching overload for function '"
                            + function
                            + "'. Overload candidates: "
                            + overloads);
        }

        CelEvaluationException error(String message, Throwable cause) {
            return new CelEvaluationException(prefix + message, cause);
        }
    }

    // Unboxing at the call that consumes a value: row values and nullable results are objects.

    public static long l(Object o, Site s) throws CelEvaluationException {
        if (o instanceof Long x) {
            return x;
        }
        throw s.noOverload();
    }

    public static double d(Object o, Site s) throws CelEvaluationException {
        if (o instanceof Double x) {
            return x;
        }
        throw s.noOverload();
    }

    public static String s(Object o, Site s) throws CelEvaluationException {
        if (o instanceof String x) {
            return x;
        }
        throw s.noOverload();
    }

    public static boolean b(Object o, Site s) throws CelEvaluationException {
        if (o instanceof Boolean x) {
            return x;
        }
        throw s.noOverload();
    }

    /**
     * int(x) on an int, double(x) on a double, string(x) on a string: CEL returns the very object,
     * which matters to equality (see {@link #eq}).
     */
    public static Object same(Object o, Class<?> type, Site s) throws CelEvaluationException {
        if (type.isInstance(o)) {
            return o;
        }
        throw s.noOverload();
    }

    /** The condition of {@code &&}, {@code ||} and {@code ?:}: a null is an error, not false. */
    public static boolean truth(Object o, Site s) throws CelEvaluationException {
        if (o instanceof Boolean x) {
            return x;
        }
        throw s.error("expected boolean value, found: " + (o == null ? "NULL_VALUE" : o), null);
    }

    // int arithmetic: overflow is an error (CelOptions.errorOnIntWrap)

    public static long add(long a, long b, Site s) throws CelEvaluationException {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw s.error(e.getMessage(), e);
        }
    }

    public static long sub(long a, long b, Site s) throws CelEvaluationException {
        try {
            return Math.subtractExact(a, b);
        } catch (ArithmeticException e) {
            throw s.error(e.getMessage(), e);
        }
    }

    public static long mul(long a, long b, Site s) throws CelEvaluationException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw s.error(e.getMessage(), e);
        }
    }

    public static long neg(long a, Site s) throws CelEvaluationException {
        try {
            return Math.negateExact(a);
        } catch (ArithmeticException e) {
            throw s.error(e.getMessage(), e);
        }
    }

    /** Truncating; by zero and MIN / -1 (which would wrap) are errors. */
    public static long div(long a, long b, Site s) throws CelEvaluationException {
        if (b == 0) {
            throw s.error("/ by zero", new ArithmeticException("/ by zero"));
        }
        if (a == Long.MIN_VALUE && b == -1) {
            throw s.error(
                    "most negative number wraps",
                    new ArithmeticException("most negative number wraps"));
        }
        return a / b;
    }

    /** Java's remainder (sign of the dividend); MIN % -1 is 0, by zero is an error. */
    public static long mod(long a, long b, Site s) throws CelEvaluationException {
        if (b == 0) {
            throw s.error("/ by zero", new ArithmeticException("/ by zero"));
        }
        return a % b;
    }

    /**
     * CEL's double-vs-int order (ComparisonFunctions.compareDoubleInt): doubles beyond the int
     * range compare by range, the rest by {@link Double#compare} with the int as a double. So NaN
     * is above every int, and -0.0 is below 0.
     */
    public static int cmp(double d, long l) {
        if (d < -0x1p63) {
            return -1;
        }
        if (d > 0x1p63) {
            return 1;
        }
        return Double.compare(d, (double) l);
    }

    public static int cmp(long l, double d) {
        return -cmp(d, l);
    }

    /**
     * CEL equality on boxed values (RuntimeEquality.objectEquals): the same object is equal to
     * itself before anything else, so a NaN field equals itself while a computed NaN does not;
     * otherwise numbers compare numerically and NaN equals nothing.
     */
    public static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a instanceof Double x) {
            if (b instanceof Double y) {
                return !Double.isNaN(x) && !Double.isNaN(y) && x.doubleValue() == y.doubleValue();
            }
            return b instanceof Long y && cmp(x, y) == 0;
        }
        if (a instanceof Long x && b instanceof Double y) {
            return cmp(x, y) == 0;
        }
        return a.equals(b);
    }

    /** int(double): truncates; NaN, infinities and values outside the int range are errors. */
    public static long toLong(double d, Site s) throws CelEvaluationException {
        if (Math.getExponent(d) >= 63 && d != -0x1p63) {
            throw s.error("double is out of range for int", null);
        }
        return (long) d;
    }

    /** int(string): {@link Long#parseLong}, so no spaces and an optional sign. */
    public static long toLong(String x, Site s) throws CelEvaluationException {
        try {
            return Long.parseLong(x);
        } catch (NumberFormatException e) {
            throw s.error(e.getMessage(), e);
        }
    }

    /** double(string): {@link Double#parseDouble}, so "NaN", "Infinity" and spaces around pass. */
    public static double toDouble(String x, Site s) throws CelEvaluationException {
        try {
            return Double.parseDouble(x);
        } catch (NumberFormatException e) {
            throw s.error(e.getMessage(), e);
        }
    }

    /** size(string) counts code points, not UTF-16 units. */
    public static long size(String x) {
        return x.codePointCount(0, x.length());
    }
}
