package io.sluice.bench.baseline;

/** Statistics of one pickup area over one sliding window. */
public class AreaStats {
    public long area;
    public long windowStart;
    public long windowEnd;
    public long tripCount;
    public double avgFare;
    public double avgDistance;
    public double fareStddev;

    public AreaStats() {}
}
