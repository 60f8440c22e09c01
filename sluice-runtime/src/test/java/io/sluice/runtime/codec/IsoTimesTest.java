package io.sluice.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written ISO-8601 path agrees with java.time wherever it answers. */
class IsoTimesTest {
    static final ZoneId UTC = ZoneId.of("UTC");
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void formatsLikeInstantToString() {
        SplittableRandom r = new SplittableRandom(7);
        long[] edges = {
            0, 1, -1, 999, 1000, -1000, -62_167_219_200_000L, 253_402_300_799_999L, 951_782_400_000L
        };
        for (long ms : edges) {
            assertThat(IsoTimes.format(ms)).isEqualTo(Instant.ofEpochMilli(ms).toString());
        }
        for (int i = 0; i < 100_000; i++) {
            long ms = r.nextLong(-62_167_219_200_000L, 253_402_300_800_000L);
            if (i % 3 == 0) {
                ms -= Math.floorMod(ms, 1000); // whole seconds print without a fraction
            }
            assertThat(IsoTimes.format(ms)).isEqualTo(Instant.ofEpochMilli(ms).toString());
        }
        assertThat(IsoTimes.format(253_402_300_800_000L)).isNull();
        assertThat(IsoTimes.format(-62_167_219_200_001L)).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-21T08:36:05Z",
                "2026-11-21T08:36:05.1Z",
                "2026-11-21T08:36:05.123Z",
                "2026-11-21T08:36:05.123456789Z",
                "2026-11-21T08:36:05.999999999+01:00",
                "2026-11-21T08:36:05-05:30",
                "2026-11-21T08:36:05+18:00",
                "2024-02-29T23:59:59Z",
                "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999Z",
                "1969-12-31T23:59:59.9995Z"
            })
    void offsetTimesAgreeWithOffsetDateTime(String text) {
        assertThat(IsoTimes.parse(text, UTC))
                .isEqualTo(OffsetDateTime.parse(text).toInstant().toEpochMilli());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-21T08:36:05",
                "2026-03-29T02:30:00",
                "2026-10-25T02:30:00.5",
                "2026-06-01T12:00:00.000001"
            })
    void localTimesAgreeWithLocalDateTimeInTheirZone(String text) {
        for (ZoneId zone : new ZoneId[] {UTC, BERLIN, ZoneId.of("+05:00")}) {
            assertThat(IsoTimes.parse(text, zone))
                    .isEqualTo(LocalDateTime.parse(text).atZone(zone).toInstant().toEpochMilli());
        }
        assertThat(IsoTimes.parse(text, null)).isEqualTo(IsoTimes.NOT_PARSED);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-21T08:36Z",
                "2026-11-21 08:36:05Z",
                "2026-11-21t08:36:05z",
                "2026-02-29T08:36:05Z",
                "2026-13-01T08:36:05Z",
                "2026-11-31T08:36:05Z",
                "2026-11-21T24:00:00Z",
                "2026-11-21T08:60:05Z",
                "2026-11-21T08:36:60Z",
                "2026-11-21T08:36:05.Z",
                "2026-11-21T08:36:05.1234567890Z",
                "2026-11-21T08:36:05+19:00",
                "2026-11-21T08:36:05+18:01",
                "2026-11-21T08:36:05+01",
                "2026-11-21T08:36:05+01:00:00",
                "2026-11-21T08:36:05[Europe/Berlin]",
                "+2026-11-21T08:36:05Z",
                "20261-11-21T08:36:05Z",
                "2026-11-21T08:36:05Zx",
                "２026-11-21T08:36:05Z"
            })
    void everyOtherShapeIsLeftToJavaTime(String text) {
        long fast = IsoTimes.parse(text, UTC);
        if (fast != IsoTimes.NOT_PARSED) {
            // only shapes java.time reads the same may be answered
            long expected;
            try {
                expected = OffsetDateTime.parse(text).toInstant().toEpochMilli();
            } catch (DateTimeException e) {
                expected = Long.MAX_VALUE;
            }
            assertThat(fast).isEqualTo(expected);
        }
        assertThat(fast).isEqualTo(IsoTimes.NOT_PARSED);
    }
}
