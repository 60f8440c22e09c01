package io.sluice.runtime.run;

/** Names of the accumulators a run reports in its progress lines and summary. */
public final class Counters {
    private Counters() {}

    public static final String ROWS_IN = "sluice.rows-in";
    public static final String ACCEPTED = "sluice.accepted";
    public static final String FILTERED = "sluice.filtered";

    /** Route forks made by live routing (an event taken by two routes counts twice). */
    public static final String ROUTED = "sluice.routed";

    /** Events no route took, sent to the unrouted output. */
    public static final String UNROUTED = "sluice.unrouted";

    /**
     * Dead letters written by live routing (a broken envelope, a payload field a route cannot read,
     * a failing or suspended route): per route fork, so kept apart from the input rows' balance.
     */
    public static final String ROUTE_DEAD_LETTERS = "sluice.route-dead-letters";

    /** Events a route's processor threw on. */
    public static final String ROUTE_FAILURES = "sluice.route-failures";

    /** Times a route was suspended on a task by its circuit breaker. */
    public static final String ROUTES_SUSPENDED = "sluice.routes-suspended";

    /** Events taken by a recommendation scenario. */
    public static final String SCENARIO_EVENTS = "sluice.scenario-events";

    /** Events of a tenant and scenario the config does not have (or has disabled). */
    public static final String SCENARIO_UNMATCHED = "sluice.scenario-unmatched";

    /** Events too late for every window or profile bucket of their scenario. */
    public static final String SCENARIO_LATE = "sluice.scenario-late";

    /**
     * Dead letters of the scenario stages other than late events (an event without a tenant, a
     * config version no longer available): per stage, so kept apart from the input rows' balance.
     */
    public static final String SCENARIO_DEAD_LETTERS = "sluice.scenario-dead-letters";

    /** Lookups of {@code lookup} dimensions by enrich steps, and those the cache answered. */
    public static final String ENRICH_LOOKUPS = "sluice.enrich-lookups";

    public static final String ENRICH_HITS = "sluice.enrich-cache-hits";

    /** Events an enrich step found no dimension row for (whatever the missing-row policy). */
    public static final String ENRICH_MISSING = "sluice.enrich-missing";

    /** Events an enrich step held to wait for a missing dimension row. */
    public static final String ENRICH_HELD = "sluice.enrich-held";

    public static final String WATERMARK = "sluice.watermark";

    /** Followed by the reason: {@code sluice.dead-letters.bad-value}. */
    public static final String DEAD_PREFIX = "sluice.dead-letters.";

    /** Followed by the sink id: {@code sluice.out.area-stats}. */
    public static final String OUT_PREFIX = "sluice.out.";
}
