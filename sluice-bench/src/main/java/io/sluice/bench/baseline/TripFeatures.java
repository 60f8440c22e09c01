package io.sluice.bench.baseline;

/**
 * A valid trip with its derived features: what goes to trip-features, into the area windows (and to
 * late-trips) and into the fare z-score. Required fields are primitives from here on.
 */
public class TripFeatures {
    public String tripId;
    public long startMillis;
    public long tripSeconds;
    public double tripMiles;
    public long area;
    public Long dropoffArea;
    public double fare;
    public Double tips;
    public String company;
    public Double pickupLat;
    public Double pickupLon;
    public Double dropoffLat;
    public Double dropoffLon;
    public double speedMph;
    public Double farePerMile;
    public Double distanceKm;

    public TripFeatures() {}
}
