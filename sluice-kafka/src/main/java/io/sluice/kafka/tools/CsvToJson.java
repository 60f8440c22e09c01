package io.sluice.kafka.tools;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.runtime.codec.CsvSplitter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns CSV rows into JSON objects keyed by the header's column names, so a CSV export can feed a
 * topic read with {@code format: json}. A row that is not clean CSV is left alone (see {@link
 * #convert}), so the pipeline's decoder rejects it with the original bytes as the payload.
 */
final class CsvToJson {
    /**
     * A number JSON can carry exactly as written. Leading zeros ("007"), a sign ("+5"), bare points
     * (".5", "5.") and exponents stay strings: they are ids and codes more often than numbers, and
     * "007" is not valid JSON.
     */
    private static final Pattern PLAIN_DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?");

    private final List<String> header;
    private final char delimiter;
    private final int keyColumn;
    private final JsonFactory json = new JsonFactory();
    private final CharsetDecoder utf8 =
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(512);

    /** One CSV row as JSON, and the key column's cell (null when absent or empty). */
    record Row(byte[] json, String key) {}

    /**
     * @param headerLine the first line of the file, without its line break
     * @param keyField the column whose value becomes the record key, or null
     * @throws IllegalArgumentException when the header is not valid CSV, repeats a name, or lacks
     *     the key column
     */
    CsvToJson(byte[] headerLine, char delimiter, String keyField) {
        this.delimiter = delimiter;
        String text = new String(headerLine, StandardCharsets.UTF_8).strip();
        try {
            this.header = CsvSplitter.split(text, delimiter);
        } catch (CsvSplitter.MalformedCsv e) {
            throw new IllegalArgumentException(
                    "the header line is not valid CSV: " + e.getMessage());
        }
        Set<String> seen = new HashSet<>();
        for (String name : header) {
            if (!seen.add(name)) {
                throw new IllegalArgumentException(
                        "the header names column '" + name + "' twice; JSON keys must be unique");
            }
        }
        this.keyColumn = keyField == null ? -1 : header.indexOf(keyField);
        if (keyField != null && keyColumn < 0) {
            throw new IllegalArgumentException(
                    "no column '"
                            + keyField
                            + "' for the key (the header has: "
                            + String.join(", ", header)
                            + ")");
        }
    }

    List<String> header() {
        return header;
    }

    /**
     * The row as a JSON object, or null when it cannot be converted: not UTF-8, blank, bad quoting,
     * or a column count different from the header's. Empty cells are left out; plain decimal
     * numbers become JSON numbers written exactly as in the file; everything else is a string.
     */
    Row convert(byte[] line) {
        String text;
        try {
            text = utf8.decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        if (text.isBlank()) {
            return null;
        }
        List<String> cells;
        try {
            cells = CsvSplitter.split(text, delimiter);
        } catch (CsvSplitter.MalformedCsv e) {
            return null;
        }
        if (cells.size() != header.size()) {
            return null;
        }
        buf.reset();
        try (JsonGenerator g = json.createGenerator(buf)) {
            g.writeStartObject();
            for (int i = 0; i < cells.size(); i++) {
                String cell = cells.get(i);
                if (cell.isEmpty()) {
                    continue;
                }
                g.writeFieldName(header.get(i));
                // the CSV decoder strips blanks around numbers, so " 12" is a number there too
                String stripped = cell.strip();
                if (PLAIN_DECIMAL.matcher(stripped).matches()) {
                    g.writeNumber(stripped);
                } else {
                    g.writeString(cell);
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory does not fail
        }
        String key = keyColumn < 0 || cells.get(keyColumn).isEmpty() ? null : cells.get(keyColumn);
        return new Row(buf.toByteArray(), key);
    }
}
