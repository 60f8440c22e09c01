package io.sluice.runtime.processor;

import static io.sluice.runtime.testutil.Rows.assertValues;
import static io.sluice.runtime.testutil.Rows.dl;
import static io.sluice.runtime.testutil.Rows.drain;
import static io.sluice.runtime.testutil.Rows.drainDeadLetters;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Harnesses;
import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeriveProcessorTest {
    static final String SPEC =
            """
      name: derive-test
      sources:
        - id: trips
          type: file
          path: trips.csv
          fields:
            - {name: trip_id, type: string}
            - {name: seconds, type: long}
            - {name: miles, type: double}
            - {name: fare, type: double}
            - {name: tips, type: double}
            - {name: stops, type: long}
            - {name: pickup_lat, type: double}
            - {name: pickup_lon, type: double}
            - {name: dropoff_lat, type: double}
            - {name: dropoff_lon, type: double}
      sinks: [{id: out, type: console}, {id: dead, type: console}]
      pipelines:
        - id: taxi
          source: trips
          dead-letters: dead
          steps:
            - id: present
              processor: validate
              required: [seconds, miles, fare, stops]
            - id: features
              processor: derive
              fields:
                - name: speed_mph
                  expr: miles / (double(seconds) / 3600.0)
                - name: speed_kmh
                  expr: speed_mph * 1.609344
                - name: fare_per_mile
                  expr: fare / miles
                  when: miles > 0.0
                - name: minutes
                  expr: seconds / 60
                - name: seconds_per_stop
                  expr: seconds / stops
                - name: total
                  expr: fare + tips
                - name: distance_km
                  expr: haversine_km(pickup_lat, pickup_lon, dropoff_lat, dropoff_lon)
                  when: pickup_lat != null && pickup_lon != null && dropoff_lat != null && dropoff_lon != null
      """;

    /** Mean Earth radius (IUGG), km. */
    static final double R = 6371.0088;

    /** The haversine formula, written out here independently of the program's. */
    static double haversine(double lat1, double lon1, double lat2, double lon2) {
        double f1 = lat1 * Math.PI / 180;
        double f2 = lat2 * Math.PI / 180;
        double df = (lat2 - lat1) * Math.PI / 180;
        double dl = (lon2 - lon1) * Math.PI / 180;
        double a =
                Math.pow(Math.sin(df / 2), 2)
                        + Math.cos(f1) * Math.cos(f2) * Math.pow(Math.sin(dl / 2), 2);
        return 2 * R * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
    }

    @TempDir Path tmp;
    OneInputStreamOperatorTestHarness<EventRow, EventRow> h;

    @BeforeEach
    void open() throws Exception {
        h = Harnesses.oneInput(Specs.step(SPEC, "features"), tmp);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void derivedFieldsAreAppendedWithTheExpressionsTypes() {
        RowSchema result = Specs.step(SPEC, "features").step().result();
        assertThat(result.names())
                .containsExactly(
                        "trip_id",
                        "seconds",
                        "miles",
                        "fare",
                        "tips",
                        "stops",
                        "pickup_lat",
                        "pickup_lon",
                        "dropoff_lat",
                        "dropoff_lon",
                        "speed_mph",
                        "speed_kmh",
                        "fare_per_mile",
                        "minutes",
                        "seconds_per_stop",
                        "total",
                        "distance_km");
        assertThat(result.field("speed_mph").type()).isEqualTo(FieldType.DOUBLE);
        assertThat(result.field("minutes").type()).isEqualTo(FieldType.LONG);
        assertThat(result.field("fare_per_mile").nullable()).isTrue();
    }

    @Test
    void exactValues() throws Exception {
        // 3 miles in 900 s = 12 mph; one degree of latitude apart on a meridian
        EventRow in = row("trips.csv:2", "t1", 900L, 3.0, 15.0, 2.5, 4L, 41.0, -87.6, 42.0, -87.6);
        h.processElement(in, 0L);

        List<EventRow> out = drain(h);
        assertThat(out).hasSize(1);
        double oneDegree = haversine(41.0, -87.6, 42.0, -87.6);
        assertThat(oneDegree).isCloseTo(111.195, within(0.001)); // R * pi / 180
        assertValues(
                out.get(0),
                "t1",
                900L,
                3.0,
                15.0,
                2.5,
                4L,
                41.0,
                -87.6,
                42.0,
                -87.6,
                3.0 / (900.0 / 3600.0), // 12 mph
                12.0 * 1.609344,
                15.0 / 3.0,
                15L, // 900 / 60, whole-number division
                225L, // 900 / 4
                17.5,
                oneDegree);
        assertThat(out.get(0).origin()).isEqualTo("trips.csv:2");
        assertThat(out.get(0).raw()).isEqualTo(in.raw());
        assertThat(drainDeadLetters(h)).isEmpty();
    }

    @Test
    void haversineAcrossLongitudes() throws Exception {
        // the Loop to O'Hare, roughly
        h.processElement(
                row(
                        "trips.csv:3",
                        "t2",
                        1800L,
                        17.0,
                        40.0,
                        0.0,
                        1L,
                        41.8781,
                        -87.6298,
                        41.9742,
                        -87.9073),
                0L);
        EventRow out = drain(h).get(0);
        double expected = haversine(41.8781, -87.6298, 41.9742, -87.9073);
        assertThat((Double) out.get(16)).isCloseTo(expected, within(expected * 1e-9));
        assertThat(expected).isBetween(25.0, 26.0);
    }

    @Test
    void integerDivisionTruncatesTowardsZero() throws Exception {
        h.processElement(
                row("trips.csv:4", "t3", 119L, 1.0, 1.0, 0.0, 2L, null, null, null, null), 0L);
        EventRow out = drain(h).get(0);
        assertThat(out.get(13)).isEqualTo(1L); // 119 / 60
        assertThat(out.get(14)).isEqualTo(59L); // 119 / 2
    }

    @Test
    void whenFalseGivesNull() throws Exception {
        // no miles -> no fare per mile; no coordinates -> no distance
        h.processElement(
                row("trips.csv:5", "t4", 60L, 0.0, 7.0, 1.0, 1L, null, -87.6, 42.0, -87.6), 0L);
        EventRow out = drain(h).get(0);
        assertThat(out.get(10)).isEqualTo(0.0); // speed is still computed
        assertThat(out.get(12)).isNull();
        assertThat(out.get(16)).isNull();
        assertThat(out.get(15)).isEqualTo(8.0);
    }

    @Test
    void divisionByZeroIsAnExpressionError() throws Exception {
        EventRow in = row("trips.csv:6", "t5", 60L, 1.0, 7.0, 1.0, 0L, null, null, null, null);
        h.processElement(in, 0L);
        EventRow d =
                assertExpressionError(
                        in, "seconds_per_stop", Specs.position(SPEC, "- name: seconds_per_stop"));
        assertThat((String) dl(d, "message")).containsIgnoringCase("zero");
    }

    @Test
    void arithmeticOnAMissingValueIsAnExpressionError() throws Exception {
        EventRow in = row("trips.csv:7", "t6", 60L, 1.0, 7.0, null, 1L, null, null, null, null);
        h.processElement(in, 0L);
        assertExpressionError(in, "total", Specs.position(SPEC, "- name: total"));
    }

    @Test
    void literalDivisionByZeroFromTheBrief() throws Exception {
        String spec =
                """
        name: derive-zero
        sources:
          - id: trips
            type: file
            path: trips.csv
            fields:
              - {name: trip_seconds, type: long}
        sinks: [{id: out, type: console}, {id: dead, type: console}]
        pipelines:
          - id: taxi
            source: trips
            dead-letters: dead
            steps:
              - id: req
                processor: validate
                required: [trip_seconds]
              - id: broken
                processor: derive
                fields:
                  - {name: per_nothing, expr: trip_seconds / 0}
        """;
        try (OneInputStreamOperatorTestHarness<EventRow, EventRow> z =
                Harnesses.oneInput(Specs.step(spec, "broken"), tmp)) {
            EventRow in = row("trips.csv:9", 42L);
            z.processElement(in, 0L);
            assertThat(drain(z)).isEmpty();
            List<EventRow> dead = drainDeadLetters(z);
            assertThat(dead).hasSize(1);
            assertThat(dl(dead.get(0), "reason")).isEqualTo("expression-error");
            assertThat(dl(dead.get(0), "field")).isEqualTo("per_nothing");
            assertThat(dl(dead.get(0), "position"))
                    .isEqualTo(Specs.position(spec, "{name: per_nothing"));
            assertThat(dl(dead.get(0), "step")).isEqualTo("taxi.broken");
            assertThat(dl(dead.get(0), "payload")).isEqualTo("42");
        }
    }

    @Test
    void aBadRowDoesNotAffectTheNext() throws Exception {
        h.processElement(
                row("trips.csv:8", "bad", 60L, 1.0, 7.0, 1.0, 0L, null, null, null, null), 0L);
        h.processElement(
                row("trips.csv:9", "good", 60L, 1.0, 7.0, 1.0, 3L, null, null, null, null), 0L);
        List<EventRow> out = drain(h);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).get(0)).isEqualTo("good");
        assertThat(out.get(0).get(14)).isEqualTo(20L);
        assertThat(drainDeadLetters(h)).hasSize(1);
    }

    private EventRow assertExpressionError(EventRow in, String field, String position) {
        assertThat(drain(h)).isEmpty();
        List<EventRow> dead = drainDeadLetters(h);
        assertThat(dead).hasSize(1);
        EventRow d = dead.get(0);
        assertThat(dl(d, "reason")).isEqualTo("expression-error");
        assertThat(dl(d, "field")).isEqualTo(field);
        assertThat((String) dl(d, "message")).startsWith(field + ": ");
        assertThat(dl(d, "position")).isEqualTo(position);
        assertThat(dl(d, "origin")).isEqualTo(in.origin());
        assertThat(dl(d, "step")).isEqualTo("taxi.features");
        assertThat(dl(d, "payload")).isEqualTo(new String(in.raw(), StandardCharsets.UTF_8));
        return d;
    }
}
