package io.sluice.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Outputs print timestamps exactly as {@code Instant.toString()} does, by a shorter path. */
class IsoTimestampTest {
    @Test
    void sameTextAsInstantToString() {
        long[] edges = {
            0L,
            1L,
            999L,
            1000L,
            86_399_999L,
            86_400_000L,
            1_704_067_200_000L,
            1_704_067_212_500L,
            253_402_300_799_999L,
            253_402_300_800_000L,
            -1L,
            -86_400_001L,
            Long.MIN_VALUE / 1000
        };
        for (long ms : edges) {
            assertThat(ValueParser.iso(ms))
                    .as("%d", ms)
                    .isEqualTo(Instant.ofEpochMilli(ms).toString());
        }
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            long ms =
                    i % 2 == 0
                            ? random.nextLong(0, 253_402_300_800_000L)
                            : 1_704_067_200_000L + random.nextLong(0, 10 * 86_400_000L);
            if (i % 3 == 0) {
                ms -= ms % 1000; // whole seconds print without a fraction
            }
            assertThat(ValueParser.iso(ms))
                    .as("%d", ms)
                    .isEqualTo(Instant.ofEpochMilli(ms).toString());
        }
    }
}
