package io.sluice.bench;

/**
 * Epoch nanoseconds from {@link System#nanoTime()}, anchored once to {@link
 * System#currentTimeMillis()}: monotonic and fine-grained, yet close enough to wall-clock time to
 * serve as event time. Every timestamp of the latency benchmark (send, event time, consume) comes
 * from this one clock in this one JVM, so latencies are differences on one clock.
 */
final class EpochClock {
    private static final long BASE_EPOCH_NANOS = System.currentTimeMillis() * 1_000_000L;
    private static final long BASE_NANO_TIME = System.nanoTime();

    private EpochClock() {}

    /** Nanoseconds since the epoch. */
    static long nanos() {
        return BASE_EPOCH_NANOS + (System.nanoTime() - BASE_NANO_TIME);
    }

    /** Milliseconds since the epoch (the event time of an event sent now). */
    static long millis(long epochNanos) {
        return Math.floorDiv(epochNanos, 1_000_000L);
    }
}
