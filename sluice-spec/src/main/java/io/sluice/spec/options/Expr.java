package io.sluice.spec.options;

import io.sluice.spec.yaml.Pos;
import java.io.Serializable;

/** An expression as written, with where its first character stands in the file. */
public record Expr(String text, Pos pos) implements Serializable {}
