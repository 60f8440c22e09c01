package io.sluice.runtime.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import io.sluice.spec.model.RowSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a type-checked CEL AST into the body of a Java class implementing {@link
 * CompiledExpr}, or says why it cannot.
 *
 * <p>The code is a sequence of statements, one local per call, in CEL's evaluation order: a call's
 * arguments are all evaluated before the call checks their types. So when an argument fails and
 * another is null, the error is the failing argument's, as in the interpreter. Values are
 * primitives where the type is known and not nullable, objects ({@code v[i]}, CEL null as Java
 * null) otherwise; an object is unboxed by the call that consumes it, which fails on a null the way
 * CEL finds no overload.
 */
final class CelTranslator {
    /** How generated code holds a value. */
    enum Rep {
        LONG("long", "0L"),
        DOUBLE("double", "0.0D"),
        BOOL("boolean", "false"),
        STRING("String", "null"),
        /** A boxed value or null: row fields, nullable results, identity conversions. */
        OBJ("Object", "null");

        final String java;
        final String zero;

        Rep(String java, String zero) {
            this.java = java;
            this.zero = zero;
        }
    }

    /**
     * A value in generated code: a local, a literal or a row read; how it is held; and whether
     * computing it may throw. Java rejects a catch clause for an exception its try cannot throw, so
     * the translator must know exactly.
     */
    record Term(String code, Rep rep, boolean fails) {
        Term(String code, Rep rep) {
            this(code, rep, false);
        }
    }

    /** The expression uses something the translator does not compile. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String reason) {
            super(reason, null, false, false);
        }
    }

    /** A standard overload compiled inline: result, Java template, operand representations. */
    private record Op(Rep result, String template, Rep... operands) {}

    private static final Map<String, Op> OPS = ops();

    private final CelAbstractSyntaxTree ast;
    private final RowSchema schema;
    private final StringBuilder fields = new StringBuilder();
    private final java.util.List<Object> constants = new java.util.ArrayList<>();
    private final StringBuilder setConstants = new StringBuilder();
    private final Set<String> sites = new HashSet<>();
    private StringBuilder out = new StringBuilder();

    private CelTranslator(CelAbstractSyntaxTree ast, RowSchema schema) {
        this.ast = ast;
        this.schema = schema;
    }

    /**
     * Generated code and the values of its number and string literals. The literals are fields set
     * by {@code constants(Object[])}, not part of the code, so expressions that differ only in them
     * ({@code amount > 20.0}, {@code amount > 22.0}, ...) share one compiled class.
     */
    record Translation(String body, Object[] constants) {}

    /** The class body evaluating {@code ast} on a row of {@code schema}. */
    static String classBody(CelAbstractSyntaxTree ast, RowSchema schema) throws Unsupported {
        return translate(ast, schema).body();
    }

    static Translation translate(CelAbstractSyntaxTree ast, RowSchema schema) throws Unsupported {
        if (!ast.isChecked()) {
            throw new Unsupported("the expression is not type-checked");
        }
        CelTranslator t = new CelTranslator(ast, schema);
        Term result = t.expr(ast.getExpr());
        String body =
                t.fields
                        + "public void constants(Object[] k) {\n"
                        + t.setConstants
                        + "}\n"
                        + "public Object eval(Object[] v) throws CelEvaluationException {\n"
                        + t.out
                        + "return "
                        + box(result)
                        + ";\n}\n";
        return new Translation(body, t.constants.toArray());
    }

    /** A literal held in a field {@code K<n>} of the given Java type, set from constants[n]. */
    private Term hoist(Object value, String javaType, String unbox, Rep rep) {
        int n = constants.size();
        constants.add(value);
        fields.append(javaType).append(" K").append(n).append(";\n");
        setConstants
                .append("K")
                .append(n)
                .append(" = ")
                .append(unbox.formatted("k[" + n + "]"))
                .append(";\n");
        return new Term("K" + n, rep);
    }

    private Term expr(CelExpr e) throws Unsupported {
        return switch (e.exprKind().getKind()) {
            case CONSTANT -> constant(e);
            case IDENT -> ident(e);
            case CALL -> call(e);
            default ->
                    throw new Unsupported(
                            e.exprKind().getKind().name().toLowerCase() + " expressions");
        };
    }

