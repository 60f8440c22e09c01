package io.sluice.bench.baseline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.source.TaxiTrips;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Strict CSV parsing of a Chicago taxi line into a {@link TripRecord}. Lines that are not UTF-8,
 * blank, badly quoted, of the wrong column count, with a value that does not parse (including NaN,
 * infinities and numbers too large for their type) or without a start time become dead letters. An
 * empty cell is a missing value. Stateless.
 */
public class TripParser extends ProcessFunction<EventRow, TripRecord> {
    static final String STEP = "trips.decode";
    static final String POSITION = "TripParser";

    private static final DateTimeFormatter START_FORMAT =
            DateTimeFormatter.ofPattern("MM/dd/yyyy hh:mm:ss a", Locale.US);
    private static final ZoneId CHICAGO = ZoneId.of("America/Chicago");

    private static final int COLUMNS = TaxiTrips.HEADER.size();
    private static final int TRIP_ID = column("trip_id");
    private static final int START = column("trip_start_timestamp");
    private static final int SECONDS = column("trip_seconds");
    private static final int MILES = column("trip_miles");
    private static final int AREA = column("pickup_community_area");
    private static final int DROPOFF_AREA = column("dropoff_community_area");
    private static final int FARE = column("fare");
    private static final int TIPS = column("tips");
    private static final int COMPANY = column("company");
    private static final int PICKUP_LAT = column("pickup_centroid_latitude");
    private static final int PICKUP_LON = column("pickup_centroid_longitude");
    private static final int DROPOFF_LAT = column("dropoff_centroid_latitude");
    private static final int DROPOFF_LON = column("dropoff_centroid_longitude");

    private final boolean json;
    private transient CharsetDecoder utf8;
    private transient ObjectMapper mapper;

    /** A parser of CSV lines. */
    public TripParser() {
        this(false);
    }

    /**
     * @param json whether lines are JSON objects keyed by the CSV header's names
     */
    public TripParser(boolean json) {
        this.json = json;
    }

    private static int column(String name) {
        return TaxiTrips.HEADER.indexOf(name);
    }

    @Override
    public void open(OpenContext openContext) {
        utf8 =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        mapper = new ObjectMapper();
    }

    @Override
    public void processElement(EventRow in, Context ctx, Collector<TripRecord> out) {
        byte[] raw = in.raw();
        String line;
        try {
            line = utf8.decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            ctx.output(
                    DeadLetter.TAG,
                    DeadLetter.ofBytes(
                            "invalid-utf8",
                            "the line is not valid UTF-8",
                            raw,
                            POSITION,
                            in.origin(),
                            STEP));
            return;
        }
        if (line.isBlank()) {
            ctx.output(
                    DeadLetter.TAG,
                    DeadLetter.of(
                            "empty-line", "empty line", null, line, POSITION, in.origin(), STEP));
            return;
        }
        List<String> cells;
        try {
            cells = json ? fields(line) : split(line);
        } catch (MalformedLine e) {
            ctx.output(
                    DeadLetter.TAG,
                    DeadLetter.of(
                            json ? "malformed-json" : "malformed-csv",
                            e.getMessage(),
                            null,
                            line,
                            POSITION,
                            in.origin(),
                            STEP));
            return;
        }
        if (cells.size() != COLUMNS) {
            String msg = "expected " + COLUMNS + " columns, found " + cells.size();
            ctx.output(
                    DeadLetter.TAG,
                    DeadLetter.of("malformed-csv", msg, null, line, POSITION, in.origin(), STEP));
            return;
        }
        TripRecord t = new TripRecord();
        Long start;
        try {
            t.tripId = text(cells.get(TRIP_ID));
            start = timestamp("trip_start_timestamp", cells.get(START));
            t.tripSeconds = wholeNumber("trip_seconds", cells.get(SECONDS));
            t.tripMiles = number("trip_miles", cells.get(MILES));
            t.area = wholeNumber("area", cells.get(AREA));
            t.dropoffArea = wholeNumber("dropoff_area", cells.get(DROPOFF_AREA));
            t.fare = number("fare", cells.get(FARE));
            t.tips = number("tips", cells.get(TIPS));
            t.company = text(cells.get(COMPANY));
            t.pickupLat = number("pickup_lat", cells.get(PICKUP_LAT));
            t.pickupLon = number("pickup_lon", cells.get(PICKUP_LON));
            t.dropoffLat = number("dropoff_lat", cells.get(DROPOFF_LAT));
            t.dropoffLon = number("dropoff_lon", cells.get(DROPOFF_LON));
        } catch (BadField e) {
            ctx.output(
                    DeadLetter.TAG,
                    DeadLetter.of(
                            "bad-value",
                            e.getMessage(),
                            e.field,
                            line,
                            POSITION,
                            in.origin(),
                            STEP));
            return;
        }
        if (start == null) {
            String msg = "trip_start_timestamp: the event time is missing";
            ctx.output(
                    DeadLetter.TAG,
                    DeadLetter.of(
                            "missing-field",
                            msg,
                            "trip_start_timestamp",
                            line,
                            POSITION,
                            in.origin(),
                            STEP));
            return;
        }
        t.startMillis = start;
        t.line = line;
        t.origin = in.origin();
        out.collect(t);
    }

