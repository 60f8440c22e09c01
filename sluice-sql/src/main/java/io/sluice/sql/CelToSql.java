package io.sluice.sql;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A type-checked CEL expression as a Flink SQL expression over the row's columns, or the reason it
 * has none. Only what means the same in both is translated: arithmetic and comparisons on numbers
 * and strings, {@code &&}, {@code ||}, {@code !}, {@code ?:}, null tests, conversions between int
 * and double, string functions and {@code haversine_km}. Where CEL fails on a row (a null operand,
 * an overflow, a division by zero), Sluice writes a dead letter; SQL gives NULL or fails the job.
 */
final class CelToSql {
    /** The expression uses something SQL does not express the same way. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final Map<String, String> BINARY =
            Map.ofEntries(
                    Map.entry("add_int64", "+"),
                    Map.entry("add_double", "+"),
                    Map.entry("subtract_int64", "-"),
                    Map.entry("subtract_double", "-"),
                    Map.entry("multiply_int64", "*"),
                    Map.entry("multiply_double", "*"),
                    Map.entry("divide_double", "/"),
                    Map.entry("add_string", "||"));

    /**
     * Overload prefixes, the longer first: {@code less_equals_int64} must not match {@code less}.
     */
    private static final List<Map.Entry<String, String>> COMPARISON =
            List.of(
                    Map.entry("less_equals_", "<="),
                    Map.entry("greater_equals_", ">="),
                    Map.entry("less_", "<"),
                    Map.entry("greater_", ">"));

    private final CelAbstractSyntaxTree ast;
    private final RowSchema schema;

    private CelToSql(CelAbstractSyntaxTree ast, RowSchema schema) {
        this.ast = ast;
        this.schema = schema;
    }

    /** The SQL for {@code ast}, whose identifiers are fields of {@code schema}. */
    static String translate(CelAbstractSyntaxTree ast, RowSchema schema) throws Unsupported {
        return new CelToSql(ast, schema).expr(ast.getExpr());
    }

    private String expr(CelExpr e) throws Unsupported {
        return switch (e.exprKind().getKind()) {
            case CONSTANT -> constant(e.constant());
            case IDENT -> ident(e.ident().name());
            case CALL -> call(e);
            default ->
                    throw new Unsupported(
                            e.exprKind().getKind().name().toLowerCase().replace('_', ' ')
                                    + " expressions");
        };
    }

    private static String constant(CelConstant c) throws Unsupported {
        return switch (c.getKind()) {
            case NULL_VALUE -> "NULL";
            case BOOLEAN_VALUE -> c.booleanValue() ? "TRUE" : "FALSE";
            case INT64_VALUE -> "CAST(" + c.int64Value() + " AS BIGINT)";
            case DOUBLE_VALUE -> SqlText.doubleLiteral(c.doubleValue());
            case STRING_VALUE -> SqlText.string(c.stringValue());
            default -> throw new Unsupported(c.getKind().name().toLowerCase() + " literals");
        };
    }

    private String ident(String name) throws Unsupported {
        Field f = schema.field(name);
        if (f == null) {
            throw new Unsupported("identifier '" + name + "'");
        }
        if (f.type() == FieldType.TIMESTAMP) {
            // CEL sees a timestamp as milliseconds since the epoch; SQL as a TIMESTAMP_LTZ
            throw new Unsupported("timestamp field '" + name + "' (an int of milliseconds in CEL)");
        }
        if (f.type() == FieldType.JSON) {
            throw new Unsupported("json field '" + name + "'");
        }
        return SqlText.id(name);
    }