    private Term constant(CelExpr e) throws Unsupported {
        CelConstant c = e.constant();
        return switch (c.getKind()) {
            case NULL_VALUE -> new Term("null", Rep.OBJ);
            case BOOLEAN_VALUE -> new Term(Boolean.toString(c.booleanValue()), Rep.BOOL);
            case INT64_VALUE -> hoist(c.int64Value(), "long", "((Long) %s).longValue()", Rep.LONG);
            case DOUBLE_VALUE ->
                    hoist(c.doubleValue(), "double", "((Double) %s).doubleValue()", Rep.DOUBLE);
            case STRING_VALUE -> stringConstant(e.id(), c.stringValue());
            default -> throw new Unsupported(c.getKind().name().toLowerCase() + " literals");
        };
    }

    private Term ident(CelExpr e) throws Unsupported {
        int i = schema.indexOf(e.ident().name());
        if (i < 0) {
            throw new Unsupported("identifier '" + e.ident().name() + "' is not a field");
        }
        // the object itself, not a copy: CEL's equality looks at identity first (CelOps.eq)
        return new Term("v[" + i + "]", Rep.OBJ);
    }

    private Term call(CelExpr e) throws Unsupported {
        String overload = overload(e);
        switch (overload) {
            case "logical_and":
                return logical(e, true);
            case "logical_or":
                return logical(e, false);
            case "conditional":
                return conditional(e);
            default:
                break;
        }
        // strict functions: every argument first, in order
        List<Term> args = new ArrayList<>();
        for (CelExpr a : operands(e)) {
            args.add(expr(a));
        }
        return switch (overload) {
            case "equals" -> let(e, Rep.BOOL, equality(args), anyFails(args));
            case "not_equals" -> let(e, Rep.BOOL, "!" + equality(args), anyFails(args));
            case "int64_to_int64" -> same(e, args, Rep.LONG, "Long");
            case "double_to_double" -> same(e, args, Rep.DOUBLE, "Double");
            case "string_to_string" -> same(e, args, Rep.STRING, "String");
            default -> apply(e, overload, args);
        };
    }

    /** A call of an overload in {@link #OPS}: its operands unboxed as it needs, then its code. */
    private Term apply(CelExpr e, String overload, List<Term> args) throws Unsupported {
        Op op = OPS.get(overload);
        if (op == null) {
            throw new Unsupported(
                    "function '" + e.call().function() + "' (overload " + overload + ")");
        }
        if (op.operands().length != args.size()) {
            throw new Unsupported("overload " + overload + " with " + args.size() + " operands");
        }
        String site = site(e, overload);
        String[] code = new String[args.size()];
        boolean fails = anyFails(args) || op.template().contains("$S");
        for (int i = 0; i < code.length; i++) {
            code[i] = as(args.get(i), op.operands()[i], site);
            fails |= args.get(i).rep() != op.operands()[i]; // unboxing fails on null
        }
        return let(e, op.result(), fill(op.template(), code, site), fails);
    }

    private static boolean anyFails(List<Term> terms) {
        return terms.stream().anyMatch(Term::fails);
    }

    /** The one overload the checker chose; several (dynamic dispatch) stay interpreted. */
    private String overload(CelExpr e) throws Unsupported {
        List<String> ids = ast.getReference(e.id()).map(CelReference::overloadIds).orElse(null);
        if (ids == null || ids.size() != 1) {
            throw new Unsupported(
                    "function '" + e.call().function() + "' without a single resolved overload");
        }
        return ids.get(0);
    }

    /** A receiver call's target, then its arguments: CEL's evaluation order. */
    private static List<CelExpr> operands(CelExpr e) {
        List<CelExpr> all = new ArrayList<>();
        e.call().target().ifPresent(all::add);
        all.addAll(e.call().args());
        return all;
    }

    /**
     * CEL's {@code ==}: on two primitives of one type a plain comparison (computed values are never
     * the same object, so identity cannot matter); otherwise {@link CelOps#eq} on objects.
     */
    private static String equality(List<Term> args) {
        Term x = args.get(0);
        Term y = args.get(1);
        if (isNull(x) || isNull(y)) {
            Term other = isNull(x) ? y : x;
            boolean mayBeNull = other.rep() == Rep.OBJ || other.rep() == Rep.STRING;
            return mayBeNull ? "(" + other.code() + " == null)" : "(false)";
        }
        if (x.rep() == y.rep() && x.rep() == Rep.STRING) {
            return "(" + x.code() + ".equals(" + y.code() + "))";
        }
        if (x.rep() == y.rep() && x.rep() != Rep.OBJ) {
            return "(" + x.code() + " == " + y.code() + ")";
        }
        return "CelOps.eq(" + box(x) + ", " + box(y) + ")";
    }

