package io.sluice.runtime.processor;

import static io.sluice.runtime.testutil.Rows.dl;
import static io.sluice.runtime.testutil.Rows.drain;
import static io.sluice.runtime.testutil.Rows.drainDeadLetters;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Harnesses;
import io.sluice.runtime.testutil.Specs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateProcessorTest {
    static final String SPEC =
            """
      name: validate-test
      sources:
        - id: trips
          type: file
          path: trips.csv
          fields:
            - {name: trip_id, type: string}
            - {name: fare, type: double}
            - {name: seconds, type: long}
            - {name: company, type: string}
      sinks: [{id: out, type: console}, {id: dead, type: console}]
      pipelines:
        - id: taxi
          source: trips
          dead-letters: dead
          steps:
            - id: check-trip
              processor: validate
              required: [fare, company]
              ranges:
                - {field: fare, at-least: 0, at-most: 500}
                - {field: seconds, greater-than: 0, less-than: 86400}
              checks:
                - expr: 'company != "blocked"'
                  message: company is blocked
                - expr: 'trip_id.startsWith("t")'
      """;

    static final String STEP = "taxi.check-trip";
    static final String REQUIRED_POS = Specs.position(SPEC, "required: [fare, company]");
    static final String FARE_RANGE_POS = Specs.position(SPEC, "{field: fare,");
    static final String SECONDS_RANGE_POS = Specs.position(SPEC, "{field: seconds,");
    static final String BLOCKED_CHECK_POS = Specs.position(SPEC, "expr: 'company != \"blocked\"'");
    static final String PREFIX_CHECK_POS = Specs.position(SPEC, "expr: 'trip_id.startsWith");

    @TempDir Path tmp;
    OneInputStreamOperatorTestHarness<EventRow, EventRow> h;

    @BeforeEach
    void open() throws Exception {
        h = Harnesses.oneInput(Specs.step(SPEC, "check-trip"), tmp);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void passingRowsContinueUnchanged() throws Exception {
        EventRow ok = row("trips.csv:2", "t1", 12.5, 600L, "acme");
        EventRow bounds =
                row("trips.csv:3", "t2", 0.0, 1L, "acme"); // at-least and greater-than edges
        EventRow upper =
                row("trips.csv:4", "t3", 500.0, 86_399L, "acme"); // at-most and less-than edges
        EventRow noSeconds =
                row("trips.csv:5", "t4", 3.0, null, "acme"); // a missing value passes a range

        for (EventRow r : List.of(ok, bounds, upper, noSeconds)) {
            h.processElement(r, 1000L);
        }

        List<EventRow> out = drain(h);
        assertThat(out).containsExactly(ok, bounds, upper, noSeconds);
        for (int i = 0; i < out.size(); i++) {
            EventRow in = List.of(ok, bounds, upper, noSeconds).get(i);
            assertThat(out.get(i).raw()).isEqualTo(in.raw());
            assertThat(out.get(i).origin()).isEqualTo(in.origin());
        }
        assertThat(drainDeadLetters(h)).isEmpty();
    }

    @Test
    void requiredFieldMissing() throws Exception {
        EventRow r = row("trips.csv:7", "t1", null, 600L, "acme");
        h.processElement(r, 0L);
        assertDeadLetter("missing-field", "fare", REQUIRED_POS, r, "fare is required but missing");

        EventRow r2 = row("trips.csv:8", "t1", 1.0, 600L, null);
        h.processElement(r2, 0L);
        assertDeadLetter(
                "missing-field", "company", REQUIRED_POS, r2, "company is required but missing");
    }

    @Test
    void eachRangeBound() throws Exception {
        expectOutOfRange(
                row("trips.csv:10", "t1", -0.01, 600L, "acme"),
                "fare",
                FARE_RANGE_POS,
                "fare = -0.01 must be at least 0");
        expectOutOfRange(
                row("trips.csv:11", "t1", 500.5, 600L, "acme"),
                "fare",
                FARE_RANGE_POS,
                "fare = 500.5 must be at most 500");
        expectOutOfRange(
                row("trips.csv:12", "t1", 5.0, 0L, "acme"),
                "seconds",
                SECONDS_RANGE_POS,
                "seconds = 0 must be greater than 0");
        expectOutOfRange(
                row("trips.csv:13", "t1", 5.0, 86_400L, "acme"),
                "seconds",
                SECONDS_RANGE_POS,
                "seconds = 86400 must be less than 86400");
    }

    @Test
    void failedCheckWithItsMessageOrItsExpression() throws Exception {
        EventRow blocked = row("trips.csv:20", "t1", 5.0, 60L, "blocked");
        h.processElement(blocked, 0L);
        EventRow d =
                assertDeadLetter(
                        "check-failed", null, BLOCKED_CHECK_POS, blocked, "company is blocked");
        assertThat(dl(d, "message")).isEqualTo("company is blocked");

        EventRow prefix = row("trips.csv:21", "x1", 5.0, 60L, "acme");
        h.processElement(prefix, 0L);
        assertDeadLetter(
                "check-failed",
                null,
                PREFIX_CHECK_POS,
                prefix,
                "check failed: trip_id.startsWith(\"t\")");
    }

    @Test
    void checkThatCannotBeEvaluatedIsAnExpressionError() throws Exception {
        EventRow noId = row("trips.csv:22", null, 5.0, 60L, "acme");
        h.processElement(noId, 0L);
        assertDeadLetter(
                "expression-error",
                null,
                PREFIX_CHECK_POS,
                noId,
                "trip_id.startsWith(\"t\")",
                "could not be evaluated");
    }

    @Test
    void theFirstFailingRuleWins() throws Exception {
        // required comes before ranges, ranges before checks, and rules keep the order they are
        // written in
        EventRow everythingWrong = row("trips.csv:30", "x", null, 0L, "blocked");
        h.processElement(everythingWrong, 0L);
        assertDeadLetter("missing-field", "fare", REQUIRED_POS, everythingWrong, "fare");

        EventRow rangesAndChecks = row("trips.csv:31", "x", -1.0, 0L, "blocked");
        h.processElement(rangesAndChecks, 0L);
        assertDeadLetter("out-of-range", "fare", FARE_RANGE_POS, rangesAndChecks, "at least 0");

        EventRow secondRangeAndChecks = row("trips.csv:32", "x", 1.0, 0L, "blocked");
        h.processElement(secondRangeAndChecks, 0L);
        assertDeadLetter(
                "out-of-range",
                "seconds",
                SECONDS_RANGE_POS,
                secondRangeAndChecks,
                "greater than 0");

        EventRow bothChecks = row("trips.csv:33", "x", 1.0, 10L, "blocked");
        h.processElement(bothChecks, 0L);
        assertDeadLetter("check-failed", null, BLOCKED_CHECK_POS, bothChecks, "company is blocked");
    }

    @Test
    void theStepsResultSchemaMarksRequiredFieldsPresent() {
        var step = Specs.step(SPEC, "check-trip").step();
        assertThat(step.result().field("fare").nullable()).isFalse();
        assertThat(step.result().field("company").nullable()).isFalse();
        assertThat(step.result().field("seconds").nullable()).isTrue();
        assertThat(step.result().names()).isEqualTo(step.input().names());
    }

    // ---------------------------------------------------------------------------------------------

    private void expectOutOfRange(EventRow r, String field, String pos, String message)
            throws Exception {
        h.processElement(r, 0L);
        EventRow d = assertDeadLetter("out-of-range", field, pos, r, message);
        assertThat(dl(d, "message")).isEqualTo(message);
    }

    private EventRow assertDeadLetter(
            String reason, String field, String position, EventRow input, String... facts) {
        assertThat(drain(h)).as("rows passed").isEmpty();
        List<EventRow> dead = drainDeadLetters(h);
        assertThat(dead).as("dead letters for %s", input).hasSize(1);
        EventRow d = dead.get(0);
        assertThat(dl(d, "reason")).isEqualTo(reason);
        assertThat(dl(d, "field")).isEqualTo(field);
        for (String fact : facts) {
            assertThat((String) dl(d, "message")).contains(fact);
        }
        assertThat(dl(d, "position")).isEqualTo(position);
        assertThat(dl(d, "origin")).isEqualTo(input.origin());
        assertThat(dl(d, "step")).isEqualTo(STEP);
        assertThat(dl(d, "payload")).isEqualTo(new String(input.raw(), StandardCharsets.UTF_8));
        assertThat(dl(d, "payload_base64")).isNull();
        return d;
    }
}
