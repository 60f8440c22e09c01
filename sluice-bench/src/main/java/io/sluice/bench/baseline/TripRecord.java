package io.sluice.bench.baseline;

/**
 * One parsed CSV line: the spec's typed fields (boxed where the column may be empty), plus the line
 * itself and where it came from, which dead letters of the validation step need.
 */
public class TripRecord {
    public String tripId;
    public long startMillis;
    public Long tripSeconds;
    public Double tripMiles;
    public Long area;
    public Long dropoffArea;
    public Double fare;
    public Double tips;
    public String company;
    public Double pickupLat;
    public Double pickupLon;
    public Double dropoffLat;
    public Double dropoffLon;
    public String line;
    public String origin;

    public TripRecord() {}
}
