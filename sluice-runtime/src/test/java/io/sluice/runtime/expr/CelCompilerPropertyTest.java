package io.sluice.runtime.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.cel.runtime.CelEvaluationException;
import io.sluice.runtime.processor.CelProgram;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compiled expressions give exactly what CEL's interpreter gives: random expressions from a grammar
 * over int, double, string and bool fields (nullable or not), on random rows full of nulls and edge
 * values. Same value and Java type, or both an error with the same message (CEL's position in the
 * text included). Seeded: rerun a failure with {@code -Dcel.seed=<seed>}.
 */
class CelCompilerPropertyTest {
    static final RowSchema SCHEMA =
            RowSchema.of(
                    new Field("i", FieldType.LONG, false),
                    new Field("j", FieldType.TIMESTAMP, false),
                    new Field("ni", FieldType.LONG, true),
                    new Field("d", FieldType.DOUBLE, false),
                    new Field("e", FieldType.DOUBLE, false),
                    new Field("nd", FieldType.DOUBLE, true),
                    new Field("s", FieldType.STRING, false),
                    new Field("t", FieldType.STRING, false),
                    new Field("ns", FieldType.STRING, true),
                    new Field("b", FieldType.BOOLEAN, false),
                    new Field("nb", FieldType.BOOLEAN, true));

    static final int EXPRESSIONS = 2_500;
    static final int ROWS_PER_EXPRESSION = 8;

    enum T {
        INT,
        DOUBLE,
        STRING,
        BOOL
    }

    static final long[] LONGS = {
        0,
        1,
        -1,
        2,
        -2,
        3,
        7,
        -7,
        10,
        100,
        1000,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        Long.MAX_VALUE - 1,
        Long.MIN_VALUE + 1,
        1L << 53,
        (1L << 53) + 1,
        4294967296L,
        -4294967296L
    };
    static final double[] DOUBLES = {
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        1.5,
        -2.5,
        3.0,
        100.0,
        Double.NaN,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.MAX_VALUE,
        Double.MIN_VALUE,
        0x1p63,
        -0x1p63,
        Math.nextDown(0x1p63),
        Math.nextUp(-0x1p63),
        0x1p53,
        1e-300,
        41.88,
        -87.63
    };
    static final String[] STRINGS = {
        "",
        "a",
        "abc",
        "bc",
        "12",
        "-12",
        "+7",
        " 12",
        "1.5",
        "-0.0",
        "NaN",
        "Infinity",
        "1e3",
        "0x10",
        "9223372036854775807",
        "9223372036854775808",
        "\uD83D\uDE00x",
        "ab\"c\\",
        "\n",
        "é"
    };

    @Test
    void compiledEqualsInterpreted() {
        long seed = Long.getLong("cel.seed", 20261121L);
        Random rnd = new Random(seed);
        int cases = 0;
        int compiled = 0;
        int expressions = 0;
        int errors = 0;
        List<String> interpreted = new ArrayList<>();
        while (expressions < EXPRESSIONS) {
            T type = T.values()[rnd.nextInt(4)];
            String text = new Gen(rnd).expr(type, 1 + rnd.nextInt(4));
            if (!checks(text)) {
                continue;
            }
            expressions++;
            Expr expr = new Expr(text, new Pos("p.yaml", 1, 1));
            CelProgram fast = new CelProgram(expr, SCHEMA);
            CelProgram slow = CelProgram.interpreted(expr, SCHEMA);
            if (fast.isCompiled()) {
                compiled++;
            } else if (interpreted.size() < 10) {
                interpreted.add(text + "  <- " + fast.interpretedBecause());
            }
            for (int r = 0; r < ROWS_PER_EXPRESSION; r++) {
                EventRow row = row(rnd);
                Outcome a = Outcome.of(fast, row);
                Outcome b = Outcome.of(slow, row);
                cases++;
                if (b.error != null) {
                    errors++;
                }
                if (!a.sameAs(b)) {
                    fail(
                            "seed %d (-Dcel.seed=%d): %s on %s%n compiled:    %s%n interpreted: %s%n"
                                    + " code:%n%s",
                            seed, seed, text, Arrays.toString(row.values()), a, b, source(expr));
                }
            }
        }
        System.out.printf(
                "CEL property test, seed %d: %d cases over %d expressions (%d compiled), %d"
                        + " errors%n",
                seed, cases, expressions, compiled, errors);
        assertThat(cases).isGreaterThanOrEqualTo(20_000);
        // the grammar only uses what the compiler supports
        assertThat(compiled).as("interpreted: %s", interpreted).isEqualTo(expressions);
        // and exercises errors as much as values
        assertThat(errors).isBetween(cases / 10, cases * 9 / 10);
    }