    /** A JSON object's values as cells in CSV column order; a missing or null value is empty. */
    private List<String> fields(String line) throws MalformedLine {
        JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            throw new MalformedLine(e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new MalformedLine("expected a JSON object per line");
        }
        List<String> cells = new ArrayList<>(COLUMNS);
        for (String column : TaxiTrips.HEADER) {
            JsonNode v = node.get(column);
            cells.add(v == null || v.isNull() ? "" : v.asText());
        }
        return cells;
    }

    /** A line that is not RFC 4180 CSV (or not a JSON object). */
    static final class MalformedLine extends Exception {
        MalformedLine(String message) {
            super(message);
        }
    }

    /** A cell that does not parse as its field's type. */
    static final class BadField extends Exception {
        final String field;

        BadField(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    /** RFC 4180: cells may be quoted, a doubled quote inside quotes is a quote, nothing else is. */
    static List<String> split(String line) throws MalformedLine {
        List<String> cells = new ArrayList<>(COLUMNS);
        StringBuilder cell = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (true) {
            cell.setLength(0);
            if (i < n && line.charAt(i) == '"') {
                int open = i++;
                while (true) {
                    if (i >= n) {
                        throw new MalformedLine(
                                "unterminated quote opened at column " + (open + 1));
                    }
                    char c = line.charAt(i++);
                    if (c != '"') {
                        cell.append(c);
                    } else if (i < n && line.charAt(i) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        break;
                    }
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new MalformedLine("text after closing quote at column " + (i + 1));
                }
            } else {
                for (; i < n && line.charAt(i) != ','; i++) {
                    if (line.charAt(i) == '"') {
                        throw new MalformedLine("stray quote at column " + (i + 1));
                    }
                    cell.append(line.charAt(i));
                }
            }
            cells.add(cell.toString());
            if (i >= n) {
                return cells;
            }
            i++;
        }
    }

    private static String text(String cell) {
        return cell.isEmpty() ? null : cell;
    }

    private static Long wholeNumber(String field, String cell) throws BadField {
        if (cell.isEmpty()) {
            return null;
        }
        String t = cell.strip();
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new BadField(field, field + ": " + describeNonLong(t));
        }
    }

    private static String describeNonLong(String t) {
        try {
            if (new BigDecimal(t).stripTrailingZeros().scale() <= 0) {
                return abbreviate(t) + " does not fit in a 64-bit whole number";
            }
        } catch (NumberFormatException notANumber) {
            // fall through: not a number at all
        }
        return "'" + abbreviate(t) + "' is not a whole number";
    }

    private static Double number(String field, String cell) throws BadField {
        if (cell.isEmpty()) {
            return null;
        }
        String t = cell.strip();
        // Double.parseDouble also takes "NaN", "Infinity", "1d" and "2f"; a data file never means
        // those
        if (t.isEmpty() || Character.isLetter(t.charAt(t.length() - 1))) {
            throw new BadField(field, field + ": " + describeNonNumber(t));
        }
        double d;
        try {
            d = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new BadField(field, field + ": " + describeNonNumber(t));
        }
        if (Double.isInfinite(d)) {
            throw new BadField(field, field + ": " + abbreviate(t) + " is too large for a double");
        }
        return d;
    }

    private static String describeNonNumber(String t) {
        if (t.equalsIgnoreCase("nan") || t.toLowerCase(Locale.ROOT).contains("inf")) {
            return "'" + t + "' is not a finite number";
        }
        return "'" + abbreviate(t) + "' is not a number";
    }

    private static Long timestamp(String field, String cell) throws BadField {
        if (cell.isEmpty()) {
            return null;
        }
        String t = cell.strip();
        try {
            return LocalDateTime.parse(t, START_FORMAT).atZone(CHICAGO).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new BadField(
                    field,
                    field
                            + ": '"
                            + abbreviate(t)
                            + "' does not match pattern 'MM/dd/yyyy hh:mm:ss a'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
