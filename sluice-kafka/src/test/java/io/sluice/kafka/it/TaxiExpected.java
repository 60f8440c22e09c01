package io.sluice.kafka.it;

import io.sluice.runtime.source.TaxiTrips;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What examples/taxi/taxi-kafka.yaml must produce from generated trips, computed by
 * sluice-runtime's brute-force {@code io.sluice.runtime.it.TaxiReference} (test-jar), which shares
 * no code with the runtime. That class is package-private in another package, so it is driven
 * reflectively here and its results are copied into this class's records.
 */
final class TaxiExpected {
    record Dead(String origin, String reason, String field) {}

    record Window(long area, long start, long end) {}

    record Stats(long count, double avgFare, double avgMiles, double fareStddev) {}

    record Alert(String key, double value, double mean, double stddev, double z, long eventTime) {}

    final List<Dead> dead = new ArrayList<>();
    final Map<Window, Stats> areaStats = new LinkedHashMap<>();
    final List<Alert> alerts = new ArrayList<>();
    final List<String> lateTripIds = new ArrayList<>();
    long accepted;

    /** The lines taxi.yaml's generator emits (seed, start, interval and shares of that spec). */
    static List<byte[]> lines(int count) {
        long start =
                LocalDateTime.parse("2024-01-01T00:00:00")
                        .atZone(ZoneId.of("America/Chicago"))
                        .toInstant()
                        .toEpochMilli();
        TaxiTrips trips = new TaxiTrips(42, start, 400, 0.01, 0.002);
        List<byte[]> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lines.add(trips.line(i));
        }
        return lines;
    }

    /** Runs the reference over {@code lines}, read in order as at parallelism 1. */
    static TaxiExpected of(List<byte[]> lines) throws ReflectiveOperationException {
        Class<?> type = Class.forName("io.sluice.runtime.it.TaxiReference");
        Constructor<?> create = accessible(type.getDeclaredConstructor());
        Object ref = create.newInstance();
        Method run = accessible(type.getDeclaredMethod("run", List.class));
        try {
            run.invoke(ref, lines);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("the reference failed", e.getCause());
        }
        TaxiExpected x = new TaxiExpected();
        for (Object d : (List<?>) field(ref, "dead")) {
            x.dead.add(
                    new Dead(
                            (String) get(d, "origin"),
                            (String) get(d, "reason"),
                            (String) get(d, "field")));
        }
        for (Map.Entry<?, ?> e : ((Map<?, ?>) field(ref, "areaStats")).entrySet()) {
            Object w = e.getKey();
            Object s = e.getValue();
            x.areaStats.put(
                    new Window((long) get(w, "area"), (long) get(w, "start"), (long) get(w, "end")),
                    new Stats(
                            (long) get(s, "count"),
                            (double) get(s, "avgFare"),
                            (double) get(s, "avgMiles"),
                            (double) get(s, "fareStddev")));
        }
        for (Object a : (List<?>) field(ref, "alerts")) {
            x.alerts.add(
                    new Alert(
                            (String) get(a, "key"),
                            (double) get(a, "value"),
                            (double) get(a, "mean"),
                            (double) get(a, "stddev"),
                            (double) get(a, "z"),
                            (long) get(a, "eventTime")));
        }
        for (Object t : (List<?>) field(ref, "late")) {
            x.lateTripIds.add((String) get(t, "tripId"));
        }
        x.accepted = ((List<?>) field(ref, "features")).size();
        return x;
    }

    private static Object field(Object target, String name) throws ReflectiveOperationException {
        Field f = accessible(target.getClass().getDeclaredField(name));
        return f.get(target);
    }

    private static Object get(Object record, String component) throws ReflectiveOperationException {
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            if (c.getName().equals(component)) {
                return accessible(c.getAccessor()).invoke(record);
            }
        }
        throw new NoSuchFieldException(record.getClass().getName() + "." + component);
    }

    private static <T extends AccessibleObject> T accessible(T member) {
        member.setAccessible(true);
        return member;
    }
}
