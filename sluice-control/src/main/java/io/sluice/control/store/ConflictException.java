package io.sluice.control.store;

/**
 * A commit or rollback expected a version that is no longer current: someone else committed first.
 * Nothing was written; reload {@link ConfigStore#current()}, reapply the change and retry.
 */
public final class ConflictException extends RuntimeException {
    private final long expected;
    private final long actual;

    public ConflictException(long expected, long actual) {
        super(
                "the config changed meanwhile: expected version "
                        + expected
                        + " to be current, but the store is at version "
                        + actual
                        + "; reload and retry");
        this.expected = expected;
        this.actual = actual;
    }

    /** The version the caller based its change on. */
    public long expected() {
        return expected;
    }

    /** The version that was current when the commit was refused. */
    public long actual() {
        return actual;
    }
}
