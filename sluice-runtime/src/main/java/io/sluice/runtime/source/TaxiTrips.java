package io.sluice.runtime.source;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Deterministic synthetic taxi trips in the Chicago Taxi Trips CSV layout. Trip {@code i} depends
 * only on the seed and {@code i}, so any parallelism produces the same rows. Distributions are
 * shaped like the public data: busy areas and large companies dominate, durations are log-normal,
 * fares follow the meter with noise; a share of rows arrive out of order, a few very late, a few
 * with anomalous fares, and a configurable share are dirty in one of several ways.
 */
public final class TaxiTrips implements GeneratedLines {
    private static final long serialVersionUID = 1L;
    public static final List<String> HEADER =
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

    /** The kinds of dirty rows generated, each ending in dead letters with its own reason. */
    public enum Dirt {
        BAD_QUOTING,
        WRONG_TYPE,
        MISSING_AREA,
        MISSING_COLUMNS,
        EMPTY_LINE,
        HUGE_NUMBER,
        INVALID_UTF8,
        NAN_FARE,
        NEGATIVE_FARE,
        ZERO_SECONDS,
        TOO_FAST
    }

    static final String[] COMPANIES = {
        "Flash Cab",
        "Taxi Affiliation Services",
        "Sun Taxi",
        "City Service",
        "Chicago Carriage Cab Corp",
        "Medallion Leasin",
        "Taxicab Insurance Agency Llc",
        "Star North Management LLC",
        "Globe Taxi",
        "Blue Ribbon Taxi Association",
        "Choice Taxi Association",
        "5 Star Taxi"
    };

    /** Busy community areas first (Near North Side, Loop, Near West Side, O'Hare, ...). */
    static final int[] AREAS = {
        8, 32, 28, 76, 6, 7, 33, 24, 56, 3, 77, 22, 41, 5, 1, 16, 14, 21, 2, 4
    };

    private static final DateTimeFormatter CHICAGO_TIME =
            DateTimeFormatter.ofPattern("MM/dd/yyyy hh:mm:ss a", Locale.US);
    private static final ZoneId CHICAGO = ZoneId.of("America/Chicago");

    private final long seed;
    private final long startMillis;
    private final long intervalMillis;
    private final double dirtyShare;
    private final double lateShare;
    private final boolean json;

    public TaxiTrips(
            long seed, long startMillis, long intervalMillis, double dirtyShare, double lateShare) {
        this(seed, startMillis, intervalMillis, dirtyShare, lateShare, false);
    }

    /**
     * @param json whether lines are JSON objects (the CSV header's names as keys, numbers as JSON
     *     numbers, a missing value left out) instead of CSV
     */
    public TaxiTrips(
            long seed,
            long startMillis,
            long intervalMillis,
            double dirtyShare,
            double lateShare,
            boolean json) {
        this.json = json;
        this.seed = seed;
        this.startMillis = startMillis;
        this.intervalMillis = intervalMillis;
        this.dirtyShare = dirtyShare;
        this.lateShare = lateShare;
    }

    /** Trip {@code i} as one CSV or JSON line (no newline), UTF-8. */
    @Override
    public byte[] line(long i) {
        SplittableRandom r = new SplittableRandom(mix(seed * 0x9E3779B97F4A7C15L + i));
        long start = startMillis + i * intervalMillis + (long) ((r.nextDouble() - 0.5) * 40_000);
        if (r.nextDouble() < lateShare) {
            start -= 65 * 60_000L + r.nextLong(55 * 60_000L);
        }
        start = start / 1000 * 1000;
        long seconds = Math.max(60, Math.round(Math.exp(6.6 + 0.7 * r.nextGaussian())));
        double mph = Math.max(3, 16 + 6 * r.nextGaussian());
        double miles = round2(seconds / 3600.0 * mph);
        double fare =
                round2(3.25 + 2.25 * miles + 0.25 * seconds / 36.0 * (0.9 + 0.2 * r.nextDouble()));
        if (r.nextDouble() < 0.004) {
            fare = round2(fare * (5 + 5 * r.nextDouble()));
        }
        double tips = r.nextDouble() < 0.45 ? round2(fare * (0.15 + 0.1 * r.nextDouble())) : 0.0;
        double extras = r.nextDouble() < 0.2 ? 1.0 : 0.0;
        int pickup = pick(r, AREAS);
        int dropoff = r.nextDouble() < 0.3 ? pickup : pick(r, AREAS);
        String company =
                COMPANIES[
                        Math.min(
                                COMPANIES.length - 1,
                                (int) Math.floor(-Math.log(1 - r.nextDouble()) * 3))];
        boolean coords = r.nextDouble() < 0.7;
        String[] c = new String[HEADER.size()];
        c[0] = Long.toHexString(mix(i ^ seed)) + Long.toHexString(i);
        c[1] = "taxi-" + (1 + r.nextInt(3000));
        c[2] = format(start);
        c[3] = format(start + seconds * 1000);
        c[4] = Long.toString(seconds);
        c[5] = num(miles);
        c[6] = Integer.toString(pickup);
        c[7] = Integer.toString(dropoff);
        c[8] = num(fare);
        c[9] = num(tips);
        c[10] = "0.00";
        c[11] = num(extras);
        c[12] = num(round2(fare + tips + extras));
        c[13] = tips > 0 ? "Credit Card" : "Cash";
        c[14] = company;
        c[15] = coords ? num6(lat(pickup)) : "";
        c[16] = coords ? num6(lon(pickup)) : "";
        c[17] = coords ? num6(lat(dropoff)) : "";
        c[18] = coords ? num6(lon(dropoff)) : "";
        if (r.nextDouble() < dirtyShare) {
            Dirt d = Dirt.values()[r.nextInt(Dirt.values().length)];
            return json ? dirtyJson(d, c) : dirty(d, c);
        }
        return json ? object(c, c.length, true) : join(c);
    }

