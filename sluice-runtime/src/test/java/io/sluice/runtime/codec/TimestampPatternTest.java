package io.sluice.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.Spec.FieldMapping;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Timestamps with a pattern: runs of nearby times (most in the same minute, some across the
 * daylight-saving changes of the zone) parse to exactly what the formatter alone gives, and texts
 * the formatter rejects are still rejected.
 */
class TimestampPatternTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "MM/dd/yyyy hh:mm:ss a | America/Chicago",
                "yyyy-MM-dd HH:mm:ss | America/Chicago",
                "dd.MM.yyyy HH:mm:ss.SSS | Europe/Berlin",
                "yyyy-MM-dd'T'HH:mm:ss | UTC",
                "M/d/yyyy H:mm:ss | America/Chicago"
            })
    void sameMillisAsTheFormatter(String pattern, String zone) throws Exception {
        DateTimeFormatter f = DateTimeFormatter.ofPattern(pattern, Locale.US);
        ZoneId z = ZoneId.of(zone);
        ValueParser parser =
                new ValueParser(
                        new FieldMapping(
                                "ts", "ts", FieldType.TIMESTAMP, pattern, null, zone, false, null));
        SplittableRandom random = new SplittableRandom(pattern.hashCode());
        long[] around = {
            Instant.parse("2024-03-10T07:30:00Z").toEpochMilli(), // Chicago springs forward
            Instant.parse("2024-11-03T06:30:00Z").toEpochMilli(), // Chicago falls back
            Instant.parse("2024-03-31T00:30:00Z").toEpochMilli(), // Berlin springs forward
            Instant.parse("2024-10-27T00:30:00Z").toEpochMilli(), // Berlin falls back
            Instant.parse("2024-06-01T12:00:00Z").toEpochMilli()
        };
        int checked = 0;
        for (long start : around) {
            long t = start;
            for (int i = 0; i < 20_000; i++) {
                t +=
                        random.nextInt(10) == 0
                                ? random.nextLong(-120_000, 600_000)
                                : random.nextLong(0, 3_000);
                String text = LocalDateTime.ofInstant(Instant.ofEpochMilli(t), z).format(f);
                long expected =
                        f.parse(text, LocalDateTime::from).atZone(z).toInstant().toEpochMilli();
                assertThat(parser.parse(text)).as(text).isEqualTo(expected);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(100_000);
        // seconds the formatter rejects stay rejected, whatever was parsed before
        String last = LocalDateTime.ofInstant(Instant.ofEpochMilli(around[4]), z).format(f);
        parser.parse(last);
        int at = pattern.indexOf("ss");
        if (at >= 0 && pattern.indexOf('\'') < 0 && !pattern.startsWith("M/")) {
            String bad = last.substring(0, at) + "61" + last.substring(at + 2);
            assertThat(catchThrowable(() -> parser.parse(bad))).isInstanceOf(BadValue.class);
        }
    }
}
