package io.sluice.runtime.run;

import io.sluice.runtime.codec.ValueParser;
import io.sluice.runtime.row.DeadLetters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What a finished run did, from the job's accumulators. */
public record RunSummary(
        String job,
        String specHash,
        Duration duration,
        long rowsIn,
        long accepted,
        long filtered,
        Map<String, Long> deadLettersByReason,
        Map<String, Long> recordsBySink,
        Path outputDir,
        boolean stopped,
        Map<String, Long> routing) {

    public long deadLetters() {
        return deadLettersByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Dead letters that were rejections. Late rows sent to dead letters (no late output) are not:
     * they passed every check and are also counted as accepted.
     */
    public long rejected() {
        return deadLetters() - late() - sinkRejected() - routeDeadLetters() - scenarioDeadLetters();
    }

    /** Accepted rows a sink's store refused for good, copied to dead letters. */
    public long sinkRejected() {
        return deadLettersByReason.getOrDefault(DeadLetters.Reason.SINK_REJECTED.id(), 0L);
    }

    /** Dead letters of the scenario stages other than late events, outside the balance. */
    public long scenarioDeadLetters() {
        return routing.getOrDefault("scenario-dead-letters", 0L);
    }

    /** Dead letters from live routing: one per route fork, outside the input rows' balance. */
    public long routeDeadLetters() {
        return routing.getOrDefault("route-dead-letters", 0L);
    }

    /** Late rows that went to dead letters because their step names no late output. */
    public long late() {
        return deadLettersByReason.getOrDefault(DeadLetters.Reason.LATE.id(), 0L);
    }

    /** Rows neither accepted, filtered out nor rejected: zero unless Sluice has a bug. */
    public long unaccounted() {
        return rowsIn - accepted - filtered - rejected();
    }

    /**
     * Every input row is accepted, filtered out or rejected; anything else is a bug. A job stopped
     * with Ctrl-C may have rows in flight, so it is not held to this.
     */
    public boolean balanced() {
        return stopped || unaccounted() == 0;
    }

    /** This summary for a job stopped before its input ended. */
    public RunSummary asStopped() {
        return new RunSummary(
                job,
                specHash,
                duration,
                rowsIn,
                accepted,
                filtered,
                deadLettersByReason,
                recordsBySink,
                outputDir,
                true,
                routing);
    }

    public static RunSummary from(
            String job,
            String specHash,
            Duration duration,
            Map<String, Object> acc,
            Path outputDir) {
        Map<String, Long> dead = new TreeMap<>();
        Map<String, Long> out = new TreeMap<>();
        Map<String, Long> routing = new java.util.LinkedHashMap<>();
        for (String c :
                List.of(
                        Counters.ROUTED,
                        Counters.UNROUTED,
                        Counters.ROUTE_DEAD_LETTERS,
                        Counters.ROUTE_FAILURES,
                        Counters.ROUTES_SUSPENDED,
                        Counters.SCENARIO_EVENTS,
                        Counters.SCENARIO_UNMATCHED,
                        Counters.SCENARIO_LATE,
                        Counters.SCENARIO_DEAD_LETTERS,
                        Counters.ENRICH_LOOKUPS,
                        Counters.ENRICH_HITS,
                        Counters.ENRICH_MISSING,
                        Counters.ENRICH_HELD)) {
            if (acc.containsKey(c)) {
                routing.put(c.substring("sluice.".length()), asLong(acc.get(c)));
            }
        }
        for (Map.Entry<String, Object> e : acc.entrySet()) {
            if (e.getKey().startsWith(Counters.DEAD_PREFIX)) {
                dead.put(e.getKey().substring(Counters.DEAD_PREFIX.length()), asLong(e.getValue()));
            } else if (e.getKey().startsWith(Counters.OUT_PREFIX)) {
                out.put(e.getKey().substring(Counters.OUT_PREFIX.length()), asLong(e.getValue()));
            }
        }
        return new RunSummary(
                job,
                specHash,
                duration,
                asLong(acc.get(Counters.ROWS_IN)),
                asLong(acc.get(Counters.ACCEPTED)),
                asLong(acc.get(Counters.FILTERED)),
                dead,
                out,
                outputDir,
                false,
                routing);
    }

    static long asLong(Object o) {
        return o instanceof Number n ? n.longValue() : 0L;
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        double secs = Math.max(duration.toMillis(), 1) / 1000.0;
        sb.append(
                String.format(
                        Locale.ROOT,
                        "%s %s (spec %s) in %.1f s%n",
                        stopped ? "Stopped" : "Finished",
                        job,
                        specHash,
                        secs));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "  rows in       %,12d  = accepted %,d%s + dead letters %,d%s%n",
                        rowsIn,
                        accepted,
                        filtered > 0
                                ? String.format(Locale.ROOT, " + filtered out %,d", filtered)
                                : "",
                        rejected(),
                        unaccounted() == 0
                                ? ""
                                : stopped
                                        ? "   ("
                                                + unaccounted()
                                                + " rows were in flight when stopped)"
                                        : "   (MISMATCH: " + unaccounted() + " rows unaccounted)"));
        if (late() > 0) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "  late rows     %,12d  (accepted, too late for a window, copied to dead"
                                    + " letters)%n",
                            late()));
        }
        if (sinkRejected() > 0) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "  sink rejects  %,12d  (accepted, refused by a sink's database, copied"
                                    + " to dead letters)%n",
                            sinkRejected()));
        }
        if (routing.containsKey("scenario-events")) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "  scenarios     %,12d  events taken · unmatched %,d · late %,d ·"
                                    + " scenario dead letters %,d%n",
                            routing.get("scenario-events"),
                            routing.getOrDefault("scenario-unmatched", 0L),
                            routing.getOrDefault("scenario-late", 0L),
                            scenarioDeadLetters()));
        }
        if (routing.containsKey("enrich-missing")) {
            long lookups = routing.getOrDefault("enrich-lookups", 0L);
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "  enrichment    %,12d  lookups (cache hits %s) · no row %,d · held"
                                    + " for a row %,d%n",
                            lookups,
                            lookups == 0
                                    ? "-"
                                    : String.format(
                                            Locale.ROOT,
                                            "%.1f %%",
                                            100.0
                                                    * routing.getOrDefault("enrich-cache-hits", 0L)
                                                    / lookups),
                            routing.getOrDefault("enrich-missing", 0L),
                            routing.getOrDefault("enrich-held", 0L)));
        }
        if (routing.containsKey("routed")) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "  live routes   %,12d  route forks · unrouted %,d · route dead letters"
                                    + " %,d%s%n",
                            routing.getOrDefault("routed", 0L),
                            routing.getOrDefault("unrouted", 0L),
                            routeDeadLetters(),
                            routing.getOrDefault("routes-suspended", 0L) > 0
                                    ? " · routes suspended " + routing.get("routes-suspended")
                                    : ""));
        }
        sb.append(String.format(Locale.ROOT, "  throughput    %,12.0f  rows/s%n", rowsIn / secs));
        sb.append("  outputs");
        if (outputDir != null) {
            sb.append(" (under ").append(outputDir).append(")");
        }
        sb.append(":\n");
        recordsBySink.forEach(
                (k, v) -> sb.append(String.format(Locale.ROOT, "    %-22s %,10d records%n", k, v)));
        if (!deadLettersByReason.isEmpty()) {
            sb.append("  dead letters by reason:\n");
            deadLettersByReason.forEach(
                    (k, v) -> sb.append(String.format(Locale.ROOT, "    %-22s %,10d%n", k, v)));
        }
        return sb.toString();
    }

    /** One progress line from a running job's accumulators. */
    public static String progress(
            Duration elapsed,
            Map<String, Object> acc,
            long previousRowsIn,
            double intervalSeconds) {
        long in = asLong(acc.get(Counters.ROWS_IN));
        long dead =
                acc.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(Counters.DEAD_PREFIX))
                        .mapToLong(e -> asLong(e.getValue()))
                        .sum();
        Object wm = acc.get(Counters.WATERMARK);
        String watermark =
                wm instanceof Long l && l > Long.MIN_VALUE && l < Long.MAX_VALUE
                        ? ValueParser.iso(l)
                        : "-";
        return String.format(
                Locale.ROOT,
                "[%6.1fs] rows in %,d (%,.0f/s) · dead letters %,d · watermark %s",
                elapsed.toMillis() / 1000.0,
                in,
                (in - previousRowsIn) / intervalSeconds,
                dead,
                watermark);
    }
}
