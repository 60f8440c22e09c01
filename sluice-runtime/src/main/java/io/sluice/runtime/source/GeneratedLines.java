package io.sluice.runtime.source;

/** A generator profile: line {@code i} of a deterministic, endless sequence. */
public interface GeneratedLines extends java.io.Serializable {
    byte[] line(long i);
}