    /** The same eleven faults as in CSV, as they show in JSON. */
    private static byte[] dirtyJson(Dirt d, String[] c) {
        switch (d) {
            case BAD_QUOTING -> {
                // an unescaped quote: malformed JSON, as the CSV line is malformed CSV
                String line = new String(object(c, c.length, true), StandardCharsets.UTF_8);
                return line.replace("\"" + c[14] + "\"", "\"\"" + c[14] + "\"")
                        .getBytes(StandardCharsets.UTF_8);
            }
            case MISSING_COLUMNS -> {
                return object(c, 9, false); // cut off after nine fields
            }
            case EMPTY_LINE -> {
                return new byte[0];
            }
            case INVALID_UTF8 -> {
                String marker = "\u0001";
                c[14] = marker + c[14];
                byte[] line = object(c, c.length, true);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (byte b : line) {
                    if (b == 1) {
                        out.write(0xC3);
                        out.write(0x28);
                    } else {
                        out.write(b);
                    }
                }
                return out.toByteArray();
            }
            case WRONG_TYPE -> c[4] = "about " + c[4];
            case MISSING_AREA -> c[6] = "";
            case HUGE_NUMBER -> c[4] = "99999999999999999999999";
            case NAN_FARE -> c[8] = "NaN";
            case NEGATIVE_FARE -> c[8] = "-" + c[8];
            case ZERO_SECONDS -> c[4] = "0";
            case TOO_FAST -> c[5] = "310.00";
        }
        return object(c, c.length, true);
    }

    private static final java.util.regex.Pattern JSON_NUMBER =
            java.util.regex.Pattern.compile("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?");

    /** Columns 4 to 12 and 15 to 18 hold numbers: JSON numbers when they are numbers at all. */
    private static boolean numeric(int column) {
        return (column >= 4 && column <= 12) || column >= 15;
    }

    /**
     * The first {@code n} cells as a JSON object, numbers as numbers, empty cells left out;
     * unclosed if not whole.
     */
    private static byte[] object(String[] c, int n, boolean whole) {
        StringBuilder sb = new StringBuilder(512).append('{');
        boolean first = true;
        for (int i = 0; i < n; i++) {
            if (c[i].isEmpty()) {
                continue;
            }
            sb.append(first ? "" : ",").append('"').append(HEADER.get(i)).append("\":");
            if (numeric(i) && JSON_NUMBER.matcher(c[i]).matches()) {
                sb.append(c[i]);
            } else {
                sb.append('"').append(c[i]).append('"');
            }
            first = false;
        }
        if (whole) {
            sb.append('}');
        } else {
            sb.append(',');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] dirty(Dirt d, String[] c) {
        switch (d) {
            case BAD_QUOTING -> c[14] = "\"" + c[14];
            case WRONG_TYPE -> c[4] = "about " + c[4];
            case MISSING_AREA -> c[6] = "";
            case MISSING_COLUMNS -> {
                return join(java.util.Arrays.copyOf(c, 9));
            }
            case EMPTY_LINE -> {
                return new byte[0];
            }
            case HUGE_NUMBER -> c[4] = "99999999999999999999999";
            case INVALID_UTF8 -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] before = join(java.util.Arrays.copyOf(c, 14));
                out.write(before, 0, before.length);
                out.write(',');
                out.write(0xC3);
                out.write(0x28);
                byte[] rest = join(java.util.Arrays.copyOfRange(c, 14, c.length));
                out.write(rest, 0, rest.length);
                return out.toByteArray();
            }
            case NAN_FARE -> c[8] = "NaN";
            case NEGATIVE_FARE -> c[8] = "-" + c[8];
            case ZERO_SECONDS -> c[4] = "0";
            case TOO_FAST -> c[5] = "310.00";
        }
        return join(c);
    }

    private static byte[] join(String[] c) {
        StringBuilder sb = new StringBuilder(256);
        for (int i = 0; i < c.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(c[i]);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static int pick(SplittableRandom r, int[] items) {
        // Zipf-like: item k has weight 1/(k+1)
        double u = r.nextDouble() * harmonic(items.length);
        double acc = 0;
        for (int k = 0; k < items.length; k++) {
            acc += 1.0 / (k + 1);
            if (u < acc) {
                return items[k];
            }
        }
        return items[items.length - 1];
    }

    private static double harmonic(int n) {
        double h = 0;
        for (int k = 1; k <= n; k++) {
            h += 1.0 / k;
        }
        return h;
    }

    static double lat(int area) {
        return 41.66 + (mix(area) & 0xFFFF) / 65535.0 * 0.36;
    }

    static double lon(int area) {
        return -87.85 + (mix(area * 31L) & 0xFFFF) / 65535.0 * 0.30;
    }

    private static String format(long millis) {
        return LocalDateTime.ofInstant(Instant.ofEpochMilli(millis), CHICAGO).format(CHICAGO_TIME);
    }

    private static double round2(double d) {
        return Math.round(d * 100) / 100.0;
    }

    private static String num(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }

    private static String num6(double d) {
        return String.format(Locale.ROOT, "%.6f", d);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
