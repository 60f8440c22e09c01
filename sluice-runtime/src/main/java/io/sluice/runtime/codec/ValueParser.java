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
    private transient int secondsAt = -1;
    private transient String anchorText;
    private transient long anchorMillis;
    private transient int anchorSeconds;
    private transient long anchorFrom;
    private transient long anchorUntil;

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
            // what the number's text would parse to, without printing and re-reading it
            boolean integral = v.isInt() || v.isLong();
            if (type == FieldType.DOUBLE && (v.isDouble() || integral)) {
                double d = v.doubleValue();
                if (Double.isFinite(d)) {
                    return d;
                }
            } else if (type == FieldType.LONG && integral) {
                return v.longValue();
            }
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

    /**
     * A JSON scalar read from a token stream, checked exactly as {@link #fromJson} checks the same
     * value as a node: {@code text} is the token's text, {@code number} its value when numeric.
     */
    public Object fromJsonScalar(
            com.fasterxml.jackson.core.JsonToken token, String text, Number number)
            throws BadValue {
        if (type == FieldType.JSON) {
            String kind = token.isNumeric() ? "number" : token.isBoolean() ? "boolean" : "string";
            throw new BadValue(name, name + ": expected a JSON object, found " + kind);
        }
        if (token.isNumeric()) {
            boolean integral = number instanceof Integer || number instanceof Long;
            if (type == FieldType.DOUBLE && (number instanceof Double || integral)) {
                double d = number.doubleValue();
                if (Double.isFinite(d)) {
                    return d;
                }
            } else if (type == FieldType.LONG && integral) {
                return number.longValue();
            }
            // the text a JSON tree shows for the number (1.50 as 1.5, 1e3 as 1000.0), not the
            // token's
            return fromNumber(
                    number, number instanceof Double d ? Double.toString(d) : number.toString());
        }
        if (token == com.fasterxml.jackson.core.JsonToken.VALUE_STRING
                && type.isNumeric()
                && type != FieldType.TIMESTAMP) {
            throw new BadValue(
                    name,
                    name + ": expected a number, found the string \"" + abbreviate(text) + "\"");
        }
        return parse(text);
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
                    secondsAt = secondsPosition(pattern);
                }
                if (!patternHasZone) {
                    return local(t);
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

    /**
     * A zone-less pattern's text in the field's zone. Consecutive event times mostly fall in the
     * same minute: a text that equals the last one the formatter parsed except in its seconds
     * digits is that result plus the difference in seconds, as long as no offset change of the zone
     * lies between them. Anything else goes to the formatter.
     */
    private long local(String t) {
        if (anchorText != null && secondsAt >= 0 && t.length() == anchorText.length()) {
            int s = seconds(t);
            if (s >= 0
                    && t.regionMatches(0, anchorText, 0, secondsAt)
                    && t.regionMatches(
                            secondsAt + 2, anchorText, secondsAt + 2, t.length() - secondsAt - 2)) {
                long millis = anchorMillis + (s - anchorSeconds) * 1000L;
                if (millis >= anchorFrom && millis < anchorUntil) {
                    return millis;
                }
            }
        }
        long millis =
                formatter.parse(t, LocalDateTime::from).atZone(zoneId).toInstant().toEpochMilli();
        anchor(t, millis);
        return millis;
    }

    /** The seconds (0 to 59) at the pattern's seconds position, or -1. */
    private int seconds(String t) {
        char a = t.charAt(secondsAt);
        char b = t.charAt(secondsAt + 1);
        if (a < '0' || a > '5' || b < '0' || b > '9') {
            return -1;
        }
        return (a - '0') * 10 + (b - '0');
    }

    private void anchor(String t, long millis) {
        if (secondsAt < 0 || t.length() < secondsAt + 2 || seconds(t) < 0) {
            return;
        }
        // only text the formatter prints back as is: not 24:00:00 (read as the next midnight) or a
        // day the resolver clamped, whose neighbours the formatter might reject
        if (!LocalDateTime.ofInstant(Instant.ofEpochMilli(millis), zoneId)
                .format(formatter)
                .equals(t)) {
            return;
        }
        java.time.zone.ZoneRules rules = zoneId.getRules();
        Instant at = Instant.ofEpochMilli(millis);
        java.time.zone.ZoneOffsetTransition before = rules.previousTransition(at.plusMillis(1));
        java.time.zone.ZoneOffsetTransition after = rules.nextTransition(at);
        anchorFrom = before == null ? Long.MIN_VALUE : before.toEpochSecond() * 1000;
        anchorUntil = after == null ? Long.MAX_VALUE : after.toEpochSecond() * 1000;
        anchorText = t;
        anchorMillis = millis;
        anchorSeconds = seconds(t);
    }

    /**
     * Where the seconds ('ss') of a pattern sit in its text: only when every field before them is
     * numeric with as many digits as letters (y, M, d, H, h, m) and no literal is quoted; else -1.
     */
    static int secondsPosition(String pattern) {
        int at = pattern.indexOf("ss");
        if (at < 0 || pattern.indexOf('\'') >= 0 || pattern.startsWith("s", at + 2)) {
            return -1;
        }
        for (int i = 0; i < at; i++) {
            char c = pattern.charAt(i);
            if (Character.isLetter(c) && "yMdHhm".indexOf(c) < 0) {
                return -1;
            }
        }
        // MMM (month names) or a single M/d/H/h/m has a variable width
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("([yMdHhm])\\1*").matcher(pattern.substring(0, at));
        while (m.find()) {
            int n = m.group().length();
            char c = m.group().charAt(0);
            if (c == 'y' ? n != 4 : n != 2) {
                return -1;
            }
        }
        return at;
    }

    /** Whether a DateTimeFormatter pattern has zone or offset letters outside quoted text. */
    static boolean hasZone(String pattern) {
        boolean quoted = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && "VvzOXxZ".indexOf(c) >= 0) {
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

    /**
     * ISO-8601 UTC, as outputs write timestamps: exactly {@code Instant.toString()} (seconds, and
     * milliseconds when not zero), without its formatter for years 0 to 9999.
     */
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