    /** A value or an error, comparable across the two evaluators. */
    record Outcome(Object value, String error) {
        static Outcome of(CelProgram p, EventRow row) {
            try {
                return new Outcome(p.eval(row), null);
            } catch (CelEvaluationException e) {
                return new Outcome(null, e.getMessage());
            }
        }

        /** Doubles by {@link Double#equals}: NaN equals NaN, -0.0 is not 0.0. */
        boolean sameAs(Outcome o) {
            if (error != null || o.error != null) {
                return error != null && error.equals(o.error);
            }
            if (value == null || o.value == null) {
                return value == o.value;
            }
            return value.getClass() == o.value.getClass() && value.equals(o.value);
        }

        @Override
        public String toString() {
            return error != null
                    ? "error: " + error
                    : value + (value == null ? "" : " (" + value.getClass().getSimpleName() + ")");
        }
    }

    static boolean checks(String text) {
        return CelSupport.check(
                        new Expr(text, new Pos("p.yaml", 1, 1)), SCHEMA, "", new Problems(), null)
                != null;
    }

    static String source(Expr expr) {
        try {
            return CelCompiler.source(
                    CelSupport.check(expr, SCHEMA, "", new Problems(), null).ast(), SCHEMA);
        } catch (CelTranslator.Unsupported e) {
            return "(not compiled: " + e.getMessage() + ")";
        }
    }

    /** Random values, often null (non-null fields too, now and then) or at an edge. */
    static EventRow row(Random rnd) {
        Object[] v = new Object[SCHEMA.size()];
        for (int k = 0; k < v.length; k++) {
            Field f = SCHEMA.fields().get(k);
            if (rnd.nextInt(100) < (f.nullable() ? 25 : 2)) {
                continue;
            }
            v[k] =
                    switch (f.type()) {
                        case LONG, TIMESTAMP ->
                                rnd.nextInt(4) == 0
                                        ? rnd.nextLong()
                                        : LONGS[rnd.nextInt(LONGS.length)];
                        // a new Double each time: CEL's equality tells objects apart
                        case DOUBLE ->
                                Double.valueOf(
                                        rnd.nextInt(5) == 0
                                                ? rnd.nextGaussian() * 1000
                                                : DOUBLES[rnd.nextInt(DOUBLES.length)]);
                        case STRING, JSON -> STRINGS[rnd.nextInt(STRINGS.length)];
                        case BOOLEAN -> rnd.nextBoolean();
                    };
        }
        if (rnd.nextInt(10) == 0) {
            v[SCHEMA.indexOf("e")] = v[SCHEMA.indexOf("d")]; // the same object in two fields
        }
        return EventRow.of(v);
    }

    /** Expression text of a CEL type from a grammar of what the compiler supports. */
    static final class Gen {
        private final Random rnd;

        Gen(Random rnd) {
            this.rnd = rnd;
        }

        String expr(T type, int depth) {
            if (depth <= 0 || rnd.nextInt(4) == 0) {
                return leaf(type);
            }
            return switch (type) {
                case INT -> intExpr(depth - 1);
                case DOUBLE -> doubleExpr(depth - 1);
                case STRING -> stringExpr(depth - 1);
                case BOOL -> boolExpr(depth - 1);
            };
        }

        private String leaf(T type) {
            boolean field = rnd.nextBoolean();
            return switch (type) {
                case INT ->
                        field
                                ? pick("i", "j", "ni", "ni")
                                : Long.toString(LONGS[rnd.nextInt(LONGS.length)]);
                case DOUBLE -> field ? pick("d", "e", "nd", "nd") : doubleLiteral();
                case STRING -> field ? pick("s", "t", "ns", "ns") : stringLiteral();
                case BOOL -> field ? pick("b", "nb", "nb") : pick("true", "false");
            };
        }

        private String intExpr(int d) {
            return switch (rnd.nextInt(12)) {
                case 0, 1 -> bin(T.INT, pick("+", "-", "*", "/", "%"), T.INT, d);
                case 2 -> "-" + paren(expr(T.INT, d));
                case 3 -> "int(" + expr(T.DOUBLE, d) + ")";
                case 4 -> "int(" + expr(T.STRING, d) + ")";
                case 5 -> "int(" + expr(T.INT, d) + ")";
                case 6 -> "size(" + expr(T.STRING, d) + ")";
                case 7 -> paren(expr(T.STRING, d)) + ".size()";
                case 8, 9 -> cond(T.INT, d);
                default -> bin(T.INT, pick("+", "-"), T.INT, d);
            };
        }

