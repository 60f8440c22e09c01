package io.sluice.runtime.source;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Deterministic events of an education "wrong-answer book" in the Sluice envelope, one JSON object
 * per line ({@code event_id, event_type, domain, tenant_id, scenario_id, event_time, payload}):
 *
 * <ul>
 *   <li>{@code wrongbook_add}: a student answered a question wrong; payload {@code wrong_id,
 *       user_id, question_id, answer, result, created_at};
 *   <li>{@code wrongbook_fix}: the student answered it right later ({@code result: right});
 *   <li>{@code wrongbook_delete}: the student removed it from the book;
 *   <li>{@code wrongbook_review}: the student reviewed it ({@code review_result}); a type the
 *       platform onboards later, by config.
 * </ul>
 *
 * A wrong answer is identified by {@code wrong_id = w-<user>-<question>}; users and questions come
 * from small ranges, so the same one is added, fixed and deleted again over time. A few struggling
 * students add bursts of wrong answers. Dimension rows for the ids used here come from {@link
 * WrongbookDimensions}. A {@code dirtyShare} of lines is broken (bad JSON, no event type, a payload
 * that is not an object, a created_at that is no time).
 */
public final class WrongbookEvents implements GeneratedLines {
    static final String[] TYPES = {
        "wrongbook_add", "wrongbook_fix", "wrongbook_delete", "wrongbook_review"
    };
    private static final double[] TYPE_SHARE = {0.55, 0.25, 0.10, 0.10};
    static final String[] TENANTS = {"school-a", "school-b"};
    public static final int USERS = 2_000;
    public static final int QUESTIONS = 3_000;

    /** Users 1..5 struggle: they add wrong answers in bursts. */
    static final int STRUGGLING = 5;

    private final long seed;
    private final long startMillis;
    private final long intervalMillis;
    private final double dirtyShare;

    public WrongbookEvents(long seed, long startMillis, long intervalMillis, double dirtyShare) {
        this.seed = seed;
        this.startMillis = startMillis;
        this.intervalMillis = intervalMillis;
        this.dirtyShare = dirtyShare;
    }

    @Override
    public byte[] line(long i) {
        SplittableRandom r = new SplittableRandom(TaxiTrips.mix(seed * 0x9E3779B97F4A7C15L + i));
        long time = startMillis + i * intervalMillis + r.nextLong(Math.max(1, intervalMillis));
        boolean burst = r.nextDouble() < 0.04;
        String type = burst ? TYPES[0] : TYPES[GeneratedLines.weighted(r, TYPE_SHARE)];
        int user = burst ? 1 + r.nextInt(STRUGGLING) : 1 + r.nextInt(USERS);
        int question = 1 + r.nextInt(QUESTIONS);
        String tenant = TENANTS[user % 2];
        String wrongId = "w-" + user + "-" + question;
        String createdAt = "\"" + Instant.ofEpochMilli(time) + "\"";
        String eventType = "\"" + type + "\"";
        String payloadTail =
                switch (type) {
                    case "wrongbook_add" ->
                            ",\"answer\":\""
                                    + (char) ('A' + r.nextInt(4))
                                    + "\",\"result\":\"wrong\"";
                    case "wrongbook_fix" ->
                            ",\"answer\":\""
                                    + (char) ('A' + r.nextInt(4))
                                    + "\",\"result\":\"right\"";
                    case "wrongbook_review" ->
                            ",\"review_result\":\""
                                    + (r.nextDouble() < 0.7 ? "remembered" : "forgot")
                                    + "\"";
                    default -> "";
                };
        boolean payloadNotObject = false;
        if (r.nextDouble() < dirtyShare) {
            switch (r.nextInt(4)) {
                case 0 -> {
                    return ("{\"event_id\":\"e-" + i + "\",\"event_type\":")
                            .getBytes(StandardCharsets.UTF_8);
                }
                case 1 -> eventType = "null";
                case 2 -> payloadNotObject = true;
                default -> createdAt = "\"yesterday\"";
            }
        }
        String payload =
                payloadNotObject
                        ? "\"" + wrongId + "\""
                        : "{\"wrong_id\":\""
                                + wrongId
                                + "\",\"user_id\":\"u-"
                                + user
                                + "\",\"question_id\":\"q-"
                                + question
                                + "\""
                                + payloadTail
                                + ",\"created_at\":"
                                + createdAt
                                + "}";
        String line =
                "{\"event_id\":\"e-"
                        + i
                        + "\",\"event_type\":"
                        + eventType
                        + ",\"domain\":\"wrongbook\",\"tenant_id\":\""
                        + tenant
                        + "\",\"scenario_id\":\"app\",\"event_time\":\""
                        + Instant.ofEpochMilli(time)
                        + "\",\"payload\":"
                        + payload
                        + "}";
        return line.getBytes(StandardCharsets.UTF_8);
    }
}
