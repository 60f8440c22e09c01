package io.sluice.runtime.expr;

import dev.cel.runtime.CelEvaluationException;

/**
 * A CEL expression compiled to JVM code by {@link CelCompiler}. Implementations are generated; an
 * instance holds its expression's literals (set once by {@link #constants}) and is otherwise
 * stateless and thread-safe, so one instance serves every program with the same expression and
 * schema.
 */
public interface CompiledExpr {
    /** Sets the expression's literals, in the order the translator numbered them; once. */
    void constants(Object[] values);

    /**
     * Evaluates on a row's values (field i of the schema at index i). Returns {@code Long}, {@code
     * Double}, {@code String}, {@code Boolean}, or null for CEL's null, exactly as the CEL
     * interpreter would; throws where the interpreter throws.
     */
    Object eval(Object[] values) throws CelEvaluationException;
}
