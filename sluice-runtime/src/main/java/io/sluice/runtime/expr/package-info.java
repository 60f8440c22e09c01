/**
 * CEL expressions compiled to JVM code: {@link io.sluice.runtime.expr.CelCompiler} translates a
 * type-checked CEL AST into Java source and compiles it with Janino. Expressions it does not
 * support stay on CEL's interpreter.
 */
package io.sluice.runtime.expr;
