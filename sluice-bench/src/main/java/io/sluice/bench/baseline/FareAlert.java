package io.sluice.bench.baseline;

/** A fare far from its company's running mean. */
public class FareAlert {
    public String key;
    public double value;
    public double mean;
    public double stddev;
    public double z;
    public long eventTime;
    public String rule;

    public FareAlert() {}
}
