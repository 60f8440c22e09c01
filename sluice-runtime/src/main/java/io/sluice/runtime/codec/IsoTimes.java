package io.sluice.runtime.codec;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.zone.ZoneRules;

/**
 * ISO-8601 timestamps in the one shape data nearly always has ({@code 2026-11-21T08:36:05.123Z},
 * {@code ...+01:00}, or without offset), read and written without {@code DateTimeFormatter}. Every
 * other shape is left to {@code java.time}: {@link #parse} answers {@link #NOT_PARSED} and {@link
 * #format} null, so the results never differ from {@code OffsetDateTime.parse}, {@code
 * LocalDateTime.parse} and {@code Instant.toString}.
 */
final class IsoTimes {
    static final long NOT_PARSED = Long.MIN_VALUE;

    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: four-digit years. */
    private static final long MIN_FORMATTED = -62_167_219_200_000L;

    private static final long MAX_FORMATTED = 253_402_300_799_999L;

    private IsoTimes() {}

    /**
     * Epoch millis of {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]} followed by {@code Z}, {@code ±HH:MM},
     * or nothing (then in {@code zone}; null: not parsed); {@link #NOT_PARSED} for anything else,
     * including values out of range.
     */
    static long parse(String t, ZoneId zone) {
        int n = t.length();
        if (n < 19
                || t.charAt(4) != '-'
                || t.charAt(7) != '-'
                || t.charAt(10) != 'T'
                || t.charAt(13) != ':'
                || t.charAt(16) != ':') {
            return NOT_PARSED;
        }
        int year = num(t, 0, 4);
        int month = num(t, 5, 2);
        int day = num(t, 8, 2);
        int hour = num(t, 11, 2);
        int minute = num(t, 14, 2);
        int second = num(t, 17, 2);
        if ((year | month | day | hour | minute | second) < 0
                || hour > 23
                || minute > 59
                || second > 59) {
            return NOT_PARSED;
        }
        int i = 19;
        int nanos = 0;
        if (i < n && t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && isDigit(t.charAt(i))) {
                nanos = nanos * 10 + (t.charAt(i) - '0');
                i++;
            }
            int count = i - start;
            if (count == 0 || (i < n && isDigit(t.charAt(i)))) {
                return NOT_PARSED;
            }
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == n) {
            if (zone == null) {
                return NOT_PARSED;
            }
            ZoneRules rules = zone.getRules();
            if (!rules.isFixedOffset()) {
                try {
                    return LocalDateTime.of(year, month, day, hour, minute, second, nanos)
                            .atZone(zone)
                            .toInstant()
                            .toEpochMilli();
                } catch (DateTimeException e) {
                    return NOT_PARSED;
                }
            }
            offsetSeconds = rules.getOffset(java.time.Instant.EPOCH).getTotalSeconds();
        } else if (i == n - 1 && t.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6
                && (t.charAt(i) == '+' || t.charAt(i) == '-')
                && t.charAt(i + 3) == ':') {
            int oh = num(t, i + 1, 2);
            int om = num(t, i + 4, 2);
            if (oh < 0 || om < 0 || oh > 18 || om > 59 || (oh == 18 && om > 0)) {
                return NOT_PARSED;
            }
            offsetSeconds = (oh * 3600 + om * 60) * (t.charAt(i) == '-' ? -1 : 1);
        } else {
            return NOT_PARSED;
        }
        if (month < 1 || month > 12 || day < 1 || day > 28 && day > lengthOfMonth(year, month)) {
            return NOT_PARSED;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        long seconds = epochDay * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds;
        return seconds * 1000 + nanos / 1_000_000;
    }

    /** {@code Instant.ofEpochMilli(millis).toString()} for years 0 to 9999, else null. */
    static String format(long millis) {
        if (millis < MIN_FORMATTED || millis > MAX_FORMATTED) {
            return null;
        }
        long seconds = Math.floorDiv(millis, 1000);
        int ms = (int) Math.floorMod(millis, 1000);
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400));
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        char[] c = new char[ms == 0 ? 20 : 24];
        put(c, 0, date.getYear(), 4);
        c[4] = '-';
        put(c, 5, date.getMonthValue(), 2);
        c[7] = '-';
        put(c, 8, date.getDayOfMonth(), 2);
        c[10] = 'T';
        put(c, 11, secondOfDay / 3_600, 2);
        c[13] = ':';
        put(c, 14, secondOfDay / 60 % 60, 2);
        c[16] = ':';
        put(c, 17, secondOfDay % 60, 2);
        if (ms != 0) {
            c[19] = '.';
            put(c, 20, ms, 3);
        }
        c[c.length - 1] = 'Z';
        return new String(c);
    }

    private static void put(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** The non-negative number of {@code len} ASCII digits at {@code at}, or -1. */
    private static int num(String t, int at, int len) {
        int v = 0;
        for (int i = at; i < at + len; i++) {
            char ch = t.charAt(i);
            if (!isDigit(ch)) {
                return -1;
            }
            v = v * 10 + (ch - '0');
        }
        return v;
    }

    private static boolean isDigit(char ch) {
        return ch >= '0' && ch <= '9';
    }

    private static int lengthOfMonth(int year, int month) {
        return LocalDate.of(year, month, 1).lengthOfMonth();
    }
}
