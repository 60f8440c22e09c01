package io.sluice.runtime.source;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Deterministic business events in the Sluice envelope, one JSON object per line: {@code event_id,
 * event_type, domain, tenant_id, scenario_id, event_time, payload}. A shop's events: orders created
 * and paid, page views and refunds of two tenants, with a payload of user, order, amount and items.
 * A {@code dirtyShare} of lines is broken in one of several ways (bad JSON, no event type, a
 * payload that is not an object, an amount that is not a number).
 */
public final class BusinessEvents implements GeneratedLines {
    static final String[] TYPES = {"order_created", "order_paid", "page_view", "refund"};
    private static final double[] TYPE_SHARE = {0.4, 0.3, 0.25, 0.05};
    static final String[] TENANTS = {"acme", "globex"};

    private final long seed;
    private final long startMillis;
    private final long intervalMillis;
    private final double dirtyShare;

    public BusinessEvents(long seed, long startMillis, long intervalMillis, double dirtyShare) {
        this.seed = seed;
        this.startMillis = startMillis;
        this.intervalMillis = intervalMillis;
        this.dirtyShare = dirtyShare;
    }

    @Override
    public byte[] line(long i) {
        SplittableRandom r = new SplittableRandom(TaxiTrips.mix(seed * 0x9E3779B97F4A7C15L + i));
        long time = startMillis + i * intervalMillis + r.nextLong(Math.max(1, intervalMillis));
        String type = TYPES[GeneratedLines.weighted(r, TYPE_SHARE)];
        String tenant = TENANTS[r.nextDouble() < 0.7 ? 0 : 1];
        String user = "u-" + (1 + r.nextInt(50));
        double amount = Math.round((5 + Math.exp(3 + r.nextGaussian())) * 100) / 100.0;
        int items = 1 + r.nextInt(5);
        String payload =
                "{\"user_id\":\""
                        + user
                        + "\",\"order_id\":\"o-"
                        + (i / 2)
                        + "\",\"amount\":"
                        + amount
                        + ",\"items\":"
                        + items
                        + "}";
        String eventType = "\"" + type + "\"";
        if (r.nextDouble() < dirtyShare) {
            switch (r.nextInt(4)) {
                case 0 -> {
                    return ("{\"event_id\":\"e-" + i + "\",\"event_type\":")
                            .getBytes(StandardCharsets.UTF_8);
                }
                case 1 -> eventType = "null";
                case 2 -> payload = "\"" + user + "\"";
                default -> payload = payload.replace("\"amount\":" + amount, "\"amount\":\"n/a\"");
            }
        }
        String line =
                "{\"event_id\":\"e-"
                        + i
                        + "\",\"event_type\":"
                        + eventType
                        + ",\"domain\":\"shop\",\"tenant_id\":\""
                        + tenant
                        + "\",\"scenario_id\":\"web\",\"event_time\":\""
                        + Instant.ofEpochMilli(time)
                        + "\",\"payload\":"
                        + payload
                        + "}";
        return line.getBytes(StandardCharsets.UTF_8);
    }
}
