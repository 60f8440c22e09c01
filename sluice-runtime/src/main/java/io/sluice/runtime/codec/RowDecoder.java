package io.sluice.runtime.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
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
    private transient JsonFactory fastJson;
    private transient CompactJson compact;
    private transient boolean columnsDistinct;

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
        Object[] fast = "json".equals(format) ? decodeJsonFast(raw) : null;
        if (fast != null) {
            return complete(fast, raw, origin, recordTimestamp, deadLetters);
        }
        String text;
        try {
            if (utf8 == null) {
                utf8 =
                        StandardCharsets.UTF_8
                                .newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            text = utf8.decode(ByteBuffer.wrap(raw)).toString();
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
        if (text.isBlank()) {
            deadLetters.accept(
                    dead(Reason.EMPTY_LINE, "empty line", null, raw, sourcePosition, origin));
            return null;
        }
        Object[] values = new Object[parsers.length];
        try {
            if ("json".equals(format)) {
                if (!decodeJson(text, values, raw, origin, deadLetters)) {
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

    private boolean decodeJson(
            String text, Object[] values, byte[] raw, String origin, Consumer<EventRow> dl)
            throws BadValue {
        if (json == null) {
            json =
                    new ObjectMapper()
                            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                            .enable(
                                    com.fasterxml.jackson.databind.DeserializationFeature
                                            .FAIL_ON_TRAILING_TOKENS);
        }
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JsonProcessingException e) {
            dl.accept(
                    dead(
                            Reason.MALFORMED_JSON,
                            e.getOriginalMessage(),
                            null,
                            raw,
                            sourcePosition,
                            origin));
            return false;
        }
        if (node == null || !node.isObject()) {
            dl.accept(
                    dead(
                            Reason.MALFORMED_JSON,
                            "expected a JSON object per line",
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
            values[i] = parsers[i].fromJson(node.get(columns[i]));
        }
        return true;
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
            CompactJson.Keys keys = new CompactJson.Keys();
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
        for (int i = 0; i < columns.length; i++) {
            if (!fromRecord[i] && columns[i].equals(name)) {
                return i;
            }
        }
        return -1;
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

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
                    long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Whether every byte is below 0x80, eight at a time. */
    static boolean isAscii(byte[] raw) {
        int i = 0;
        long high = 0;
        for (; i + 8 <= raw.length; i += 8) {
            high |= (long) LONGS.get(raw, i);
        }
        for (; i < raw.length; i++) {
            high |= raw[i];
        }
        return (high & 0x8080808080808080L) == 0;
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
