package io.sluice.runtime.run;

/** Names of the accumulators a run reports in its progress lines and summary. */
public final class Counters {
    private Counters() {}

    public static final String ROWS_IN = "sluice.rows-in";
    public static final String ACCEPTED = "sluice.accepted";
    public static final String FILTERED = "sluice.filtered";
    public static final String WATERMARK = "sluice.watermark";

    /** Followed by the reason: {@code sluice.dead-letters.bad-value}. */
    public static final String DEAD_PREFIX = "sluice.dead-letters.";

    /** Followed by the sink id: {@code sluice.out.area-stats}. */
    public static final String OUT_PREFIX = "sluice.out.";
}
