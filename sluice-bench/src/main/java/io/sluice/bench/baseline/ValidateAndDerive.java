package io.sluice.bench.baseline;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The spec's three row-wise steps in one function, as a hand-written job would have them: required
 * fields and ranges (validate-trip), the derived features (features), and the plausible speed
 * (plausible-speed). A rejected trip becomes a dead letter naming the first rule it breaks, in the
 * spec's rule order. Stateless.
 */
public class ValidateAndDerive extends ProcessFunction<TripRecord, TripFeatures> {
    static final String POSITION = "ValidateAndDerive";

    private final double maxSpeedMph;

    public ValidateAndDerive(double maxSpeedMph) {
        this.maxSpeedMph = maxSpeedMph;
    }

    @Override
    public void processElement(TripRecord t, Context ctx, Collector<TripFeatures> out) {
        String missing =
                t.tripSeconds == null
                        ? "trip_seconds"
                        : t.tripMiles == null
                                ? "trip_miles"
                                : t.area == null
                                        ? "area"
                                        : t.fare == null
                                                ? "fare"
                                                : t.company == null ? "company" : null;
        if (missing != null) {
            reject(
                    ctx,
                    t,
                    "missing-field",
                    missing + " is required but missing",
                    missing,
                    "taxi.validate-trip");
            return;
        }
        if (t.fare < 0) {
            reject(
                    ctx,
                    t,
                    "out-of-range",
                    "fare = " + t.fare + " must be at least 0",
                    "fare",
                    "taxi.validate-trip");
            return;
        }
        if (t.tripSeconds <= 0) {
            reject(
                    ctx,
                    t,
                    "out-of-range",
                    "trip_seconds = " + t.tripSeconds + " must be greater than 0",
                    "trip_seconds",
                    "taxi.validate-trip");
            return;
        }
        if (t.tripMiles < 0) {
            reject(
                    ctx,
                    t,
                    "out-of-range",
                    "trip_miles = " + t.tripMiles + " must be at least 0",
                    "trip_miles",
                    "taxi.validate-trip");
            return;
        }

        TripFeatures f = new TripFeatures();
        f.tripId = t.tripId;
        f.startMillis = t.startMillis;
        f.tripSeconds = t.tripSeconds;
        f.tripMiles = t.tripMiles;
        f.area = t.area;
        f.dropoffArea = t.dropoffArea;
        f.fare = t.fare;
        f.tips = t.tips;
        f.company = t.company;
        f.pickupLat = t.pickupLat;
        f.pickupLon = t.pickupLon;
        f.dropoffLat = t.dropoffLat;
        f.dropoffLon = t.dropoffLon;
        f.speedMph = f.tripMiles / (f.tripSeconds / 3600.0);
        f.farePerMile = f.tripMiles > 0.0 ? f.fare / f.tripMiles : null;
        f.distanceKm =
                f.pickupLat != null
                                && f.pickupLon != null
                                && f.dropoffLat != null
                                && f.dropoffLon != null
                        ? haversineKm(f.pickupLat, f.pickupLon, f.dropoffLat, f.dropoffLon)
                        : null;

        if (f.speedMph > maxSpeedMph) {
            reject(
                    ctx,
                    t,
                    "out-of-range",
                    "speed_mph = " + f.speedMph + " must be at most " + (long) maxSpeedMph,
                    "speed_mph",
                    "taxi.plausible-speed");
            return;
        }
        out.collect(f);
    }

    private static void reject(
            Context ctx, TripRecord t, String reason, String message, String field, String step) {
        ctx.output(
                DeadLetter.TAG,
                DeadLetter.of(reason, message, field, t.line, POSITION, t.origin, step));
    }

    /**
     * Great-circle distance in kilometres (mean Earth radius 6371.0088 km), as Sluice's
     * haversine_km.
     */
    static double haversineKm(double lat1, double lon1, double lat2, double lon2) {
        double p1 = Math.toRadians(lat1);
        double p2 = Math.toRadians(lat2);
        double dp = p2 - p1;
        double dl = Math.toRadians(lon2 - lon1);
        double a =
                Math.sin(dp / 2) * Math.sin(dp / 2)
                        + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
        return 2 * 6371.0088 * Math.asin(Math.min(1.0, Math.sqrt(a)));
    }
}
