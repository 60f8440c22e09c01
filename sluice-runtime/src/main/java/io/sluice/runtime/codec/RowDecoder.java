package io.sluice.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.Spec.FieldMapping;
import io.sluice.spec.model.Spec.SourceSpec;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Turns one input line into a typed row following the source's field mapping, or into a dead letter
 * saying what is wrong with it. Never throws for bad input.
 */
public final class RowDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String format;
    private final char delimiter;
    private final int headerSize;
    private final int[] columnIndex;
    private final String[] columns;
    private final ValueParser[] parsers;
    private final String[] fieldPositions;
    private final String sourcePosition;
    private final int eventTimeIndex;
    private final boolean[] fromRecord;
    private final String step;
    private transient CharsetDecoder utf8;
    private transient ObjectMapper json;
    private transient java.util.Map<String, int[]> memberFields;
    private transient JsonMember[] members;
    private transient JsonFactory fastJson;
    private transient CompactJson compact;
    private transient boolean columnsDistinct;
    private transient CompactJson.Keys lineKeys;
    private transient java.util.Map<String, Integer> fieldByMember;

    /**
     * @param header the CSV header's column names (null for JSON)
     * @throws IllegalArgumentException when a mapped column is not in the header
     */
    public RowDecoder(SourceSpec source, List<String> header) {
        this.format = source.format().type();
        this.delimiter = source.format().delimiter();
        this.step = source.id() + ".decode";
        this.sourcePosition = source.pos().fileLine();
        List<FieldMapping> fields = source.fields();
        this.parsers = new ValueParser[fields.size()];
        this.columns = new String[fields.size()];
        this.columnIndex = new int[fields.size()];
        this.fieldPositions = new String[fields.size()];
        List<String> missing = new ArrayList<>();
        this.fromRecord = new boolean[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            FieldMapping m = fields.get(i);
            parsers[i] = new ValueParser(m);
            columns[i] = m.column();
            fieldPositions[i] = m.pos().fileLine();
            fromRecord[i] = m.recordTimestamp();
            if (header != null && !fromRecord[i]) {
                columnIndex[i] = header.indexOf(m.column());
                if (columnIndex[i] < 0) {
                    missing.add(m.column());
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "source '"
                            + source.id()
                            + "': the input has no column "
                            + String.join(", ", missing)
                            + " (its header has: "
                            + String.join(", ", header)
                            + ")");
        }
        this.headerSize = header == null ? 0 : header.size();
        this.eventTimeIndex =
                source.eventTime() == null
                        ? -1
                        : source.schema().indexOf(source.eventTime().field());
    }

    /** Returns the row, or null after handing a dead letter to {@code deadLetters}. */
    public EventRow decode(byte[] raw, String origin, Consumer<EventRow> deadLetters) {
        return decode(raw, origin, null, deadLetters);
    }

    /**
     * Like {@link #decode(byte[], String, Consumer)}, with the timestamp the source attached to the
     * record (null when none) for fields mapped {@code from: record-timestamp}.
     */
    public EventRow decode(
            byte[] raw, String origin, Long recordTimestamp, Consumer<EventRow> deadLetters) {
        boolean jsonLine = "json".equals(format);
        Object[] fast = jsonLine ? decodeJsonFast(raw) : null;
        if (fast != null) {
            return complete(fast, raw, origin, recordTimestamp, deadLetters);
        }
        String text = null;
        try {
            if (!isAscii(raw)) {
                text = utf8(raw);
            } else if (!jsonLine) {
                text = new String(raw, StandardCharsets.ISO_8859_1); // JSON reads the bytes
            }
        } catch (CharacterCodingException e) {
            deadLetters.accept(
                    dead(
                            Reason.INVALID_UTF8,
                            "the line is not valid UTF-8",
                            null,
                            raw,
                            sourcePosition,
                            origin));
            return null;
        }
        if (text != null ? text.isBlank() : isBlankAscii(raw)) {
            deadLetters.accept(
                    dead(Reason.EMPTY_LINE, "empty line", null, raw, sourcePosition, origin));
            return null;
        }
        Object[] values = new Object[parsers.length];
        try {
            if (jsonLine) {
                if (!decodeJson(values, raw, origin, deadLetters)) {
                    return null;
                }
            } else if (!decodeCsv(text, values, raw, origin, deadLetters)) {
                return null;
            }
        } catch (BadValue e) {
            int i = indexOf(e.field());
            deadLetters.accept(
                    dead(
                            Reason.BAD_VALUE,
                            e.getMessage(),
                            e.field(),
                            raw,
                            fieldPositions[i],
                            origin));
            return null;
        }
        return complete(values, raw, origin, recordTimestamp, deadLetters);
    }

    /** Fills fields taken from the record; an event without its event time is a dead letter. */
    private EventRow complete(
            Object[] values,
            byte[] raw,
            String origin,
            Long recordTimestamp,
            Consumer<EventRow> deadLetters) {
        for (int i = 0; i < fromRecord.length; i++) {
            if (fromRecord[i]) {
                // Kafka marks a record without a timestamp with -1
                values[i] =
                        recordTimestamp != null && recordTimestamp >= 0 ? recordTimestamp : null;
            }
        }
        if (eventTimeIndex >= 0 && values[eventTimeIndex] == null) {
            String f = parsers[eventTimeIndex].name();
            deadLetters.accept(
                    dead(
                            Reason.MISSING_FIELD,
                            f + ": the event time is missing",
                            f,
                            raw,
                            fieldPositions[eventTimeIndex],
                            origin));
            return null;
        }
        return new EventRow(values, raw, origin, 0L);
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
                    long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** No byte with the high bit set: eight bytes at a time. */
    static boolean isAscii(byte[] raw) {
        int i = 0;
        for (; i + 8 <= raw.length; i += 8) {
            if (((long) LONGS.get(raw, i) & 0x8080808080808080L) != 0) {
                return false;
            }
        }
        for (; i < raw.length; i++) {
            if (raw[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** As {@code String.isBlank} on the ASCII text of {@code raw}. */
    private static boolean isBlankAscii(byte[] raw) {
        for (byte b : raw) {
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return true;
    }

    /** Strict UTF-8: a malformed sequence is an error, not a replacement character. */
    private String utf8(byte[] raw) throws CharacterCodingException {
        if (utf8 == null) {
            utf8 =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        return utf8.decode(ByteBuffer.wrap(raw)).toString();
    }

    private boolean decodeCsv(
            String text, Object[] values, byte[] raw, String origin, Consumer<EventRow> dl)
            throws BadValue {
        List<String> cells;
        try {
            cells = CsvSplitter.split(text, delimiter);
        } catch (CsvSplitter.MalformedCsv e) {
            dl.accept(
                    dead(Reason.MALFORMED_CSV, e.getMessage(), null, raw, sourcePosition, origin));
            return false;
        }
        if (cells.size() != headerSize) {
            dl.accept(
                    dead(
                            Reason.MALFORMED_CSV,
                            "expected " + headerSize + " columns, found " + cells.size(),
                            null,
                            raw,
                            sourcePosition,
                            origin));
            return false;
        }
        for (int i = 0; i < parsers.length; i++) {
            if (fromRecord[i]) {
                continue;
            }
            values[i] = parsers[i].parse(cells.get(columnIndex[i]));
        }
        return true;
    }

    /**
     * One JSON object per line, read as a token stream: the mapped members are taken as they come
     * and the rest skipped, with no tree of the whole object. The whole line is read before any
     * value is converted, so a malformed line is reported as such even after a bad value, and
     * values are converted in the order of the fields, as a tree would be.
     */
    private boolean decodeJson(Object[] values, byte[] raw, String origin, Consumer<EventRow> dl)
            throws BadValue {
        if (json == null) {
            // no FAIL_ON_TRAILING_TOKENS: it would reject a member's subtree read mid-stream;
            // text after the object is checked by readMembers
            json = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            memberFields = new java.util.HashMap<>();
            for (int i = 0; i < parsers.length; i++) {
                if (!fromRecord[i]) {
                    memberFields.merge(
                            columns[i],
                            new int[] {i},
                            (x, y) ->
                                    java.util.stream.IntStream.concat(
                                                    java.util.Arrays.stream(x),
                                                    java.util.Arrays.stream(y))
                                            .toArray());
                }
            }
            members = new JsonMember[parsers.length];
            for (int i = 0; i < members.length; i++) {
                members[i] = new JsonMember();
            }
        }
        for (JsonMember m : members) {
            m.clear();
        }
        String problem;
        try (JsonParser p = json.createParser(raw)) {
            problem = readMembers(p);
        } catch (java.io.IOException e) {
            problem =
                    e instanceof JsonProcessingException j
                            ? j.getOriginalMessage()
                            : e.getMessage();
        }
        if (problem != null) {
            dl.accept(dead(Reason.MALFORMED_JSON, problem, null, raw, sourcePosition, origin));
            return false;
        }
        for (int i = 0; i < parsers.length; i++) {
            if (!fromRecord[i]) {
                values[i] = members[i].value(parsers[i]);
            }
        }
        return true;
    }

    /** Reads the object's mapped members; returns why the line is not one JSON object, or null. */
    private String readMembers(JsonParser p) throws java.io.IOException {
        if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
            return "expected a JSON object per line";
        }
        while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
            int[] fields = memberFields.get(p.currentName());
            p.nextToken();
            if (fields == null) {
                p.skipChildren();
                continue;
            }
            JsonMember first = members[fields[0]];
            first.take(p);
            for (int k = 1; k < fields.length; k++) {
                members[fields[k]].copy(first); // two fields mapped from one member
            }
        }
        if (p.nextToken() != null) {
            return "unexpected text after the JSON object";
        }
        return null;
    }

    /** A member's value as read from the stream, converted once the whole line has parsed. */
    private static final class JsonMember {
        private com.fasterxml.jackson.core.JsonToken token;
        private String text;
        private Number number;
        private com.fasterxml.jackson.databind.JsonNode tree;

        void clear() {
            token = null;
            text = null;
            number = null;
            tree = null;
        }

        void take(JsonParser p) throws java.io.IOException {
            token = p.currentToken();
            if (token.isStructStart()) {
                tree = p.readValueAsTree();
            } else if (token.isNumeric()) {
                number = p.getNumberValue();
                text = p.getText();
            } else {
                text = p.getText();
            }
        }

        void copy(JsonMember other) {
            token = other.token;
            text = other.text;
            number = other.number;
            tree = other.tree;
        }

        Object value(ValueParser parser) throws BadValue {
            if (token == null || token == com.fasterxml.jackson.core.JsonToken.VALUE_NULL) {
                return null;
            }
            if (tree != null) {
                return parser.fromJson(tree);
            }
            return parser.fromJsonScalar(token, text, number);
        }
    }

    /**
     * The values of a JSON line read in one pass over its bytes, without a tree; null when the line
     * is anything but a well-formed object whose mapped members all read plainly, so that {@link
     * #decodeJson} (the reference) decodes it or says what is wrong with it.
     */
    private Object[] decodeJsonFast(byte[] raw) {
        if (fastJson == null) {
            // repeated keys are found by this path itself (CompactJson.Keys), cheaper than the
            // parser's STRICT_DUPLICATE_DETECTION; a line with one goes to the tree path
            fastJson = CompactJson.factory();
            compact = new CompactJson();
            lineKeys = new CompactJson.Keys(64); // a line of up to 32 members: no hash set
            fieldByMember = new java.util.HashMap<>();
            for (int i = 0; i < columns.length; i++) {
                if (!fromRecord[i]) {
                    fieldByMember.putIfAbsent(columns[i], i);
                }
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            columnsDistinct = true;
            for (int i = 0; i < columns.length; i++) {
                columnsDistinct &= fromRecord[i] || seen.add(columns[i]);
            }
        }
        if (!columnsDistinct || !isUtf8(raw)) {
            return null;
        }
        Object[] values = new Object[parsers.length];
        try (JsonParser p = fastJson.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            CompactJson.Keys keys = lineKeys;
            keys.reset();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                keys.add(p.currentName());
                int i = columnOf(p.currentName());
                p.nextToken();
                if (i < 0) {
                    CompactJson.skip(p);
                    continue;
                }
                Object v = parsers[i].fromToken(p, compact);
                if (v == ValueParser.UNSURE) {
                    return null;
                }
                values[i] = v;
            }
            return p.currentToken() == JsonToken.END_OBJECT && p.nextToken() == null
                    ? values
                    : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The field mapped to JSON member {@code name}, or -1. */
    private int columnOf(String name) {
        Integer i = fieldByMember.get(name);
        return i == null ? -1 : i;
    }

    /** Whether the line is UTF-8 without a byte order mark (the tree path judges those). */
    private boolean isUtf8(byte[] raw) {
        if (raw.length >= 3 && raw[0] == (byte) 0xEF && raw[1] == (byte) 0xBB) {
            return false;
        }
        if (isAscii(raw)) {
            return true;
        }
        try {
            utf8().decode(ByteBuffer.wrap(raw));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private CharsetDecoder utf8() {
        if (utf8 == null) {
            utf8 =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        return utf8;
    }

    private int indexOf(String field) {
        for (int i = 0; i < parsers.length; i++) {
            if (parsers[i].name().equals(field)) {
                return i;
            }
        }
        return 0;
    }

    private EventRow dead(
            Reason r, String message, String field, byte[] raw, String position, String origin) {
        return DeadLetters.of(r, message, field, raw, position, origin, step);
    }
}