        private String doubleExpr(int d) {
            return switch (rnd.nextInt(11)) {
                case 0, 1, 2 -> bin(T.DOUBLE, pick("+", "-", "*", "/"), T.DOUBLE, d);
                case 3 -> "-" + paren(expr(T.DOUBLE, d));
                case 4 -> "double(" + expr(T.INT, d) + ")";
                case 5 -> "double(" + expr(T.STRING, d) + ")";
                case 6 -> "double(" + expr(T.DOUBLE, d) + ")";
                case 7 ->
                        "haversine_km("
                                + expr(T.DOUBLE, d)
                                + ", "
                                + expr(T.DOUBLE, d)
                                + ", "
                                + expr(T.DOUBLE, d)
                                + ", "
                                + expr(T.DOUBLE, d)
                                + ")";
                default -> cond(T.DOUBLE, d);
            };
        }

        private String stringExpr(int d) {
            return switch (rnd.nextInt(7)) {
                case 0, 1 -> bin(T.STRING, "+", T.STRING, d);
                case 2 -> "string(" + expr(T.INT, d) + ")";
                case 3 -> "string(" + expr(T.DOUBLE, d) + ")";
                case 4 -> "string(" + expr(T.BOOL, d) + ")";
                case 5 -> "string(" + expr(T.STRING, d) + ")";
                default -> cond(T.STRING, d);
            };
        }

        private String boolExpr(int d) {
            switch (rnd.nextInt(14)) {
                case 0, 1:
                    return bin(T.BOOL, pick("&&", "||"), T.BOOL, d);
                case 2:
                    return "!" + paren(expr(T.BOOL, d));
                case 3:
                    return cond(T.BOOL, d);
                case 4:
                    return pick("ni", "nd", "ns", "nb") + pick(" == null", " != null");
                case 5:
                    return paren(expr(T.STRING, d))
                            + pick(".contains(", ".startsWith(", ".endsWith(")
                            + expr(T.STRING, d)
                            + ")";
                case 6:
                    // heterogeneous numeric ordering (the runtime option)
                    return bin(T.INT, pick("<", "<=", ">", ">="), T.DOUBLE, d);
                case 7:
                    return bin(T.DOUBLE, pick("<", "<=", ">", ">="), T.INT, d);
                default:
                    T t = T.values()[rnd.nextInt(4)];
                    return bin(t, pick("==", "!=", "<", "<=", ">", ">="), t, d);
            }
        }

        private String bin(T left, String op, T right, int d) {
            return paren(expr(left, d)) + " " + op + " " + paren(expr(right, d));
        }

        private String cond(T type, int d) {
            return paren(expr(T.BOOL, d))
                    + " ? "
                    + paren(expr(type, d))
                    + " : "
                    + paren(expr(type, d));
        }

        private String paren(String s) {
            return s.matches("[a-z]+|\\d+(\\.\\d+)?") ? s : "(" + s + ")";
        }

        private String doubleLiteral() {
            return pick(
                    "0.0",
                    "-0.0",
                    "1.0",
                    "0.5",
                    "2.5",
                    "3600.0",
                    "1e308",
                    "1e-300",
                    "-1.5",
                    "9.223372036854775807e18",
                    "1.0e20",
                    "41.88");
        }

        private String stringLiteral() {
            return pick(
                    "''",
                    "'a'",
                    "'abc'",
                    "'b'",
                    "'12'",
                    "' 12'",
                    "'1.5'",
                    "'NaN'",
                    "'-Infinity'",
                    "'x\"y'",
                    "'\\\\'",
                    "'\\n'",
                    "'é'",
                    "'\\U0001F600'",
                    "'9223372036854775808'");
        }

        private String pick(String... options) {
            return options[rnd.nextInt(options.length)];
        }
    }

    @Test
    void theGrammarReachesEveryCompiledFunction() {
        Random rnd = new Random(1);
        StringBuilder all = new StringBuilder();
        for (int k = 0; k < 3000; k++) {
            all.append(new Gen(rnd).expr(T.values()[k % 4], 3)).append('\n');
        }
        for (String f :
                List.of(
                        "int(",
                        "double(",
                        "string(",
                        "size(",
                        ".size()",
                        "contains",
                        "startsWith",
                        "endsWith",
                        "haversine_km",
                        "&&",
                        "||",
                        "!",
                        "?",
                        "%",
                        "== null")) {
            assertThat(all.toString()).contains(f);
        }
    }
}
