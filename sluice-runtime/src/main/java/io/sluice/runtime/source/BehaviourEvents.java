package io.sluice.runtime.source;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Deterministic user behaviour for recommendation scenarios, one JSON object per line: {@code
 * tenant_id, scenario_id, user_id, item_id, category_id, action, event_time} and, for views and
 * clicks, {@code watch_time_ms}. Three tenants with two scenarios each ({@code feed}, {@code
 * video}), 10,000 users, and items as recommendation traffic looks: 80 % of events on 1,000 hot
 * items with Zipf-like popularity (item {@code i-k} weighs 1/k), the rest spread over a long tail
 * of 100,000. Every action occurs, from impressions (most) to purchases (few). A {@code dirtyShare}
 * of lines is broken in one of four ways (cut-off JSON, no user, a watch time that is not a number,
 * an event time that is not a time).
 */
public final class BehaviourEvents implements GeneratedLines {
    private static final long serialVersionUID = 1L;

    static final String[] TENANTS = {"acme", "globex", "initech"};
    static final String[] SCENARIOS = {"feed", "video"};
    static final String[] ACTIONS = {
        "impression", "view", "click", "like", "favorite", "comment", "share", "cart", "purchase"
    };
    static final double[] ACTION_SHARE = {0.55, 0.18, 0.12, 0.05, 0.03, 0.015, 0.01, 0.025, 0.02};
    static final int USERS = 10_000;
    static final int HOT_ITEMS = 1_000;
    static final int TAIL_ITEMS = 100_000;
    static final double HOT_SHARE = 0.8;
    static final int CATEGORIES = 200;

    /** Cumulative Zipf weights of the hot items, for sampling by binary search. */
    private static final double[] HOT_CUMULATIVE = zipf(HOT_ITEMS);

    private final long seed;
    private final long startMillis;
    private final long intervalMillis;
    private final double dirtyShare;

    public BehaviourEvents(long seed, long startMillis, long intervalMillis, double dirtyShare) {
        this.seed = seed;
        this.startMillis = startMillis;
        this.intervalMillis = intervalMillis;
        this.dirtyShare = dirtyShare;
    }

    @Override
    public byte[] line(long i) {
        SplittableRandom r = new SplittableRandom(TaxiTrips.mix(seed * 0x9E3779B97F4A7C15L + i));
        long time = startMillis + i * intervalMillis + r.nextLong(Math.max(1, intervalMillis));
        String tenant = TENANTS[r.nextInt(TENANTS.length)];
        String scenario = SCENARIOS[r.nextInt(SCENARIOS.length)];
        String user = "u-" + r.nextInt(USERS);
        int item = item(r);
        String action = ACTIONS[GeneratedLines.weighted(r, ACTION_SHARE)];
        boolean watched = action.equals("view") || action.equals("click");
        long watchMillis = watched ? Math.round(1000 * Math.exp(2 + r.nextGaussian())) : -1;
        String userMember = "\"user_id\":\"" + user + "\",";
        String watch = watched ? ",\"watch_time_ms\":" + watchMillis : "";
        String eventTime = "\"" + Instant.ofEpochMilli(time) + "\"";
        if (r.nextDouble() < dirtyShare) {
            switch (r.nextInt(4)) {
                case 0 -> {
                    return ("{\"tenant_id\":\"" + tenant + "\",\"scenario_id\":")
                            .getBytes(StandardCharsets.UTF_8);
                }
                case 1 -> userMember = "";
                case 2 -> watch = ",\"watch_time_ms\":\"long\"";
                default -> eventTime = "\"yesterday\"";
            }
        }
        String line =
                "{\"tenant_id\":\""
                        + tenant
                        + "\",\"scenario_id\":\""
                        + scenario
                        + "\","
                        + userMember
                        + "\"item_id\":\"i-"
                        + item
                        + "\",\"category_id\":\"c-"
                        + category(item)
                        + "\",\"action\":\""
                        + action
                        + "\",\"event_time\":"
                        + eventTime
                        + watch
                        + "}";
        return line.getBytes(StandardCharsets.UTF_8);
    }

    /** Hot items are 1..1,000 by popularity rank; the tail is 1,001..101,000, uniform. */
    static int item(SplittableRandom r) {
        if (r.nextDouble() < HOT_SHARE) {
            int k = java.util.Arrays.binarySearch(HOT_CUMULATIVE, r.nextDouble());
            return (k < 0 ? -k - 1 : k) + 1;
        }
        return HOT_ITEMS + 1 + r.nextInt(TAIL_ITEMS);
    }

    /** An item's category: fixed per item, hot items spread over every category. */
    static int category(int item) {
        return 1 + (int) Math.floorMod(TaxiTrips.mix(item), (long) CATEGORIES);
    }

    private static double[] zipf(int n) {
        double[] c = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1.0 / k;
            c[k - 1] = sum;
        }
        for (int k = 0; k < n; k++) {
            c[k] /= sum;
        }
        c[n - 1] = 1.0;
        return c;
    }
}
