package io.sluice.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.model.Spec.SourceSpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Broken and valid input lines through {@link RowDecoder}: every broken line becomes exactly one
 * dead letter naming the reason, the field, the fact to fix, the original payload, where the
 * rejecting mapping is written and where the line came from.
 */
class RowDecoderTest {
    static final String ORIGIN = "trips.csv:17";

    // ---------------------------------------------------------------------------------------------
    // CSV

    static final String CSV_SPEC =
            """
      name: decode
      sources:
        - id: trips
          type: file
          path: trips.csv
          format: csv
          fields:
            - {name: trip_id, type: string}
            - {name: start, column: trip_start_timestamp, type: timestamp, pattern: "MM/dd/yyyy hh:mm:ss a", time-zone: America/Chicago}
            - {name: seconds, column: trip_seconds, type: long}
            - {name: miles, column: trip_miles, type: double}
            - {name: shared, type: boolean}
            - {name: iso_ts, type: timestamp}
            - {name: local_ts, type: timestamp, time-zone: Europe/Berlin}
            - {name: epoch_s, type: timestamp, unit: s}
            - {name: epoch_ms, type: timestamp, unit: ms}
          event-time:
            field: start
      sinks: [{id: out, type: console}, {id: dead, type: console}]
      pipelines:
        - id: p
          source: trips
          dead-letters: dead
          steps:
            - {id: keep, processor: filter, condition: "true"}
      """;

    /** The input's header: another order than the mapping, and one unmapped column. */
    static final List<String> HEADER =
            List.of(
                    "trip_seconds",
                    "note",
                    "trip_id",
                    "trip_start_timestamp",
                    "trip_miles",
                    "shared",
                    "iso_ts",
                    "local_ts",
                    "epoch_s",
                    "epoch_ms");

    static final Map<String, String> VALID_CELLS = new LinkedHashMap<>();

    static {
        VALID_CELLS.put("trip_seconds", "600");
        VALID_CELLS.put("note", "hello");
        VALID_CELLS.put("trip_id", "t1");
        VALID_CELLS.put("trip_start_timestamp", "01/01/2024 10:00:00 AM");
        VALID_CELLS.put("trip_miles", "2.5");
        VALID_CELLS.put("shared", "true");
        VALID_CELLS.put("iso_ts", "2024-03-10T08:30:00Z");
        VALID_CELLS.put("local_ts", "2024-07-01T12:00:00");
        VALID_CELLS.put("epoch_s", "1700000000");
        VALID_CELLS.put("epoch_ms", "1700000000123");
    }

    static final SourceSpec CSV_SOURCE = Specs.load(CSV_SPEC).source("trips");

    /** A valid line with one cell replaced. */
    static String csvWith(String column, String cell) {
        Map<String, String> cells = new LinkedHashMap<>(VALID_CELLS);
        assertThat(cells).containsKey(column);
        cells.put(column, cell);
        return String.join(",", cells.values());
    }

    static RowDecoder csvDecoder() {
        return new RowDecoder(CSV_SOURCE, HEADER);
    }

    static String mappingPos(String spec, String name) {
        return Specs.position(spec, "{name: " + name + ",");
    }

    static String csvSourcePos() {
        return Specs.position(CSV_SPEC, "- id: trips");
    }

    static long utc(String isoInstant) {
        return Instant.parse(isoInstant).toEpochMilli();
    }

    @Test
    void validCsvLineBecomesTypedValuesInMappingOrder() {
        Outcome o = decode(csvDecoder(), String.join(",", VALID_CELLS.values()));

        assertThat(o.deadLetters).isEmpty();
        assertThat(o.row.values())
                .containsExactly(
                        "t1",
                        utc("2024-01-01T16:00:00Z"), // 10:00 AM in Chicago in winter is UTC-6
                        600L,
                        2.5,
                        true,
                        utc("2024-03-10T08:30:00Z"),
                        utc("2024-07-01T10:00:00Z"), // Berlin in summer is UTC+2
                        1_700_000_000_000L,
                        1_700_000_000_123L);
        assertThat(o.row.origin()).isEqualTo(ORIGIN);
        assertThat(o.row.raw()).isEqualTo(o.raw);
    }

