package io.sluice.runtime.processor;

import com.google.protobuf.NullValue;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import io.sluice.runtime.expr.CelCompiler;
import io.sluice.runtime.expr.CompiledExpr;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.problem.Problems;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A checked CEL expression ready to evaluate against rows of one schema. Serializable as its text
 * and schema; the program is built on first use in the task: compiled to JVM code where {@link
 * CelCompiler} supports the expression, else CEL's interpreter. Both give the same results and
 * errors. {@code -Dsluice.cel.compile=false} in the JVM that runs the tasks keeps every expression
 * on the interpreter.
 */
public final class CelProgram implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Expr expr;
    private final RowSchema schema;
    private final boolean interpretOnly;
    private transient CompiledExpr compiled;
    private transient String interpretedBecause;
    private transient CelRuntime.Program program;
    private transient Map<String, Integer> index;

    public CelProgram(Expr expr, RowSchema schema) {
        this(expr, schema, false);
    }

    private CelProgram(Expr expr, RowSchema schema, boolean interpretOnly) {
        this.expr = expr;
        this.schema = schema;
        this.interpretOnly = interpretOnly;
    }

    /** A program that always uses CEL's interpreter: the reference for tests and benchmarks. */
    public static CelProgram interpreted(Expr expr, RowSchema schema) {
        return new CelProgram(expr, schema, true);
    }

    public Expr expr() {
        return expr;
    }

    /** Whether evaluation runs compiled code rather than CEL's interpreter. */
    public boolean isCompiled() {
        if (index == null) {
            init();
        }
        return compiled != null;
    }

    /** Why the expression runs on the interpreter; null when it is compiled. */
    public String interpretedBecause() {
        if (index == null) {
            init();
        }
        return interpretedBecause;
    }

    /** Evaluates on {@code row}; a null field is CEL's null. Returns null for a null result. */
    public Object eval(EventRow row) throws CelEvaluationException {
        if (index == null) {
            init();
        }
        if (compiled != null) {
            return compiled.eval(row.values());
        }
        Object result =
                program.eval(
                        name -> {
                            Integer i = index.get(name);
                            if (i == null) {
                                return Optional.empty();
                            }
                            Object v = row.get(i);
                            return Optional.of(v == null ? NullValue.NULL_VALUE : v);
                        });
        return result instanceof NullValue ? null : result;
    }

    /**
     * Why evaluation failed, for a dead letter: CEL's reason without its internal position, and the
     * fields the expression uses that are missing in this row (the usual cause).
     */
    public String explain(EventRow row, CelEvaluationException e) {
        if (index == null) {
            init();
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        why = why.replaceFirst("^evaluation error at <input>:\\d+: ", "");
        int candidates = why.indexOf(". Overload candidates");
        if (candidates > 0) {
            why = why.substring(0, candidates);
        }
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (Map.Entry<String, Integer> f : index.entrySet()) {
            if (row.get(f.getValue()) == null
                    && java.util.regex.Pattern.compile("\\b" + f.getKey() + "\\b")
                            .matcher(expr.text())
                            .find()) {
                missing.add(f.getKey());
            }
        }
        java.util.Collections.sort(missing);
        return why
                + (missing.isEmpty() ? "" : " (missing value: " + String.join(", ", missing) + ")");
    }

    private void init() {
        Problems problems = new Problems();
        CelSupport.Checked checked = CelSupport.check(expr, schema, "", problems, null);
        if (checked == null) {
            throw new IllegalStateException("expression no longer type-checks: " + problems.list());
        }
        if (interpretOnly) {
            interpretedBecause = "the interpreter was asked for";
        } else if (!Boolean.parseBoolean(System.getProperty("sluice.cel.compile", "true"))) {
            // read here, in the task, not where the job was built
            interpretedBecause = "sluice.cel.compile is false";
        } else {
            CelCompiler.Result r = CelCompiler.compile(expr.text(), schema, checked.ast());
            compiled = r.expr();
            interpretedBecause = r.reason();
        }
        if (compiled == null) {
            try {
                program = CelSupport.runtime().createProgram(checked.ast());
            } catch (CelEvaluationException e) {
                throw new IllegalStateException(e);
            }
        }
        Map<String, Integer> fields = new HashMap<>();
        for (int i = 0; i < schema.size(); i++) {
            fields.put(schema.fields().get(i).name(), i);
        }
        index = fields; // last: a non-null index means initialized
    }
}
