package io.sluice.runtime.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class InterleavedTest {
    /**
     * Contiguous ranges as NumberSequenceSource splits [0, n): the first n mod p ranges one longer.
     */
    static List<long[]> ranges(long n, int p) {
        List<long[]> out = new ArrayList<>();
        long from = 0;
        for (int i = 0; i < p; i++) {
            long size = n / p + (i < n % p ? 1 : 0);
            out.add(new long[] {from, from + size});
            from += size;
        }
        return out;
    }

    @Test
    void everyRowIsEmittedOnceAndEachTaskDealsEveryPthRow() {
        for (long n : new long[] {0, 1, 7, 10, 1001}) {
            for (int p : new int[] {1, 2, 3, 4}) {
                List<long[]> ranges = ranges(n, p);
                List<Long> all = new ArrayList<>();
                for (int i = 0; i < p; i++) {
                    long[] r = ranges.get(i);
                    long expected = i;
                    for (long k = r[0]; k < r[1]; k++) {
                        long row = GeneratorSourceFactory.Interleaved.row(k, n, p);
                        assertThat(row).as("n=%d p=%d k=%d", n, p, k).isEqualTo(expected);
                        expected += p;
                        all.add(row);
                    }
                }
                assertThat(all)
                        .as("n=%d p=%d", n, p)
                        .containsExactlyInAnyOrderElementsOf(
                                LongStream.range(0, n).boxed().toList());
            }
        }
    }
}
