package io.sluice.runtime.source;

/** A generator profile: line {@code i} of a deterministic, endless sequence. */
public interface GeneratedLines extends java.io.Serializable {
    byte[] line(long i);

    /** An index drawn with the given shares (summing to 1; the last takes any rounding rest). */
    static int weighted(java.util.SplittableRandom r, double[] shares) {
        double x = r.nextDouble();
        for (int i = 0; i < shares.length; i++) {
            x -= shares[i];
            if (x < 0) {
                return i;
            }
        }
        return shares.length - 1;
    }
}
