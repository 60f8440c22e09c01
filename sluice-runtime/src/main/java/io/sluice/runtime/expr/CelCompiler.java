package io.sluice.runtime.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.runtime.CelEvaluationException;
import io.sluice.spec.model.RowSchema;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.codehaus.commons.compiler.CompileException;
import org.codehaus.janino.ClassBodyEvaluator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles type-checked CEL expressions to JVM code, as Flink SQL does for its expressions: the AST
 * becomes Java source ({@link CelTranslator}), Janino compiles it in memory. The interpreter's
 * ~0.75 µs per evaluation becomes a few nanoseconds of straight-line code.
 *
 * <p>Expressions using anything the translator does not know stay on CEL's interpreter; the result
 * says why. Results are cached per expression text and schema, so many routes with the same
 * expression share one class.
 */
public final class CelCompiler {
    private static final Logger LOG = LoggerFactory.getLogger(CelCompiler.class);

    /**
     * A job whose routes change all day keeps compiling new expressions; past this many the cache
     * starts over rather than holding every class ever compiled. Programs keep their instances.
     */
    private static final int MAX_CACHED = 4096;

    private static final ConcurrentHashMap<Key, Result> CACHE = new ConcurrentHashMap<>();
    private static final AtomicLong CLASSES = new AtomicLong();

    private CelCompiler() {}

    /** Compiled code, or null with the reason the expression stays interpreted. */
    public record Result(CompiledExpr expr, String reason) {
        public boolean compiled() {
            return expr != null;
        }
    }

    private record Key(String text, RowSchema schema) {}

    /**
     * The compiled form of {@code text}, whose checked AST over {@code schema} is {@code ast};
     * compiled once per text and schema.
     */
    public static Result compile(String text, RowSchema schema, CelAbstractSyntaxTree ast) {
        if (CACHE.size() >= MAX_CACHED) {
            CACHE.clear();
        }
        // computeIfAbsent: concurrent tasks asking for the same expression wait for one compile
        return CACHE.computeIfAbsent(
                new Key(text, schema),
                k -> {
                    Result r = compile(ast, schema);
                    if (!r.compiled()) {
                        LOG.info(
                                "CEL expression '{}' runs on the interpreter: {}",
                                text,
                                r.reason());
                    }
                    return r;
                });
    }

    /**
     * Compiled classes by generated code: expressions that differ only in their literals share one
     * class, each with its own instance holding its literals.
     */
    private static final ConcurrentHashMap<String, Class<?>> CLASSES_BY_CODE =
            new ConcurrentHashMap<>();

    /** Compiles without the expression cache (the class cache still applies). */
    public static Result compile(CelAbstractSyntaxTree ast, RowSchema schema) {
        CelTranslator.Translation t;
        try {
            t = CelTranslator.translate(ast, schema);
        } catch (CelTranslator.Unsupported e) {
            return new Result(null, e.getMessage());
        }
        String body = t.body();
        try {
            if (CLASSES_BY_CODE.size() >= MAX_CACHED) {
                CLASSES_BY_CODE.clear();
            }
            Class<?> cls = CLASSES_BY_CODE.get(body);
            if (cls == null) {
                cls = cook(body);
                CLASSES_BY_CODE.putIfAbsent(body, cls);
            }
            CompiledExpr expr = (CompiledExpr) cls.getDeclaredConstructor().newInstance();
            expr.constants(t.constants());
            return new Result(expr, null);
        } catch (CompileException | ReflectiveOperationException | RuntimeException e) {
            // a translator bug must not stop the job: the interpreter still works
            LOG.warn("CEL expression left to the interpreter: generated code failed:\n{}", body, e);
            return new Result(null, "generated code did not compile: " + e.getMessage());
        }
    }

    /** The generated Java class body, for tests and debugging. */
    static String source(CelAbstractSyntaxTree ast, RowSchema schema)
            throws CelTranslator.Unsupported {
        return CelTranslator.classBody(ast, schema);
    }

    private static Class<?> cook(String body) throws CompileException {
        ClassBodyEvaluator cbe = new ClassBodyEvaluator();
        cbe.setClassName("io.sluice.runtime.expr.CompiledCel" + CLASSES.incrementAndGet());
        cbe.setImplementedInterfaces(new Class<?>[] {CompiledExpr.class});
        // in a Flink task, Sluice's classes come from the user code class loader
        cbe.setParentClassLoader(CompiledExpr.class.getClassLoader());
        cbe.setDefaultImports(CelOps.class.getName(), CelEvaluationException.class.getName());
        cbe.cook(body);
        return cbe.getClazz();
    }
}