    @Test
    void exactEpochMillisOfAFirstPatternTimestamp() {
        // 2024-01-01T00:00:00Z is 1,704,067,200 s; 10:00 CST = 16:00 UTC adds 16 h = 57,600 s
        Outcome o = decode(csvDecoder(), String.join(",", VALID_CELLS.values()));
        assertThat(o.row.get(1)).isEqualTo(1_704_124_800_000L);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "07/04/2024 01:15:30 PM | 2024-07-04T18:15:30Z", // CDT, UTC-5
                "01/01/2024 12:00:00 AM | 2024-01-01T06:00:00Z", // midnight
                "01/01/2024 12:30:00 PM | 2024-01-01T18:30:00Z", // noon
                "11/03/2024 11:59:59 PM | 2024-11-04T05:59:59Z", // after the switch back to CST
            })
    void patternTimestampsAreReadInTheirZone(String text, String utcInstant) {
        Outcome o = decode(csvDecoder(), csvWith("trip_start_timestamp", text));
        assertThat(o.deadLetters).isEmpty();
        assertThat(o.row.get(1)).isEqualTo(utc(utcInstant));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "2024-03-10T08:30:00Z | 2024-03-10T08:30:00Z",
                "2024-03-10T08:30:00.250Z | 2024-03-10T08:30:00.250Z",
                "2024-03-10T08:30:00+01:00 | 2024-03-10T07:30:00Z",
                "2024-03-10T08:30:00-05:30 | 2024-03-10T14:00:00Z",
                "2024-03-10T08:30:00 | 2024-03-10T08:30:00Z", // no offset: the field's zone, UTC by
                // default
            })
    void isoTimestampsHonourTheirOffset(String text, String utcInstant) {
        Outcome o = decode(csvDecoder(), csvWith("iso_ts", text));
        assertThat(o.deadLetters).isEmpty();
        assertThat(o.row.get(5)).isEqualTo(utc(utcInstant));
    }

    @Test
    void localIsoTimestampUsesTheFieldsTimeZone() {
        Outcome o = decode(csvDecoder(), csvWith("local_ts", "2024-01-15T12:00:00"));
        assertThat(o.row.get(6))
                .isEqualTo(utc("2024-01-15T11:00:00Z")); // Berlin in winter is UTC+1
    }

    @Test
    void epochUnitsSecondsAndMillis() {
        Outcome o = decode(csvDecoder(), csvWith("epoch_s", "-86400"));
        assertThat(o.row.get(7)).isEqualTo(-86_400_000L);
        o = decode(csvDecoder(), csvWith("epoch_ms", "0"));
        assertThat(o.row.get(8)).isEqualTo(0L);
    }

    @Test
    void quotedCellsWithDelimitersAndDoubledQuotes() {
        Outcome o = decode(csvDecoder(), csvWith("trip_id", "\"t,\"\"1\"\"\""));
        assertThat(o.deadLetters).isEmpty();
        assertThat(o.row.get(0)).isEqualTo("t,\"1\"");
    }

    @Test
    void numbersAroundWhitespaceAreAccepted() {
        Outcome o = decode(csvDecoder(), csvWith("trip_seconds", " 600 "));
        assertThat(o.row.get(2)).isEqualTo(600L);
        o = decode(csvDecoder(), csvWith("trip_miles", "-0.5e1"));
        assertThat(o.row.get(3)).isEqualTo(-5.0);
        o = decode(csvDecoder(), csvWith("shared", "FALSE"));
        assertThat(o.row.get(4)).isEqualTo(false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"trip_id", "trip_seconds", "trip_miles", "shared", "iso_ts", "epoch_s"})
    void anEmptyCellIsAMissingValueNotADeadLetter(String column) {
        Outcome o = decode(csvDecoder(), csvWith(column, ""));
        assertThat(o.deadLetters).isEmpty();
        int field =
                List.of(
                                "trip_id",
                                "start",
                                "trip_seconds",
                                "trip_miles",
                                "shared",
                                "iso_ts",
                                "local_ts",
                                "epoch_s")
                        .indexOf(column);
        assertThat(o.row.get(field)).isNull();
        assertThat(Arrays.stream(o.row.values()).filter(v -> v == null)).hasSize(1);
    }

    @Test
    void unterminatedQuote() {
        String line = csvWith("trip_id", "\"t1");
        // 600,hello,"t1 -> the quote is the 11th character
        assertOneDeadLetter(
                csvDecoder(),
                line,
                "malformed-csv",
                null,
                csvSourcePos(),
                "unterminated quote",
                "column 11");
    }

    @Test
    void strayQuoteInsideAnUnquotedCell() {
        String line = csvWith("trip_id", "t\"1");
        assertOneDeadLetter(
                csvDecoder(),
                line,
                "malformed-csv",
                null,
                csvSourcePos(),
                "stray quote",
                "column 12");
    }

    @Test
    void textAfterAClosingQuote() {
        String line = csvWith("trip_id", "\"t1\"x");
        // 600,hello,"t1"x -> x is the 15th character
        assertOneDeadLetter(
                csvDecoder(),
                line,
                "malformed-csv",
                null,
                csvSourcePos(),
                "text after closing quote",
                "column 15");
    }

    @Test
    void missingColumnsAreCounted() {
        String line = String.join(",", new ArrayList<>(VALID_CELLS.values()).subList(0, 8));
        assertOneDeadLetter(
                csvDecoder(),
                line,
                "malformed-csv",
                null,
                csvSourcePos(),
                "expected 10 columns, found 8");
    }

    @Test
    void extraColumnsAreCounted() {
        String line = String.join(",", VALID_CELLS.values()) + ",extra";
        assertOneDeadLetter(
                csvDecoder(),
                line,
                "malformed-csv",
                null,
                csvSourcePos(),
                "expected 10 columns, found 11");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "   \t  "})
    void emptyAndBlankLines(String line) {
        assertOneDeadLetter(csvDecoder(), line, "empty-line", null, csvSourcePos(), "empty");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "trip_seconds | seconds | abc | 'abc' is not a whole number",
                "trip_seconds | seconds | 1.5 | '1.5' is not a whole number",
                "trip_seconds | seconds | 12abc | '12abc' is not a whole number",
                "trip_seconds | seconds | 99999999999999999999 | 99999999999999999999 does not fit in a 64-bit whole number",
                "trip_seconds | seconds | -99999999999999999999 | does not fit in a 64-bit whole number",
                "trip_miles | miles | NaN | 'NaN' is not a finite number",
                "trip_miles | miles | Infinity | 'Infinity' is not a finite number",
                "trip_miles | miles | -Infinity | '-Infinity' is not a finite number",
                "trip_miles | miles | 1d | '1d' is not a number",
                "trip_miles | miles | 2.5f | '2.5f' is not a number",
                "trip_miles | miles | 1e999 | too large for a double",
                "trip_miles | miles | two | 'two' is not a number",
                "shared | shared | yes | 'yes' is not true or false",
                "shared | shared | 1 | '1' is not true or false",
                "trip_start_timestamp | start | 2024-01-01 10:00 | does not match pattern 'MM/dd/yyyy hh:mm:ss a'",
                "trip_start_timestamp | start | 13/01/2024 10:00:00 AM | does not match pattern",
                "trip_start_timestamp | start | 01/01/2024 10:00:00 | does not match pattern",
                "iso_ts | iso_ts | 2024-13-01T00:00:00Z | does not match ISO-8601",
                "iso_ts | iso_ts | yesterday | 'yesterday' does not match ISO-8601",
                "local_ts | local_ts | 2024-07-01 12:00 | does not match ISO-8601",
                "epoch_s | epoch_s | 1700000000.5 | not a whole number",
                "epoch_s | epoch_s | 9223372036854776 | 9223372036854776 seconds is out of range",
                "epoch_ms | epoch_ms | soon | 'soon' is not a whole number",
            })
    void badValuesNameTheFieldAndPointAtItsMapping(
            String column, String field, String cell, String fact) {
        assertOneDeadLetter(
                csvDecoder(),
                csvWith(column, cell),
                "bad-value",
                field,
                mappingPos(CSV_SPEC, field),
                field + ": ",
                fact);
    }

    @Test
    void longBadValuesAreAbbreviatedInTheMessage() {
        String cell = "x".repeat(500);
        DeadLetter d =
                assertOneDeadLetter(
                        csvDecoder(),
                        csvWith("trip_seconds", cell),
                        "bad-value",
                        "seconds",
                        mappingPos(CSV_SPEC, "seconds"),
                        "is not a whole number");
        assertThat(d.message).hasSizeLessThan(100).contains("...");
        assertThat(d.payload).contains(cell); // the payload keeps everything
    }

    @Test
    void aWholeNumberWrittenWithADecimalPointIsNotReportedAsTooLarge() {
        for (String cell : List.of("1.0", "1e3")) {
            DeadLetter d =
                    assertOneDeadLetter(
                            csvDecoder(),
                            csvWith("trip_seconds", cell),
                            "bad-value",
                            "seconds",
                            mappingPos(CSV_SPEC, "seconds"),
                            "'" + cell + "'");
            assertThat(d.message).doesNotContain("does not fit");
        }
    }

    @Test
    void hexadecimalFloatLiteralsAreNotNumbersInData() {
        assertOneDeadLetter(
                csvDecoder(),
                csvWith("trip_miles", "0x1p3"),
                "bad-value",
                "miles",
                mappingPos(CSV_SPEC, "miles"),
                "'0x1p3' is not a number");
    }

    @Test
    void theMostNegativeEpochSecondsIsOutOfRange() {
        assertOneDeadLetter(
                csvDecoder(),
                csvWith("epoch_s", "-9223372036854775808"),
                "bad-value",
                "epoch_s",
                mappingPos(CSV_SPEC, "epoch_s"),
                "seconds is out of range");
    }

    @Test
    void negativeEpochSecondsBeyondRangeAreRejected() {
        assertOneDeadLetter(
                csvDecoder(),
                csvWith("epoch_s", "-9223372036854776"),
                "bad-value",
                "epoch_s",
                mappingPos(CSV_SPEC, "epoch_s"),
                "-9223372036854776 seconds is out of range");
    }

    static final String OFFSET_PATTERN_SPEC =
            """
      name: decode-offsets
      sources:
        - id: access
          type: file
          path: access.csv
          fields:
            - {name: ts, type: timestamp, pattern: "dd/MMM/yyyy:HH:mm:ss Z"}
          event-time: {field: ts}
      sinks: [{id: out, type: console}, {id: dead, type: console}]
      pipelines:
        - id: p
          source: access
          dead-letters: dead
          steps:
            - {id: keep, processor: filter, condition: "true"}
      """;

    @Test
    void aPatternWithAnOffsetHonoursTheOffset() {
        RowDecoder d =
                new RowDecoder(Specs.load(OFFSET_PATTERN_SPEC).source("access"), List.of("ts"));
        // the Apache access-log form: 13:55:36 at UTC-7 is 20:55:36 UTC
        Outcome o = decode(d, "10/Oct/2000:13:55:36 -0700");
        assertThat(o.deadLetters).isEmpty();
        assertThat(o.row.get(0)).isEqualTo(utc("2000-10-10T20:55:36Z"));
    }

    @Test
    void missingEventTimeIsAMissingField() {
        assertOneDeadLetter(
                csvDecoder(),
                csvWith("trip_start_timestamp", ""),
                "missing-field",
                "start",
                mappingPos(CSV_SPEC, "start"),
                "start: the event time is missing");
    }

    @Test
    void invalidUtf8KeepsTheExactBytes() {
        byte[] valid = csvWith("trip_id", "@@").getBytes(StandardCharsets.UTF_8);
        String text = new String(valid, StandardCharsets.US_ASCII);
        int at = text.indexOf("@@");
        byte[] raw = valid.clone();
        raw[at] = (byte) 0xC3; // a two-byte lead ...
        raw[at + 1] = (byte) 0x28; // ... followed by '(' instead of a continuation byte

        Outcome o = decode(csvDecoder(), raw, ORIGIN);

        assertThat(o.row).isNull();
        assertThat(o.deadLetters).hasSize(1);
        DeadLetter d = o.deadLetters.get(0);
        assertThat(d.reason).isEqualTo("invalid-utf8");
        assertThat(d.field).isNull();
        assertThat(d.message).contains("UTF-8");
        assertThat(d.position).isEqualTo(csvSourcePos());
        assertThat(d.origin).isEqualTo(ORIGIN);
        assertThat(d.step).isEqualTo("trips.decode");
        assertThat(d.payloadBase64).isNotNull();
        assertThat(Base64.getDecoder().decode(d.payloadBase64)).isEqualTo(raw);
        assertThat(d.payload).startsWith("600,hello,").endsWith(",1700000000123");
    }

    @Test
    void aMappedColumnMissingFromTheHeaderIsRejectedByName() {
        List<String> header = new ArrayList<>(HEADER);
        header.remove("trip_miles");
        assertThatThrownBy(() -> new RowDecoder(CSV_SOURCE, header))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trips")
                .hasMessageContaining("trip_miles");
    }

    @Test
    void everyMissingColumnIsNamed() {
        List<String> header = new ArrayList<>(HEADER);
        header.remove("trip_miles");
        header.remove("epoch_s");
        assertThatThrownBy(() -> new RowDecoder(CSV_SOURCE, header))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trip_miles")
                .hasMessageContaining("epoch_s");
    }

    @Test
    void aSerializedDecoderDecodesTheSame() throws Exception {
        RowDecoder copy = InstantiationUtil.clone(csvDecoder());
        Outcome o = decode(copy, String.join(",", VALID_CELLS.values()));
        assertThat(o.row.get(1)).isEqualTo(utc("2024-01-01T16:00:00Z"));
        assertOneDeadLetter(
                copy,
                csvWith("trip_seconds", "x"),
                "bad-value",
                "seconds",
                mappingPos(CSV_SPEC, "seconds"),
                "'x'");
    }

    @Test
    void aDecoderKeepsWorkingAfterBadLines() {
        RowDecoder d = csvDecoder();
        decode(d, csvWith("trip_id", "\"broken"));
        decode(d, csvWith("trip_start_timestamp", "nonsense"));
        Outcome o = decode(d, String.join(",", VALID_CELLS.values()));
        assertThat(o.deadLetters).isEmpty();
        assertThat(o.row.get(1)).isEqualTo(utc("2024-01-01T16:00:00Z"));
    }

    // ---------------------------------------------------------------------------------------------
    // JSON

    @Nested
    class Json {
        static final String JSON_SPEC =
                """
        name: decode-json
        sources:
          - id: events
            type: file
            path: events.jsonl
            format: json
            fields:
              - {name: id, type: string}
              - {name: ts, type: timestamp}
              - {name: n, column: count, type: long}
              - {name: x, type: double}
              - {name: flag, type: boolean}
              - {name: epoch_s, type: timestamp, unit: s}
            event-time:
              field: ts
        sinks: [{id: out, type: console}, {id: dead, type: console}]
        pipelines:
          - id: p
            source: events
            dead-letters: dead
            steps:
              - {id: keep, processor: filter, condition: "true"}
        """;

        static final String VALID =
                "{\"id\":\"a\",\"ts\":\"2024-03-10T08:30:00Z\",\"count\":5,\"x\":2.5,\"flag\":true,\"epoch_s\":1700000000}";

        RowDecoder decoder() {
            return new RowDecoder(Specs.load(JSON_SPEC).source("events"), null);
        }

        String sourcePos() {
            return Specs.position(JSON_SPEC, "- id: events");
        }

        /** The valid object with one member's JSON text replaced (or removed when null). */
        String with(String key, String json) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("id", "\"a\"");
            m.put("ts", "\"2024-03-10T08:30:00Z\"");
            m.put("count", "5");
            m.put("x", "2.5");
            m.put("flag", "true");
            m.put("epoch_s", "1700000000");
            assertThat(m).containsKey(key);
            if (json == null) {
                m.remove(key);
            } else {
                m.put(key, json);
            }
            StringBuilder b = new StringBuilder("{");
            m.forEach(
                    (k, v) ->
                            b.append(b.length() > 1 ? "," : "")
                                    .append('"')
                                    .append(k)
                                    .append("\":")
                                    .append(v));
            return b.append('}').toString();
        }

        @Test
        void validObjectBecomesTypedValues() {
            Outcome o = decode(decoder(), VALID);
            assertThat(o.deadLetters).isEmpty();
            assertThat(o.row.values())
                    .containsExactly(
                            "a", utc("2024-03-10T08:30:00Z"), 5L, 2.5, true, 1_700_000_000_000L);
            assertThat(o.row.origin()).isEqualTo(ORIGIN);
        }

        @Test
        void keysInAnyOrderAndExtraKeysAreFine() {
            Outcome o =
                    decode(
                            decoder(),
                            "{\"zzz\":[1,2],\"epoch_s\":\"1700000000\",\"x\":3,\"count\":-7,\"ts\":\"2024-03-10T08:30:00Z\"}");
            assertThat(o.deadLetters).isEmpty();
            assertThat(o.row.values())
                    .containsExactly(
                            null, utc("2024-03-10T08:30:00Z"), -7L, 3.0, null, 1_700_000_000_000L);
        }

        @Test
        void nullAndAbsentMembersAreMissingValues() {
            Outcome o = decode(decoder(), with("x", "null"));
            assertThat(o.row.get(3)).isNull();
            o = decode(decoder(), with("flag", null));
            assertThat(o.row.get(4)).isNull();
        }

        @ParameterizedTest
        @ValueSource(strings = {"[1,2]", "\"text\"", "42", "null", "true"})
        void aLineThatIsNotAnObject(String line) {
            assertOneDeadLetter(
                    decoder(),
                    line,
                    "malformed-json",
                    null,
                    sourcePos(),
                    "expected a JSON object per line");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {"{\"id\":", "{id: 1}", "{\"id\":\"a\",}", "{\"id\":\"a\"", "{'id':'a'}"})
        void brokenJson(String line) {
            DeadLetter d =
                    assertOneDeadLetter(decoder(), line, "malformed-json", null, sourcePos());
            assertThat(d.message).isNotBlank();
        }

        @Test
        void duplicateKeysAreMalformed() {
            String line = "{\"id\":\"a\",\"id\":\"b\",\"ts\":\"2024-03-10T08:30:00Z\"}";
            assertOneDeadLetter(
                    decoder(), line, "malformed-json", null, sourcePos(), "Duplicate field 'id'");
        }

        @Test
        void textAfterTheObjectIsMalformed() {
            assertOneDeadLetter(
                    decoder(), VALID + " trailing", "malformed-json", null, sourcePos());
            assertOneDeadLetter(decoder(), VALID + "{}", "malformed-json", null, sourcePos());
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                quoteCharacter = '`',
                value = {
                    "count | n | \"5\" | n: expected a number, found the string \"5\"",
                    "x | x | \"2.5\" | x: expected a number, found the string \"2.5\"",
                    "x | x | \"NaN\" | x: expected a number, found the string \"NaN\"",
                    "count | n | 99999999999999999999 | 99999999999999999999 does not fit in a 64-bit whole number",
                    "count | n | 1.5 | '1.5' is not a whole number",
                    "count | n | true | 'true' is not a whole number",
                    "count | n | {\"v\":1} | n: expected a single value, found object",
                    "x | x | [1] | x: expected a single value, found array",
                    "flag | flag | 1 | flag: 1 is not true or false",
                    "flag | flag | \"yes\" | 'yes' is not true or false",
                    "ts | ts | \"2024-02-30T00:00:00Z\" | does not match ISO-8601",
                    "epoch_s | epoch_s | 1.5 | not a whole number",
                })
        void badValues(String key, String field, String json, String fact) {
            assertOneDeadLetter(
                    decoder(),
                    with(key, json),
                    "bad-value",
                    field,
                    mappingPos(JSON_SPEC, field),
                    fact);
        }

        @Test
        void aDoubleBeyondRangeIsABadValue() {
            DeadLetter d =
                    assertOneDeadLetter(
                            decoder(),
                            with("x", "1e400"),
                            "bad-value",
                            "x",
                            mappingPos(JSON_SPEC, "x"),
                            "x: ");
            assertThat(d.message).containsAnyOf("finite", "too large");
        }

        @Test
        void missingEventTime() {
            for (String line : List.of(with("ts", null), with("ts", "null"))) {
                assertOneDeadLetter(
                        decoder(),
                        line,
                        "missing-field",
                        "ts",
                        mappingPos(JSON_SPEC, "ts"),
                        "ts: the event time is missing");
            }
        }

        @Test
        void aNumericEventTimeWithoutUnitIsEpochMillis() {
            Outcome o = decode(decoder(), with("ts", "1710059400000"));
            assertThat(o.row.get(1)).isEqualTo(utc("2024-03-10T08:30:00Z"));
        }

        @Test
        void invalidUtf8AndEmptyLines() {
            byte[] raw = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'};
            Outcome o = decode(decoder(), raw, ORIGIN);
            assertThat(o.deadLetters).hasSize(1);
            assertThat(o.deadLetters.get(0).reason).isEqualTo("invalid-utf8");
            assertThat(o.deadLetters.get(0).step).isEqualTo("events.decode");
            assertThat(o.deadLetters.get(0).position).isEqualTo(sourcePos());
            assertThat(Base64.getDecoder().decode(o.deadLetters.get(0).payloadBase64))
                    .isEqualTo(raw);
            assertOneDeadLetter(decoder(), "  ", "empty-line", null, sourcePos());
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** A dead letter's fields by name, as the dead-letter schema lays them out. */
    record DeadLetter(
            String reason,
            String message,
            String field,
            String payload,
            String payloadBase64,
            String position,
            String origin,
            String step) {
        static DeadLetter of(EventRow row) {
            var s = DeadLetters.SCHEMA;
            assertThat(row.arity()).isEqualTo(s.size());
            return new DeadLetter(
                    (String) row.get(s.indexOf("reason")),
                    (String) row.get(s.indexOf("message")),
                    (String) row.get(s.indexOf("field")),
                    (String) row.get(s.indexOf("payload")),
                    (String) row.get(s.indexOf("payload_base64")),
                    (String) row.get(s.indexOf("position")),
                    (String) row.get(s.indexOf("origin")),
                    (String) row.get(s.indexOf("step")));
        }
    }

    record Outcome(EventRow row, List<DeadLetter> deadLetters, byte[] raw) {}

    static Outcome decode(RowDecoder decoder, String line) {
        return decode(decoder, line.getBytes(StandardCharsets.UTF_8), ORIGIN);
    }

    static Outcome decode(RowDecoder decoder, byte[] raw, String origin) {
        List<DeadLetter> dead = new ArrayList<>();
        EventRow row = decoder.decode(raw, origin, r -> dead.add(DeadLetter.of(r)));
        if (row != null) {
            assertThat(dead).as("a decoded row and dead letters for the same line").isEmpty();
        }
        return new Outcome(row, dead, raw);
    }

    /** Decodes a bad line and checks the single dead letter it must produce. */
    static DeadLetter assertOneDeadLetter(
            RowDecoder decoder,
            String line,
            String reason,
            String field,
            String position,
            String... facts) {
        Outcome o = decode(decoder, line);
        assertThat(o.row).as("row decoded from %s", line).isNull();
        assertThat(o.deadLetters).as("dead letters for %s", line).hasSize(1);
        DeadLetter d = o.deadLetters.get(0);
        assertThat(d.reason).as("reason for %s", line).isEqualTo(reason);
        assertThat(d.field).as("field for %s", line).isEqualTo(field);
        for (String fact : facts) {
            assertThat(d.message).as("message for %s", line).contains(fact);
        }
        assertThat(d.payload).as("payload").isEqualTo(line);
        assertThat(d.payloadBase64).as("payload_base64 of valid UTF-8").isNull();
        assertThat(d.position).as("position for %s", line).isEqualTo(position);
        assertThat(d.origin).isEqualTo(ORIGIN);
        assertThat(d.step)
                .as("step")
                .isIn("trips.decode", "events.decode"); // exact in the UTF-8 tests

        return d;
    }
}
