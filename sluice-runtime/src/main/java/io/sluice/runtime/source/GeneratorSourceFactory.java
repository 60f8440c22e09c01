package io.sluice.runtime.source;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.problem.Problems;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code generator}: deterministic synthetic input from a seed and a count, as CSV lines, so a spec
 * runs with nothing to download. Profile {@code taxi-trips}: Chicago Taxi Trips columns.
 */
public final class GeneratorSourceFactory implements SourceFactory, PluginCheck {
    static final java.util.Set<String> JSON_PROFILES =
            java.util.Set.of("business-events", "user-behaviour", "wrongbook-events");

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .optional(
                            "profile",
                            OptionType.oneOf(
                                    "taxi-trips",
                                    "business-events",
                                    "user-behaviour",
                                    "wrongbook-events"),
                            "taxi-trips",
                            "what to generate: taxi trips (CSV), business events, user behaviour"
                                    + " or wrong-answer book events (JSON)")
                    .optional(
                            "count",
                            OptionType.INT,
                            100_000L,
                            "rows to generate; 0: no end (stop with Ctrl-C)")
                    .optional(
                            "seed",
                            OptionType.INT,
                            42L,
                            "random seed; the same seed gives the same rows")
                    .optional(
                            "start",
                            OptionType.STRING,
                            "2024-01-01T00:00:00",
                            "event time of the first row (local time, America/Chicago)")
                    .optional(
                            "interval",
                            OptionType.DURATION,
                            java.time.Duration.ofMillis(400),
                            "mean event-time spacing between rows")
                    .optional(
                            "dirty-share",
                            OptionType.DOUBLE,
                            0.01,
                            "share of rows broken in one of several ways")
                    .optional(
                            "late-share",
                            OptionType.DOUBLE,
                            0.002,
                            "share of rows arriving over an hour late")
                    .optional(
                            "rows-per-second",
                            OptionType.INT,
                            null,
                            "throttle (default: as fast as possible)")
                    .build();

    @Override
    public String identifier() {
        return "generator";
    }

    @Override
    public String description() {
        return "Deterministic synthetic rows (taxi trips) from a seed and a count.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public void check(Options o, Problems problems) {
        if (o.string("start") != null) {
            try {
                LocalDateTime.parse(o.string("start"));
            } catch (DateTimeParseException e) {
                problems.add(
                        o.pos("start"),
                        o.path("start"),
                        "expected a local date-time like 2024-01-01T00:00:00");
            }
        }
        for (String share : List.of("dirty-share", "late-share")) {
            Double d = o.doubleOrNull(share);
            if (d != null && (d < 0 || d > 1)) {
                problems.add(o.pos(share), o.path(share), "a share is between 0 and 1");
            }
        }
        if (JSON_PROFILES.contains(o.string("profile"))) {
            if (!"json".equals(o.string("format"))) {
                problems.add(
                        o.pos("format"),
                        o.path("format"),
                        switch (o.string("profile")) {
                                    case "business-events" -> "business events";
                                    case "wrongbook-events" -> "wrong-answer book events";
                                    default -> "user behaviour events";
                                }
                                + " are JSON lines: set 'format: json'");
            }
        } else if (!"csv".equals(o.string("format")) || !",".equals(o.string("delimiter"))) {
            problems.add(
                    o.pos("format"),
                    o.path("format"),
                    "the generator writes comma-separated CSV: leave 'format' and 'delimiter' out");
        }
        Long rate = o.longOrNull("rows-per-second");
        if (rate != null && rate < 1) {
            problems.add(o.pos("rows-per-second"), o.path("rows-per-second"), "must be at least 1");
        }
        if (o.longOrNull("count") != null && o.longValue("count") < 0) {
            problems.add(o.pos("count"), o.path("count"), "the count cannot be negative");
        }
    }

    @Override
    public List<String> csvHeader(SourceSpec spec, RunContext run) {
        return TaxiTrips.HEADER;
    }

    @Override
    public boolean bounded(SourceSpec spec) {
        return spec.options().longValue("count") != 0;
    }

