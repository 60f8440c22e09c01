package io.sluice.runtime.it;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A brute-force, single-threaded re-implementation of examples/taxi/taxi.yaml in plain Java,
 * written from the spec and the documented semantics, sharing no code with the runtime. It walks
 * the input lines in order, as the job does at parallelism 1.
 */
final class TaxiReference {
    static final long HOUR = 3_600_000L;
    static final long SLIDE = 300_000L;
    static final long OUT_OF_ORDER = 60_000L;
    static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("MM/dd/yyyy hh:mm:ss a", Locale.US);
    static final ZoneId CHICAGO = ZoneId.of("America/Chicago");

    record Dead(String origin, String reason, String field) {}

    record Trip(
            String origin,
            String tripId,
            long ts,
            long seconds,
            double miles,
            long area,
            double fare,
            String company,
            Double pLat,
            Double pLon,
            Double dLat,
            Double dLon,
            double speed,
            Double farePerMile,
            Double distanceKm) {}

    record AreaWindow(long area, long start, long end) {}

    record Stats(long count, double avgFare, double avgMiles, double fareStddev) {}

    record Alert(String key, double value, double mean, double stddev, double z, long eventTime) {}

    final List<Dead> dead = new ArrayList<>();
    final List<Trip> features = new ArrayList<>();
    final List<Trip> late = new ArrayList<>();
    final Map<AreaWindow, Stats> areaStats =
            new TreeMap<>(
                    (a, b) ->
                            a.area != b.area
                                    ? Long.compare(a.area, b.area)
                                    : Long.compare(a.start, b.start));
    final List<Alert> alerts = new ArrayList<>();
    long rowsIn;

    private static final List<String> COLUMNS =
            List.of(
                    "trip_id",
                    "taxi_id",
                    "trip_start_timestamp",
                    "trip_end_timestamp",
                    "trip_seconds",
                    "trip_miles",
                    "pickup_community_area",
                    "dropoff_community_area",
                    "fare",
                    "tips",
                    "tolls",
                    "extras",
                    "trip_total",
                    "payment_type",
                    "company",
                    "pickup_centroid_latitude",
                    "pickup_centroid_longitude",
                    "dropoff_centroid_latitude",
                    "dropoff_centroid_longitude");

    static final class BadValue extends Exception {
        final String field;

        BadValue(String field) {
            this.field = field;
        }
    }