    private String call(CelExpr e) throws Unsupported {
        String overload = overload(e);
        List<CelExpr> ops = new ArrayList<>();
        e.call().target().ifPresent(ops::add);
        ops.addAll(e.call().args());
        switch (overload) {
            case "logical_and":
                return "(" + expr(ops.get(0)) + " AND " + expr(ops.get(1)) + ")";
            case "logical_or":
                return "(" + expr(ops.get(0)) + " OR " + expr(ops.get(1)) + ")";
            case "logical_not":
                return "(NOT " + expr(ops.get(0)) + ")";
            case "conditional":
                return "(CASE WHEN "
                        + expr(ops.get(0))
                        + " THEN "
                        + expr(ops.get(1))
                        + " ELSE "
                        + expr(ops.get(2))
                        + " END)";
            case "equals", "not_equals":
                return equality(ops, overload.equals("equals"));
            default:
                break;
        }
        List<String> args = new ArrayList<>();
        for (CelExpr a : ops) {
            args.add(expr(a));
        }
        String bin = BINARY.get(overload);
        if (bin != null) {
            return "(" + args.get(0) + " " + bin + " " + args.get(1) + ")";
        }
        for (Map.Entry<String, String> c : COMPARISON) {
            if (overload.startsWith(c.getKey())) {
                return "(" + args.get(0) + " " + c.getValue() + " " + args.get(1) + ")";
            }
        }
        return switch (overload) {
            case "negate_int64", "negate_double" -> "(-(" + args.get(0) + "))";
            case "int64_to_double" -> "CAST(" + args.get(0) + " AS DOUBLE)";
            case "double_to_int64" -> "CAST(" + args.get(0) + " AS BIGINT)";
            case "int64_to_string" -> "CAST(" + args.get(0) + " AS STRING)";
            case "int64_to_int64", "double_to_double", "string_to_string" -> args.get(0);
            case "size_string", "string_size" -> "CAST(CHAR_LENGTH(" + args.get(0) + ") AS BIGINT)";
            case "contains_string" -> "(POSITION(" + args.get(1) + " IN " + args.get(0) + ") > 0)";
            case "starts_with_string" ->
                    "(SUBSTRING("
                            + args.get(0)
                            + " FROM 1 FOR CHAR_LENGTH("
                            + args.get(1)
                            + ")) = "
                            + args.get(1)
                            + ")";
            case "ends_with_string" ->
                    "(RIGHT("
                            + args.get(0)
                            + ", CHAR_LENGTH("
                            + args.get(1)
                            + ")) = "
                            + args.get(1)
                            + ")";
            case "haversine_km_double4" ->
                    haversine(args.get(0), args.get(1), args.get(2), args.get(3));
            default ->
                    throw new Unsupported(
                            "function '" + e.call().function() + "' (" + overload + ")");
        };
    }

    /** {@code x == null} is {@code IS NULL}; otherwise null-safe (in)equality, as CEL's. */
    private String equality(List<CelExpr> ops, boolean equals) throws Unsupported {
        CelExpr a = ops.get(0);
        CelExpr b = ops.get(1);
        if (isNull(a) || isNull(b)) {
            String other = expr(isNull(a) ? b : a);
            return "(" + other + (equals ? " IS NULL)" : " IS NOT NULL)");
        }
        // CEL: null == 5 is false, null != 5 true; SQL's = and <> would give NULL
        return "("
                + expr(a)
                + (equals ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ")
                + expr(b)
                + ")";
    }

    private static boolean isNull(CelExpr e) {
        return e.exprKind().getKind() == CelExpr.ExprKind.Kind.CONSTANT
                && e.constant().getKind() == CelConstant.Kind.NULL_VALUE;
    }

    /** {@code CelSupport.haversineKm}, operation for operation. */
    static String haversine(String lat1, String lon1, String lat2, String lon2) {
        String p1 = "RADIANS(" + lat1 + ")";
        String p2 = "RADIANS(" + lat2 + ")";
        String halfDp = "SIN((" + p2 + " - " + p1 + ") / 2)";
        String halfDl = "SIN(RADIANS(" + lon2 + " - " + lon1 + ") / 2)";
        String a =
                halfDp
                        + " * "
                        + halfDp
                        + " + COS("
                        + p1
                        + ") * COS("
                        + p2
                        + ") * "
                        + halfDl
                        + " * "
                        + halfDl;
        return "(2 * 6371.0088E0 * ASIN(LEAST(1.0E0, SQRT(" + a + "))))";
    }

    private String overload(CelExpr e) throws Unsupported {
        List<String> ids = ast.getReference(e.id()).map(CelReference::overloadIds).orElse(null);
        if (ids == null || ids.size() != 1) {
            throw new Unsupported(
                    "function '" + e.call().function() + "' without a single resolved overload");
        }
        return ids.get(0);
    }
}