    /** The lines a generator source with these options yields. */
    public static GeneratedLines lines(Options o) {
        if ("user-behaviour".equals(o.string("profile"))) {
            return new BehaviourEvents(
                    o.longValue("seed"),
                    utc(o.string("start")),
                    o.duration("interval").toMillis(),
                    o.doubleValue("dirty-share"));
        }
        if ("wrongbook-events".equals(o.string("profile"))) {
            return new WrongbookEvents(
                    o.longValue("seed"),
                    utc(o.string("start")),
                    o.duration("interval").toMillis(),
                    o.doubleValue("dirty-share"));
        }
        if ("business-events".equals(o.string("profile"))) {
            long start = utc(o.string("start"));
            return new BusinessEvents(
                    o.longValue("seed"),
                    start,
                    o.duration("interval").toMillis(),
                    o.doubleValue("dirty-share"));
        }
        return trips(o);
    }

    private static long utc(String localDateTime) {
        return LocalDateTime.parse(localDateTime)
                .atZone(ZoneId.of("UTC"))
                .toInstant()
                .toEpochMilli();
    }

    /** The trips a generator source with these options yields (also for benchmarks' input). */
    public static TaxiTrips trips(Options o) {
        return trips(o, false);
    }

    /** The same trips as JSON lines when {@code json} (benchmarks read both layouts). */
    public static TaxiTrips trips(Options o, boolean json) {
        long start =
                LocalDateTime.parse(o.string("start"))
                        .atZone(ZoneId.of("America/Chicago"))
                        .toInstant()
                        .toEpochMilli();
        return new TaxiTrips(
                o.longValue("seed"),
                start,
                o.duration("interval").toMillis(),
                o.doubleValue("dirty-share"),
                o.doubleValue("late-share"),
                json);
    }

    @Override
    public DataStream<EventRow> create(
            StreamExecutionEnvironment env, SourceSpec spec, RunContext run) {
        Options o = spec.options();
        long count = o.longValue("count") == 0 ? Long.MAX_VALUE : o.longValue("count");
        GeneratorFunction<Long, EventRow> fn = new Interleaved(lines(o), spec.id(), count);
        String id = spec.id();
        RateLimiterStrategy rate =
                o.longOrNull("rows-per-second") == null
                        ? RateLimiterStrategy.noOp()
                        : RateLimiterStrategy.perSecond(o.longValue("rows-per-second"));
        DataGeneratorSource<EventRow> source =
                new DataGeneratorSource<>(
                        fn, count, rate, new EventRowTypeInfo(new RowSchema(List.of())));
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), id + " (generator)")
                .uid(id + ".source");
    }

    /**
     * Deals rows to source tasks like cards: of p tasks, task i emits rows i, i + p, i + 2p, ...
     * {@link DataGeneratorSource} gives each task one contiguous range of sequence numbers; mapping
     * them this way keeps every task near the same event time, so watermarks advance together and
     * windows do not wait for one task to catch up with another.
     */
    public static final class Interleaved implements GeneratorFunction<Long, EventRow> {
        private final GeneratedLines trips;
        private final String id;
        private final long count;
        private transient int tasks;

        Interleaved(GeneratedLines trips, String id, long count) {
            this.trips = trips;
            this.id = id;
            this.count = count;
        }

        @Override
        public void open(org.apache.flink.api.connector.source.SourceReaderContext context) {
            tasks = context.currentParallelism();
        }

        @Override
        public EventRow map(Long sequence) {
            long row = row(sequence, count, tasks == 0 ? 1 : tasks);
            return new EventRow(new Object[0], trips.line(row), id + ":" + (row + 1), 0L);
        }

        /**
         * The row for sequence number {@code k} when [0, n) is split into p contiguous ranges, the
         * first n mod p of them one longer (as NumberSequenceSource splits): the j-th number of
         * range i becomes row j·p + i, a bijection onto [0, n).
         */
        public static long row(long k, long n, int p) {
            long q = n / p;
            long rem = n % p;
            long i;
            long j;
            if (k < rem * (q + 1)) {
                i = k / (q + 1);
                j = k % (q + 1);
            } else {
                long rest = k - rem * (q + 1);
                i = rem + rest / q;
                j = rest % q;
            }
            return j * p + i;
        }
    }
}