    void run(List<byte[]> lines) {
        long maxTs = Long.MIN_VALUE;
        long watermark = Long.MIN_VALUE;
        Map<AreaWindow, List<Trip>> windows = new HashMap<>();
        Map<String, double[]> companyStats = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            rowsIn++;
            String origin = "trips:" + (i + 1);
            Map<String, String> c = decode(lines.get(i), origin);
            if (c == null) {
                continue;
            }
            Long ts;
            Long seconds;
            Double miles;
            Long area;
            Double fare;
            Double pLat;
            Double pLon;
            Double dLat;
            Double dLon;
            try {
                ts = time(c, "trip_start_timestamp");
                seconds = whole(c, "trip_seconds", "trip_seconds");
                miles = real(c, "trip_miles", "trip_miles");
                area = whole(c, "pickup_community_area", "area");
                whole(c, "dropoff_community_area", "dropoff_area");
                fare = real(c, "fare", "fare");
                real(c, "tips", "tips");
                pLat = real(c, "pickup_centroid_latitude", "pickup_lat");
                pLon = real(c, "pickup_centroid_longitude", "pickup_lon");
                dLat = real(c, "dropoff_centroid_latitude", "dropoff_lat");
                dLon = real(c, "dropoff_centroid_longitude", "dropoff_lon");
            } catch (BadValue e) {
                dead.add(new Dead(origin, "bad-value", e.field));
                continue;
            }
            if (ts == null) {
                dead.add(new Dead(origin, "missing-field", "trip_start_timestamp"));
                continue;
            }
            // the job emits each row before the watermark it causes: the row sees the previous one
            long rowWatermark = watermark;
            maxTs = Math.max(maxTs, ts);
            watermark = Math.max(watermark, maxTs - OUT_OF_ORDER - 1);

            String company = c.get("company").isEmpty() ? null : c.get("company");
            String missing =
                    seconds == null
                            ? "trip_seconds"
                            : miles == null
                                    ? "trip_miles"
                                    : area == null
                                            ? "area"
                                            : fare == null
                                                    ? "fare"
                                                    : company == null ? "company" : null;
            if (missing != null) {
                dead.add(new Dead(origin, "missing-field", missing));
                continue;
            }
            String outOfRange =
                    fare < 0
                            ? "fare"
                            : seconds <= 0 ? "trip_seconds" : miles < 0 ? "trip_miles" : null;
            if (outOfRange != null) {
                dead.add(new Dead(origin, "out-of-range", outOfRange));
                continue;
            }
            double speed = miles / (seconds / 3600.0);
            Double perMile = miles > 0 ? fare / miles : null;
            Double km =
                    pLat != null && pLon != null && dLat != null && dLon != null
                            ? haversine(pLat, pLon, dLat, dLon)
                            : null;
            if (speed > 100) {
                dead.add(new Dead(origin, "out-of-range", "speed_mph"));
                continue;
            }
            Trip t =
                    new Trip(
                            origin,
                            c.get("trip_id"),
                            ts,
                            seconds,
                            miles,
                            area,
                            fare,
                            company,
                            pLat,
                            pLon,
                            dLat,
                            dLon,
                            speed,
                            perMile,
                            km);
            features.add(t);

            // area-stats: sliding 1h / 5m, allowed lateness 0
            boolean anyOpen = false;
            long lastStart = ts - Math.floorMod(ts, SLIDE);
            for (long start = lastStart; start > ts - HOUR; start -= SLIDE) {
                long end = start + HOUR;
                if (end - 1 <= rowWatermark) {
                    continue;
                }
                anyOpen = true;
                windows.computeIfAbsent(new AreaWindow(area, start, end), k -> new ArrayList<>())
                        .add(t);
            }
            if (!anyOpen) {
                late.add(t);
            }

            // fare-anomaly: z-score against the company's previous fares, k = 4, min-count 30
            double[] s = companyStats.computeIfAbsent(company, k -> new double[3]);
            if (s[0] >= 30) {
                double mean = s[1] / s[0];
                double var = s[2] / s[0] - mean * mean;
                double stddev = Math.sqrt(Math.max(var, 0));
                if (stddev > 0 && Math.abs((fare - mean) / stddev) > 4.0) {
                    alerts.add(new Alert(company, fare, mean, stddev, (fare - mean) / stddev, ts));
                }
            }
            s[0] += 1;
            s[1] += fare;
            s[2] += fare * fare;
        }
        for (Map.Entry<AreaWindow, List<Trip>> e : windows.entrySet()) {
            List<Trip> trips = e.getValue();
            double sumFare = 0;
            double sumMiles = 0;
            for (Trip t : trips) {
                sumFare += t.fare();
                sumMiles += t.miles();
            }
            double mean = sumFare / trips.size();
            double sq = 0;
            for (Trip t : trips) {
                sq += (t.fare() - mean) * (t.fare() - mean);
            }
            areaStats.put(
                    e.getKey(),
                    new Stats(
                            trips.size(),
                            mean,
                            sumMiles / trips.size(),
                            Math.sqrt(sq / trips.size())));
        }
    }

    /** Columns by name, or null after recording why the line is unreadable. */
    private Map<String, String> decode(byte[] raw, String origin) {
        String text;
        try {
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(raw))
                            .toString();
        } catch (CharacterCodingException e) {
            dead.add(new Dead(origin, "invalid-utf8", null));
            return null;
        }
        if (text.isBlank()) {
            dead.add(new Dead(origin, "empty-line", null));
            return null;
        }
        // the generated data never quotes a cell, so any quote is broken quoting
        String[] cells = text.split(",", -1);
        if (text.indexOf('"') >= 0 || cells.length != COLUMNS.size()) {
            dead.add(new Dead(origin, "malformed-csv", null));
            return null;
        }
        Map<String, String> c = new HashMap<>();
        for (int i = 0; i < cells.length; i++) {
            c.put(COLUMNS.get(i), cells[i]);
        }
        return c;
    }

    private static Long whole(Map<String, String> c, String column, String field) throws BadValue {
        String v = c.get(column);
        if (v.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new BadValue(field);
        }
    }

    private static Double real(Map<String, String> c, String column, String field) throws BadValue {
        String v = c.get(column);
        if (v.isEmpty()) {
            return null;
        }
        if (!v.matches("-?[0-9]+(\\.[0-9]+)?")) {
            throw new BadValue(field);
        }
        return Double.parseDouble(v);
    }

    private static Long time(Map<String, String> c, String column) throws BadValue {
        String v = c.get(column);
        if (v.isEmpty()) {
            return null;
        }
        try {
            return LocalDateTime.parse(v, TIME).atZone(CHICAGO).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new BadValue(column);
        }
    }

    static double haversine(double lat1, double lon1, double lat2, double lon2) {
        double r = 6371.0088;
        double dLat = Math.toRadians(lat2 - lat1);
        double dLon = Math.toRadians(lon2 - lon1);
        double h =
                Math.pow(Math.sin(dLat / 2), 2)
                        + Math.cos(Math.toRadians(lat1))
                                * Math.cos(Math.toRadians(lat2))
                                * Math.pow(Math.sin(dLon / 2), 2);
        return 2 * r * Math.asin(Math.sqrt(h));
    }

    static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
