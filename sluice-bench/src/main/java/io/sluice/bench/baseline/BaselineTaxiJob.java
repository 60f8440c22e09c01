package io.sluice.bench.baseline;

import io.sluice.runtime.row.EventRow;
import java.time.Duration;
import java.util.function.Function;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.util.OutputTag;

/**
 * The taxi spec's work written by hand against the DataStream API, as a competent Flink developer
 * would write it for this one job: typed POJOs instead of generic rows, one function for the
 * row-wise validation and features, a window with an incremental {@code AggregateFunction}, a keyed
 * z-score with {@code ValueState}, Jackson for the JSON.
 *
 * <pre>
 * lines ─► parse ─► watermarks ─► validate + features ─┬─► trip-features
 *            │                          │              ├─► keyBy area ─► sliding 1h/5m ─► area-stats
 *            │                          │              │                     └─ late ───► late-trips
 *            │                          │              └─► keyBy company ─► z-score ────► taxi-alerts
 *            └──────── dead letters ────┴───────────────────────────────────────────────► dead-letters
 * </pre>
 *
 * Watermarks are assigned right after parsing, as in the spec, so trips later rejected by
 * validation still advance event time exactly as they do in Sluice.
 */
public final class BaselineTaxiJob {
    public static final String TRIP_FEATURES = "trip-features";
    public static final String AREA_STATS = "area-stats";
    public static final String LATE_TRIPS = "late-trips";
    public static final String TAXI_ALERTS = "taxi-alerts";
    public static final String DEAD_LETTERS = "dead-letters";

    private static final TypeInformation<byte[]> BYTES =
            PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;
    private static final OutputTag<TripFeatures> LATE =
            new OutputTag<>("late-trips", Types.POJO(TripFeatures.class));

    private BaselineTaxiJob() {}

    /**
     * Adds the job reading {@code lines} to their environment, writing to the sinks {@code sinks}
     * makes for each output name; {@code specHash} is stamped on every output record, as Sluice
     * stamps its spec's hash.
     */
    public static void compose(
            DataStream<EventRow> lines,
            boolean json,
            String specHash,
            Function<String, Sink<byte[]>> sinks) {
        // Source ---> parse ---> watermarks
        SingleOutputStreamOperator<TripRecord> parsed =
                lines.process(new TripParser(json), Types.POJO(TripRecord.class))
                        .uid("parse")
                        .name(json ? "parse JSON" : "parse CSV");
        DataStream<TripRecord> timed =
                parsed.assignTimestampsAndWatermarks(TripWatermarks.strategy(Duration.ofMinutes(1)))
                        .uid("watermarks")
                        .name("watermarks");

        // ---> validate + features ---> trip-features
        SingleOutputStreamOperator<TripFeatures> trips =
                timed.process(new ValidateAndDerive(100.0), Types.POJO(TripFeatures.class))
                        .uid("validate-features")
                        .name("validate + features");
        trips.map(new JsonOutputs.Trips(TRIP_FEATURES, specHash))
                .returns(BYTES)
                .uid("encode-trip-features")
                .name("encode → trip-features")
                .sinkTo(sinks.apply(TRIP_FEATURES))
                .uid("sink-trip-features")
                .name(TRIP_FEATURES);

        // ---> per area, sliding 1h / 5m ---> area-stats, late trips ---> late-trips
        SingleOutputStreamOperator<AreaStats> areaStats =
                trips.keyBy(t -> t.area, Types.LONG)
                        .window(
                                SlidingEventTimeWindows.of(
                                        Duration.ofHours(1), Duration.ofMinutes(5)))
                        .allowedLateness(Duration.ZERO)
                        .sideOutputLateData(LATE)
                        .aggregate(
                                new AreaStatsAggregate(),
                                new AreaStatsAggregate.WithWindow(),
                                Types.POJO(AreaStatsAggregate.Acc.class),
                                Types.POJO(AreaStats.class),
                                Types.POJO(AreaStats.class))
                        .uid("area-stats")
                        .name("area stats (sliding 1h / 5m)");
        areaStats
                .map(new JsonOutputs.Areas(AREA_STATS, specHash))
                .returns(BYTES)
                .uid("encode-area-stats")
                .name("encode → area-stats")
                .sinkTo(sinks.apply(AREA_STATS))
                .uid("sink-area-stats")
                .name(AREA_STATS);
        areaStats
                .getSideOutput(LATE)
                .map(new JsonOutputs.Trips(LATE_TRIPS, specHash))
                .returns(BYTES)
                .uid("encode-late-trips")
                .name("encode → late-trips")
                .sinkTo(sinks.apply(LATE_TRIPS))
                .uid("sink-late-trips")
                .name(LATE_TRIPS);

        // ---> per company, fare z-score ---> taxi-alerts
        trips.keyBy(t -> t.company, Types.STRING)
                .process(
                        new FareZScore(4.0, 30, Duration.ofDays(7), "fare-anomaly"),
                        Types.POJO(FareAlert.class))
                .uid("fare-zscore")
                .name("fare z-score")
                .map(new JsonOutputs.Alerts(TAXI_ALERTS, specHash))
                .returns(BYTES)
                .uid("encode-taxi-alerts")
                .name("encode → taxi-alerts")
                .sinkTo(sinks.apply(TAXI_ALERTS))
                .uid("sink-taxi-alerts")
                .name(TAXI_ALERTS);

        // dead letters of parsing and validation ---> dead-letters
        parsed.getSideOutput(DeadLetter.TAG)
                .union(trips.getSideOutput(DeadLetter.TAG))
                .map(new JsonOutputs.DeadLetters(DEAD_LETTERS, specHash))
                .returns(BYTES)
                .uid("encode-dead-letters")
                .name("encode → dead-letters")
                .sinkTo(sinks.apply(DEAD_LETTERS))
                .uid("sink-dead-letters")
                .name(DEAD_LETTERS);
    }
}
