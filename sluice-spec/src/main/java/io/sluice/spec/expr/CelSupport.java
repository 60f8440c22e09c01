package io.sluice.spec.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.util.List;

/**
 * Sluice's one expression language, Google's CEL. Row fields are variables with CEL types: string,
 * int (also timestamps, as epoch milliseconds), double, bool; a field that may be missing is a
 * nullable wrapper, so {@code x != null} type-checks and arithmetic on a missing value fails at
 * evaluation. Extra function: {@code haversine_km(lat1, lon1, lat2, lon2)}.
 */
public final class CelSupport {
    private CelSupport() {}

    public static final CelOptions OPTIONS =
            CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

    private static final CelFunctionDecl HAVERSINE =
            CelFunctionDecl.newFunctionDeclaration(
                    "haversine_km",
                    CelOverloadDecl.newGlobalOverload(
                            "haversine_km_double4",
                            SimpleType.DOUBLE,
                            SimpleType.DOUBLE,
                            SimpleType.DOUBLE,
                            SimpleType.DOUBLE,
                            SimpleType.DOUBLE));

    private static volatile CelRuntime runtime;

    /** The result of type-checking one expression. */
    public record Checked(CelAbstractSyntaxTree ast, FieldType type, boolean nullable) {}

    public static CelCompiler compiler(RowSchema schema) {
        CelCompilerBuilder b =
                CelCompilerFactory.standardCelCompilerBuilder()
                        .setOptions(OPTIONS)
                        .addFunctionDeclarations(HAVERSINE);
        for (Field f : schema.fields()) {
            b.addVar(f.name(), celType(f));
        }
        return b.build();
    }

    public static CelType celType(Field f) {
        CelType t =
                switch (f.type()) {
                    case STRING, JSON -> SimpleType.STRING;
                    case LONG, TIMESTAMP -> SimpleType.INT;
                    case DOUBLE -> SimpleType.DOUBLE;
                    case BOOLEAN -> SimpleType.BOOL;
                };
        return f.nullable() ? NullableType.create(t) : t;
    }

    /**
     * Parses and type-checks {@code expr} against {@code schema}; problems point into the spec
     * file. {@code expected} (may be null) is the result type the caller needs, e.g. BOOLEAN for a
     * condition. Returns null when the expression is broken.
     */
    public static Checked check(
            Expr expr, RowSchema schema, String path, Problems problems, FieldType expected) {
        CelAbstractSyntaxTree ast;
        try {
            ast = compiler(schema).compile(expr.text()).getAst();
        } catch (CelValidationException e) {
            for (CelIssue issue : e.getErrors()) {
                problems.add(
                        locate(expr, issue),
                        path,
                        "expression: " + teach(firstLine(issue.getMessage())));
            }
            return null;
        }
        CelType t = ast.getResultType();
        boolean nullable = false;
        if (t instanceof NullableType n) {
            t = n.targetType();
            nullable = true;
        }
        FieldType type = fieldType(t);
        if (type == null) {
            problems.add(
                    expr.pos(),
                    path,
                    "expression yields "
                            + t.name()
                            + "; it must yield int, double, string or bool");
            return null;
        }
        if (expected != null
                && type != expected
                && !(expected == FieldType.DOUBLE && type == FieldType.LONG)) {
            problems.add(
                    expr.pos(),
                    path,
                    "expression yields "
                            + celName(type)
                            + " but "
                            + celName(expected)
                            + " is needed here");
            return null;
        }
        return new Checked(ast, type, nullable);
    }

    private static FieldType fieldType(CelType t) {
        if (t.equals(SimpleType.INT)) {
            return FieldType.LONG;
        }
        if (t.equals(SimpleType.DOUBLE)) {
            return FieldType.DOUBLE;
        }
        if (t.equals(SimpleType.STRING)) {
            return FieldType.STRING;
        }
        if (t.equals(SimpleType.BOOL)) {
            return FieldType.BOOLEAN;
        }
        return null;
    }

    public static String celName(FieldType t) {
        return switch (t) {
            case LONG, TIMESTAMP -> "int";
            case DOUBLE -> "double";
            case STRING, JSON -> "string";
            case BOOLEAN -> "bool";
        };
    }

    private static Pos locate(Expr expr, CelIssue issue) {
        int line = issue.getSourceLocation().getLine();
        int col = issue.getSourceLocation().getColumn();
        if (line <= 0) {
            return expr.pos();
        }
        Pos start = expr.pos();
        // each line of a block scalar starts at the block's indentation
        return new Pos(start.file(), start.line() + line - 1, start.column() + Math.max(col, 0));
    }

    /** CEL lists every overload's signature; users need the mismatch and how to fix it. */
    static String teach(String message) {
        int candidates = message.indexOf(" (candidates: ");
        if (!message.startsWith("found no matching overload") || candidates < 0) {
            return message;
        }
        String m = message.substring(0, candidates);
        if (m.contains("int") && m.contains("double")) {
            m += "; CEL does not mix int and double: convert one side, e.g. double(x)";
        } else if (m.contains("wrapper(")) {
            m += "; a field that may be missing needs a check first, e.g. x != null ? x : 0";
        }
        return m;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The shared runtime, with Sluice's functions bound. Thread-safe. */
    public static CelRuntime runtime() {
        if (runtime == null) {
            synchronized (CelSupport.class) {
                if (runtime == null) {
                    runtime =
                            CelRuntimeFactory.standardCelRuntimeBuilder()
                                    .setOptions(OPTIONS)
                                    .addFunctionBindings(
                                            CelFunctionBinding.from(
                                                    "haversine_km_double4",
                                                    List.of(
                                                            Double.class,
                                                            Double.class,
                                                            Double.class,
                                                            Double.class),
                                                    args ->
                                                            haversineKm(
                                                                    (Double) args[0],
                                                                    (Double) args[1],
                                                                    (Double) args[2],
                                                                    (Double) args[3])))
                                    .build();
                }
            }
        }
        return runtime;
    }

    /** Great-circle distance in kilometres (mean Earth radius 6371.0088 km). */
    public static double haversineKm(double lat1, double lon1, double lat2, double lon2) {
        double p1 = Math.toRadians(lat1);
        double p2 = Math.toRadians(lat2);
        double dp = p2 - p1;
        double dl = Math.toRadians(lon2 - lon1);
        double a =
                Math.sin(dp / 2) * Math.sin(dp / 2)
                        + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
        return 2 * 6371.0088 * Math.asin(Math.min(1.0, Math.sqrt(a)));
    }
}