    private static boolean isNull(Term t) {
        return t.code().equals("null");
    }

    /** int(int), double(double), string(string): the same object back, after the type check. */
    private Term same(CelExpr e, List<Term> args, Rep rep, String type) throws Unsupported {
        Term x = args.get(0);
        if (x.rep() == rep) {
            return x;
        }
        if (x.rep() != Rep.OBJ) {
            throw new Unsupported("a " + x.rep().java + " where " + rep.java + " is expected");
        }
        String site = site(e, overload(e));
        String code = "CelOps.same(" + x.code() + ", " + type + ".class, " + site + ")";
        return let(e, Rep.OBJ, code, true);
    }

    /** The error sites of the two operands of {@code &&} or {@code ||}. */
    private record Sides(String left, String right) {}

    /** A translated subexpression whose statements are not emitted yet. */
    private record Block(Term term, String code) {}

    private Block block(CelExpr e) throws Unsupported {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            Term t = expr(e);
            return new Block(t, out.toString());
        } finally {
            out = saved;
        }
    }

    /**
     * {@code &&} and {@code ||}, commutative as in CEL: an error on one side is absorbed when the
     * other side decides the result (false for and, true for or), else it propagates; a null
     * operand is an error of its own that nothing absorbs when it is on the left.
     */
    private Term logical(CelExpr e, boolean and) throws Unsupported {
        CelExpr left = e.call().args().get(0);
        CelExpr right = e.call().args().get(1);
        Block l = block(left);
        Block r = block(right);
        Sides sites = new Sides(conditionSite(left, e), conditionSite(right, e));
        line("boolean t" + e.id() + " = false;");
        if (l.term().fails()) {
            commutative(e.id(), and, l, r, sites);
        } else {
            shortCircuit(e.id(), and, l, r, sites);
        }
        Term lt = l.term();
        Term rt = r.term();
        boolean fails = lt.fails() || rt.fails() || lt.rep() == Rep.OBJ || rt.rep() == Rep.OBJ;
        return new Term("t" + e.id(), Rep.BOOL, fails);
    }

    /** A left side that cannot fail: a value that decides the result skips the right side. */
    private void shortCircuit(long id, boolean and, Block l, Block r, Sides sites)
            throws Unsupported {
        String t = "t" + id;
        String lv = capture(l, "l" + id, null, null);
        String lb = truth(l.term(), lv, sites.left());
        line("if (" + lb + " != " + and + ") {\n" + t + " = " + !and + ";");
        String rv = truth(r.term(), r.term().code(), sites.right());
        line("} else {\n" + r.code() + t + " = " + rv + ";\n}");
    }

    /**
     * A left side that may fail: its error waits for the right side, which absorbs it if it decides
     * the result; else the left's error stands.
     */
    private void commutative(long id, boolean and, Block l, Block r, Sides sites)
            throws Unsupported {
        String t = "t" + id;
        String le = "le" + id;
        String re = "re" + id;
        String lv = capture(l, "l" + id, le, "x" + id);
        line(
                "if ("
                        + le
                        + " == null && "
                        + truth(l.term(), lv, sites.left())
                        + " != "
                        + and
                        + ") {");
        line(t + " = " + !and + ";\n} else {");
        String rv = capture(r, "r" + id, re, "y" + id);
        line("if (" + le + " == null) {");
        if (r.term().fails()) {
            line("if (" + re + " != null) throw " + re + ";");
        }
        String rb = truth(r.term(), rv, sites.right());
        line(t + " = " + rb + ";");
        String rightOk = r.term().fails() ? re + " == null && " : "";
        line("} else if (" + rightOk + rb + " != " + and + ") {");
        line(t + " = " + !and + ";\n} else {\nthrow " + le + ";\n}\n}");
    }

    /**
     * Emits {@code b} computing its value into local {@code name}; when it may fail, inside a try
     * that keeps the error in local {@code error} instead. Returns the local's name.
     */
    private String capture(Block b, String name, String error, String caught) {
        Term v = b.term();
        if (!v.fails()) {
            line(b.code() + v.rep().java + " " + name + " = " + v.code() + ";");
            return name;
        }
        line(v.rep().java + " " + name + " = " + v.rep().zero + ";");
        line("CelEvaluationException " + error + " = null;");
        line("try {\n" + b.code() + name + " = " + v.code() + ";\n}");
        line("catch (CelEvaluationException " + caught + ") {\n" + error + " = " + caught + ";\n}");
        return name;
    }

    /** {@code c ? a : b}: only the chosen branch is evaluated; a null condition is an error. */
    private Term conditional(CelExpr e) throws Unsupported {
        List<CelExpr> args = e.call().args();
        String site = conditionSite(args.get(0), e);
        Term c = expr(args.get(0));
        Block a = block(args.get(1));
        Block b = block(args.get(2));
        Rep rep = a.term().rep() == b.term().rep() && !isNull(a.term()) ? a.term().rep() : Rep.OBJ;
        String t = "t" + e.id();
        line(rep.java + " " + t + " = " + rep.zero + ";");
        line("if (" + truth(c, c.code(), site) + ") {");
        line(a.code() + t + " = " + to(a.term(), rep) + ";\n} else {");
        line(b.code() + t + " = " + to(b.term(), rep) + ";\n}");
        boolean fails = c.fails() || c.rep() == Rep.OBJ || a.term().fails() || b.term().fails();
        return new Term(t, rep, fails);
    }

    private static String truth(Term t, String code, String site) throws Unsupported {
        return switch (t.rep()) {
            case BOOL -> code;
            case OBJ -> "CelOps.truth(" + code + ", " + site + ")";
            default -> throw new Unsupported("a condition of type " + t.rep().java);
        };
    }

    private static String to(Term t, Rep rep) {
        return rep == Rep.OBJ ? box(t) : t.code();
    }

    /** {@code t} as {@code want}: an object is unboxed here, failing on a null or another type. */
    private static String as(Term t, Rep want, String site) throws Unsupported {
        if (t.rep() == want) {
            return t.code();
        }
        if (t.rep() != Rep.OBJ) {
            throw new Unsupported("a " + t.rep().java + " where " + want.java + " is expected");
        }
        String unbox =
                switch (want) {
                    case LONG -> "l";
                    case DOUBLE -> "d";
                    case STRING -> "s";
                    case BOOL -> "b";
                    case OBJ -> throw new Unsupported("an object operand");
                };
        return "CelOps." + unbox + "(" + t.code() + ", " + site + ")";
    }

    /** Boxing makes a new Double, as the interpreter's results are new objects. */
    private static String box(Term t) {
        return switch (t.rep()) {
            case LONG -> "Long.valueOf(" + t.code() + ")";
            case DOUBLE -> "Double.valueOf(" + t.code() + ")";
            case BOOL -> "Boolean.valueOf(" + t.code() + ")";
            case STRING, OBJ -> t.code();
        };
    }

    private Term let(CelExpr e, Rep rep, String code, boolean fails) {
        String t = "t" + e.id();
        line(rep.java + " " + t + " = " + code + ";");
        return new Term(t, rep, fails);
    }

    private void line(String s) {
        out.append(s).append('\n');
    }

    /** A static field describing a call for its error messages; returns the field's name. */
    private String site(CelExpr call, String overload) {
        return site("S" + call.id(), call.id(), call, overload);
    }

    /** The site of a condition's "expected boolean value": CEL reports where the operand is. */
    private String conditionSite(CelExpr operand, CelExpr call) throws Unsupported {
        return site("B" + operand.id(), operand.id(), call, overload(call));
    }

    private String site(String name, long at, CelExpr call, String overload) {
        if (!sites.add(name)) {
            return name;
        }
        Integer pos = ast.getSource().getPositionsMap().get(at);
        fields.append("static final CelOps.Site ")
                .append(name)
                .append(" = new CelOps.Site(")
                .append(pos == null ? 0 : pos)
                .append(", ")
                .append(javaString(call.call().function()))
                .append(", ")
                .append(javaString(overload))
                .append(");\n");
        return name;
    }

    private Term stringConstant(long id, String value) {
        return hoist(value, "String", "(String) %s", Rep.STRING);
    }

    /**
     * A Java expression for {@code s}: a literal when it is plain printable ASCII, else built from
     * its chars, which needs no escaping rules (Java reads \\u escapes before it lexes).
     */
    static String javaString(String s) {
        boolean plain = true;
        for (int i = 0; i < s.length() && plain; i++) {
            char c = s.charAt(i);
            plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
        }
        if (plain) {
            return '"' + s + '"';
        }
        StringBuilder b = new StringBuilder("new String(new char[] {");
        for (int i = 0; i < s.length(); i++) {
            b.append(i == 0 ? "" : ", ").append((int) s.charAt(i));
        }
        return b.append("})").toString();
    }

    static String longLiteral(long v) {
        // -9223372036854775808L is not a literal in Java, only minus applied to one
        return v == Long.MIN_VALUE ? "Long.MIN_VALUE" : "(" + v + "L)";
    }

    static String doubleLiteral(double v) {
        if (Double.isNaN(v)) {
            return "Double.NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY";
        }
        // Double.toString gives the shortest decimal that reads back to the same double
        return "(" + v + "D)";
    }

    /** Replaces $0..$9 by operands and $S by the call's site, in one pass. */
    private static String fill(String template, String[] code, String site) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '$' && i + 1 < template.length()) {
                char n = template.charAt(++i);
                b.append(n == 'S' ? site : code[n - '0']);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static Map<String, Op> ops() {
        Rep l = Rep.LONG;
        Rep d = Rep.DOUBLE;
        Rep s = Rep.STRING;
        Rep b = Rep.BOOL;
        Map<String, Op> m = new HashMap<>();
        m.put("add_int64", new Op(l, "CelOps.add($0, $1, $S)", l, l));
        m.put("add_double", new Op(d, "($0 + $1)", d, d));
        m.put("add_string", new Op(s, "($0 + $1)", s, s));
        m.put("subtract_int64", new Op(l, "CelOps.sub($0, $1, $S)", l, l));
        m.put("subtract_double", new Op(d, "($0 - $1)", d, d));
        m.put("multiply_int64", new Op(l, "CelOps.mul($0, $1, $S)", l, l));
        m.put("multiply_double", new Op(d, "($0 * $1)", d, d));
        m.put("divide_int64", new Op(l, "CelOps.div($0, $1, $S)", l, l));
        m.put("divide_double", new Op(d, "($0 / $1)", d, d));
        m.put("modulo_int64", new Op(l, "CelOps.mod($0, $1, $S)", l, l));
        m.put("negate_int64", new Op(l, "CelOps.neg($0, $S)", l));
        m.put("negate_double", new Op(d, "(-$0)", d));
        m.put("logical_not", new Op(b, "(!$0)", b));
        String[][] comparisons = {
            {"less", "<"}, {"less_equals", "<="}, {"greater", ">"}, {"greater_equals", ">="}
        };
        for (String[] c : comparisons) {
            String name = c[0];
            String op = c[1];
            // primitive comparisons are CEL's for doubles too: NaN compares false
            m.put(name + "_int64", new Op(b, "($0 " + op + " $1)", l, l));
            m.put(name + "_double", new Op(b, "($0 " + op + " $1)", d, d));
            m.put(name + "_string", new Op(b, "($0.compareTo($1) " + op + " 0)", s, s));
            m.put(name + "_bool", new Op(b, "(Boolean.compare($0, $1) " + op + " 0)", b, b));
            m.put(name + "_int64_double", new Op(b, "(CelOps.cmp($0, $1) " + op + " 0)", l, d));
            m.put(name + "_double_int64", new Op(b, "(CelOps.cmp($0, $1) " + op + " 0)", d, l));
        }
        m.put("size_string", new Op(l, "CelOps.size($0)", s));
        m.put("string_size", new Op(l, "CelOps.size($0)", s));
        m.put("contains_string", new Op(b, "$0.contains($1)", s, s));
        m.put("starts_with_string", new Op(b, "$0.startsWith($1)", s, s));
        m.put("ends_with_string", new Op(b, "$0.endsWith($1)", s, s));
        m.put("double_to_int64", new Op(l, "CelOps.toLong($0, $S)", d));
        m.put("string_to_int64", new Op(l, "CelOps.toLong($0, $S)", s));
        m.put("int64_to_double", new Op(d, "((double) $0)", l));
        m.put("string_to_double", new Op(d, "CelOps.toDouble($0, $S)", s));
        m.put("int64_to_string", new Op(s, "Long.toString($0)", l));
        m.put("double_to_string", new Op(s, "Double.toString($0)", d));
        m.put("bool_to_string", new Op(s, "String.valueOf($0)", b));
        m.put(
                "haversine_km_double4",
                new Op(
                        d,
                        "io.sluice.spec.expr.CelSupport.haversineKm($0, $1, $2, $3)",
                        d,
                        d,
                        d,
                        d));
        return Map.copyOf(m);
    }
}
