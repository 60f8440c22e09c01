package io.sluice.spec.model;

import java.io.Serializable;

/** A named, typed row field; {@code nullable} is false once a step guarantees a value. */
public record Field(String name, FieldType type, boolean nullable) implements Serializable {}
