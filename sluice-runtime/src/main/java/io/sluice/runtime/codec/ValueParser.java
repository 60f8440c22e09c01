package io.sluice.runtime.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.Spec.FieldMapping;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Parses one field's text into its typed value, strictly: bad text is a {@link BadValue}. */
public final class ValueParser implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final FieldType type;
    private final String pattern;
    private final String unit;
    private final String zone;
    private transient DateTimeFormatter formatter;
    private transient ZoneId zoneId;
    private transient boolean patternHasZone;

    public ValueParser(FieldMapping m) {
        this.name = m.name();
        this.type = m.type();
        this.pattern = m.pattern();
        this.unit = m.unit();
        this.zone = m.timeZone() == null ? "UTC" : m.timeZone();
    }

    public String name() {
        return name;
    }

    public FieldType type() {
        return type;
    }

    /** Empty text is null (a missing value); anything else must parse completely. */
    public Object parse(String text) throws BadValue {
        if (text == null || text.isEmpty()) {
            return null;
        }
        String t = text.strip();
        switch (type) {
            case STRING:
                return text;
            case JSON:
                return json(t);
            case LONG:
                return parseLong(t);
            case DOUBLE:
                return parseDouble(t);
            case BOOLEAN:
                if (t.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (t.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                throw new BadValue(
                        name, name + ": '" + abbreviate(text) + "' is not true or false");
            case TIMESTAMP:
                return parseTimestamp(t);
            default:
                throw new IllegalStateException(type.toString());
        }
    }

    /** A JSON value (absent or null: null) for this field, checked like text. */
    public Object fromJson(com.fasterxml.jackson.databind.JsonNode v) throws BadValue {
        if (v == null || v.isNull()) {
            return null;
        }
        if (type == FieldType.JSON) {
            if (!v.isObject() && !v.isArray()) {
                throw new BadValue(
                        name,
                        name
                                + ": expected a JSON object, found "
                                + v.getNodeType().name().toLowerCase());
            }
            return v.toString();
        }
        if (v.isNumber()) {
            return fromNumber(v.numberValue(), v.asText());
        }
        if (v.isTextual()) {
            if (type.isNumeric() && type != FieldType.TIMESTAMP) {
                throw new BadValue(
                        name,
                        name
                                + ": expected a number, found the string \""
                                + abbreviate(v.asText())
                                + "\"");
            }
            return parse(v.asText());
        }
        if (v.isBoolean()) {
            return parse(v.asText());
        }
        throw new BadValue(
                name,
                name + ": expected a single value, found " + v.getNodeType().name().toLowerCase());
    }

    /** A JSON number for a numeric field, checked for range. */
    public Object fromNumber(Number n, String text) throws BadValue {
        return switch (type) {
            case LONG -> parseLong(text);
            case DOUBLE -> parseDouble(text);
            case TIMESTAMP -> fromEpoch(parseLong(text));
            case STRING -> text;
            case JSON -> throw new BadValue(name, name + ": expected a JSON object, found " + text);
            case BOOLEAN -> throw new BadValue(name, name + ": " + text + " is not true or false");
        };
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** JSON text from a CSV cell: an object or array, kept in compact form. */
    private String json(String t) throws BadValue {
        com.fasterxml.jackson.databind.JsonNode node;
        try {
            node = JSON.readTree(t);
        } catch (java.io.IOException e) {
            throw new BadValue(name, name + ": '" + abbreviate(t) + "' is not JSON");
        }
        if (node == null || !(node.isObject() || node.isArray())) {
            throw new BadValue(
                    name, name + ": expected a JSON object, found '" + abbreviate(t) + "'");
        }
        return node.toString();
    }

    /** Whether {@code t} is {@code [+-]?[0-9]+}. */
    static boolean isInteger(String t) {
        int i = t.isEmpty() || (t.charAt(0) != '+' && t.charAt(0) != '-') ? 0 : 1;
        return digits(t, i) == t.length() && t.length() > i;
    }

    /** Whether {@code t} is {@code [+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?}. */
    static boolean isDecimal(String t) {
        int n = t.length();
        int i = n > 0 && (t.charAt(0) == '+' || t.charAt(0) == '-') ? 1 : 0;
        int intEnd = digits(t, i);
        boolean intDigits = intEnd > i;
        i = intEnd;
        if (i < n && t.charAt(i) == '.') {
            int fracEnd = digits(t, i + 1);
            if (!intDigits && fracEnd == i + 1) {
                return false;
            }
            i = fracEnd;
        } else if (!intDigits) {
            return false;
        }
        if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
            i++;
            if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) {
                i++;
            }
            int expEnd = digits(t, i);
            if (expEnd == i) {
                return false;
            }
            i = expEnd;
        }
        return i == n;
    }

    /** The index after the run of ASCII digits starting at {@code from}. */
    private static int digits(String t, int from) {
        int i = from;
        while (i < t.length() && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    private Long parseLong(String t) throws BadValue {
        if (!isInteger(t)) {
            throw new BadValue(name, name + ": '" + abbreviate(t) + "' is not a whole number");
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new BadValue(
                    name, name + ": " + abbreviate(t) + " does not fit in a 64-bit whole number");
        }
    }

    /**
     * Decimal notation only: Java also reads "1d", "0x1p3", "NaN" and "Infinity", data does not.
     */
    private Double parseDouble(String t) throws BadValue {
        if (!isDecimal(t)) {
            String lower = t.toLowerCase(Locale.ROOT);
            if (lower.equals("nan") || lower.matches("[+-]?inf(inity)?")) {
                throw new BadValue(name, name + ": '" + t + "' is not a finite number");
            }
            throw new BadValue(name, name + ": '" + abbreviate(t) + "' is not a number");
        }
        double d = Double.parseDouble(t);
        if (Double.isInfinite(d)) {
            throw new BadValue(name, name + ": " + abbreviate(t) + " is too large for a double");
        }
        return d;
    }

    private Long parseTimestamp(String t) throws BadValue {
        if (unit != null) {
            return fromEpoch(parseLong(t));
        }
        try {
            if (pattern != null) {
                if (formatter == null) {
                    formatter = DateTimeFormatter.ofPattern(pattern, Locale.US);
                    zoneId = ZoneId.of(zone);
                    patternHasZone = hasZone(pattern);
                }
                if (!patternHasZone) {
                    // the common case, and without parseBest's exception per failed candidate
                    return formatter
                            .parse(t, LocalDateTime::from)
                            .atZone(zoneId)
                            .toInstant()
                            .toEpochMilli();
                }
                // an offset or zone in the text wins over the field's time zone
                java.time.temporal.TemporalAccessor parsed =
                        formatter.parseBest(
                                t,
                                java.time.ZonedDateTime::from,
                                java.time.OffsetDateTime::from,
                                LocalDateTime::from);
                if (parsed instanceof LocalDateTime local) {
                    return local.atZone(zoneId).toInstant().toEpochMilli();
                }
                return Instant.from(parsed).toEpochMilli();
            }
            long fast = IsoTimes.parse(t, zoneId);
            if (fast != IsoTimes.NOT_PARSED) {
                return fast;
            }
            if (t.endsWith("Z") || t.matches(".*[+-]\\d\\d:\\d\\d$")) {
                return java.time.OffsetDateTime.parse(t).toInstant().toEpochMilli();
            }
            if (zoneId == null) {
                zoneId = ZoneId.of(zone);
            }
            return LocalDateTime.parse(t).atZone(zoneId).toInstant().toEpochMilli();
        } catch (java.time.DateTimeException | ArithmeticException e) {
            throw new BadValue(
                    name,
                    name
                            + ": '"
                            + abbreviate(t)
                            + "' does not match "
                            + (pattern != null ? "pattern '" + pattern + "'" : "ISO-8601"));
        }
    }

    /** Whether a DateTimeFormatter pattern has zone or offset letters outside quoted text. */
    static boolean hasZone(String pattern) {
        boolean quoted = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && "VzOXxZ".indexOf(c) >= 0) {
                return true;
            }
        }
        return false;
    }

    private Long fromEpoch(long v) throws BadValue {
        if ("s".equals(unit)) {
            if (v > Long.MAX_VALUE / 1000 || v < Long.MIN_VALUE / 1000) {
                throw new BadValue(name, name + ": " + v + " seconds is out of range");
            }
            return v * 1000;
        }
        return v;
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** ISO-8601 UTC, as outputs write timestamps. */
    public static String iso(long epochMillis) {
        String fast = IsoTimes.format(epochMillis);
        return fast != null ? fast : Instant.ofEpochMilli(epochMillis).toString();
    }

    /** What {@link #fromToken} returns when only {@link #fromJson} can tell the value. */
    public static final Object UNSURE = new Object();

    /**
     * The value of the parser's current token, exactly as {@link #fromJson} returns it for the same
     * JSON value read as a tree, for the values data usually holds; {@link #UNSURE} for anything
     * else (a value {@code fromJson} rejects, or an unusual one), which the caller then reads as a
     * tree. An object or array for a {@code json} field is copied by {@code compact} and consumed.
     */
    public Object fromToken(JsonParser p, CompactJson compact) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (type == FieldType.JSON) {
            return t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY
                    ? compact.copy(p)
                    : UNSURE;
        }
        try {
            switch (t) {
                case VALUE_STRING:
                    return type == FieldType.STRING
                                    || type == FieldType.TIMESTAMP
                                    || type == FieldType.BOOLEAN
                            ? parse(p.getText())
                            : UNSURE;
                case VALUE_NUMBER_INT:
                    if (type == FieldType.LONG
                            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                        return p.getLongValue();
                    }
                    return fromNumber(null, p.getNumberValue().toString());
                case VALUE_NUMBER_FLOAT:
                    double d = p.getDoubleValue();
                    if (type == FieldType.DOUBLE) {
                        return Double.isFinite(d) ? d : UNSURE;
                    }
                    // as a tree holds it: a double, written back as Java writes doubles
                    return fromNumber(null, Double.toString(d));
                case VALUE_TRUE:
                case VALUE_FALSE:
                    return parse(p.getText());
                default:
                    return UNSURE;
            }
        } catch (BadValue e) {
            return UNSURE;
        }
    }
}
