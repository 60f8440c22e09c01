package io.sluice.runtime.source;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.SpecLoader;
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
 * {@code generator}: deterministic synthetic input from a seed and a count, as CSV lines, so a
 * spec runs with nothing to download. Profile {@code taxi-trips}: Chicago Taxi Trips columns.
 */
public final class GeneratorSourceFactory implements SourceFactory, SpecLoader.SourceCheck {
  static final OptionsSchema OPTIONS =
      OptionsSchema.builder()
          .optional("profile", OptionType.oneOf("taxi-trips"), "taxi-trips", "what to generate")
          .optional("count", OptionType.INT, 100_000L, "rows to generate")
          .optional("seed", OptionType.INT, 42L, "random seed; the same seed gives the same rows")
          .optional("start", OptionType.STRING, "2024-01-01T00:00:00", "event time of the first row (local time, America/Chicago)")
          .optional("interval", OptionType.DURATION, java.time.Duration.ofMillis(400), "mean event-time spacing between rows")
          .optional("dirty-share", OptionType.DOUBLE, 0.01, "share of rows broken in one of several ways")
          .optional("late-share", OptionType.DOUBLE, 0.002, "share of rows arriving over an hour late")
          .optional("rows-per-second", OptionType.INT, null, "throttle (default: as fast as possible)")
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
        problems.add(o.pos("start"), o.path("start"), "expected a local date-time like 2024-01-01T00:00:00");
      }
    }
    for (String share : List.of("dirty-share", "late-share")) {
      Double d = o.doubleOrNull(share);
      if (d != null && (d < 0 || d > 1)) {
        problems.add(o.pos(share), o.path(share), "a share is between 0 and 1");
      }
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
  public DataStream<EventRow> create(StreamExecutionEnvironment env, SourceSpec spec, RunContext run) {
    Options o = spec.options();
    long count = o.longValue("count");
    long start =
        LocalDateTime.parse(o.string("start")).atZone(ZoneId.of("America/Chicago")).toInstant().toEpochMilli();
    TaxiTrips trips =
        new TaxiTrips(o.longValue("seed"), start, o.duration("interval").toMillis(), o.doubleValue("dirty-share"), o.doubleValue("late-share"));
    String id = spec.id();
    GeneratorFunction<Long, EventRow> fn = i -> new EventRow(new Object[0], trips.line(i), id + ":" + (i + 1), 0L);
    RateLimiterStrategy rate =
        o.longOrNull("rows-per-second") == null
            ? RateLimiterStrategy.noOp()
            : RateLimiterStrategy.perSecond(o.longValue("rows-per-second"));
    DataGeneratorSource<EventRow> source =
        new DataGeneratorSource<>(fn, count, rate, new EventRowTypeInfo(new RowSchema(List.of())));
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), id + " (generator)").uid(id + ".source");
  }
}
