package io.sluice.control.store;

/** A version number that the store does not hold (never committed, or beyond the latest). */
public final class NoSuchVersionException extends RuntimeException {
    private final long number;

    public NoSuchVersionException(long number, long latest) {
        super(
                "there is no config version "
                        + number
                        + (latest == 0
                                ? " (the store is empty)"
                                : " (versions are 1 to " + latest + ")"));
        this.number = number;
    }

    public long number() {
        return number;
    }
}
