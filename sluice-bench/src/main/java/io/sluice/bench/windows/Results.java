package io.sluice.bench.windows;

import java.util.Locale;

/** Totals over a run's window results: comparable between the two sides whatever the order. */
record Results(long windows, long trips, double meanFares) {
    boolean sameAs(Results o) {
        return windows == o.windows
                && trips == o.trips
                && Math.abs(meanFares - o.meanFares) <= Math.abs(o.meanFares) * 1e-9;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.US,
                "%,d windows, %,d trips in windows, mean fares sum %.6f",
                windows,
                trips,
                meanFares);
    }
}
