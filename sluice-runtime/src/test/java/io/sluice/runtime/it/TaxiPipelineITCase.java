package io.sluice.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs examples/taxi/taxi.yaml on generated trips on a shared MiniCluster at parallelism 1 (the
 * z-score and lateness depend on arrival order) and compares every record of every output with
 * {@link TaxiReference}.
 */
class TaxiPipelineITCase {
    static final int ROWS = 30_000;
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path out;

    static Spec spec;
    static JobExecutionResult result;
    static TaxiReference reference;

    @BeforeAll
    static void runJobAndReference() throws Exception {
        runJobAndReference(Path.of("../examples/taxi/taxi.yaml"), Map.of());
    }

    /** Runs the taxi spec in {@code file} (the example, or a variant of it) and the reference. */
    static void runJobAndReference(Path file, Map<String, String> overrides) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(overrides);
        all.put("trips.count", Integer.toString(ROWS));
        spec =
                new SpecLoader(PluginRegistry.load())
                        .withOverrides(all)
                        .load(file)
                        .withParallelism(1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        RunContext run = new RunContext(Path.of("../examples/taxi"), out);
        new JobComposer(PluginRegistry.load(), run).compose(spec, env);
        result = env.execute("taxi-itcase");

        // the same input lines the generator source produces (seed, start, interval, shares from
        // the spec)
        long start =
                LocalDateTime.parse("2024-01-01T00:00:00")
                        .atZone(ZoneId.of("America/Chicago"))
                        .toInstant()
                        .toEpochMilli();
        TaxiTrips trips = new TaxiTrips(42, start, 400, 0.01, 0.002);
        List<byte[]> lines = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            lines.add(trips.line(i));
        }
        reference = new TaxiReference();
        reference.run(lines);
    }

    static List<JsonNode> records(String sink) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> parts = Files.list(out.resolve(sink))) {
            for (Path p : parts.sorted().toList()) {
                for (String line : Files.readAllLines(p)) {
                    all.add(JSON.readTree(line));
                }
            }
        }
        return all;
    }

    static void close(double expected, JsonNode actual) {
        assertThat(actual.asDouble())
                .isCloseTo(expected, within(Math.abs(expected) * 1e-9 + 1e-12));
    }

    @Test
    void theInputIsRealistic() {
        // guards the comparison against vacuous passes: every kind of output is exercised
        assertThat(reference.dead.stream().map(TaxiReference.Dead::reason).distinct())
                .contains(
                        "invalid-utf8",
                        "empty-line",
                        "malformed-csv",
                        "bad-value",
                        "missing-field",
                        "out-of-range");
        assertThat(reference.late).hasSizeGreaterThan(10);
        assertThat(reference.alerts).hasSizeGreaterThan(10);
        assertThat(reference.areaStats).hasSizeGreaterThan(1000);
    }

    @Test
    void everyRowIsAcceptedOrADeadLetter() {
        Map<String, Object> acc = result.getAllAccumulatorResults();
        long dead =
                acc.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(Counters.DEAD_PREFIX))
                        .mapToLong(e -> (Long) e.getValue())
                        .sum();
        assertThat(acc.get(Counters.ROWS_IN)).isEqualTo((long) ROWS);
        assertThat((Long) acc.get(Counters.ACCEPTED) + dead).isEqualTo(ROWS);
        assertThat(dead).isEqualTo(reference.dead.size());
        assertThat(acc.get(Counters.ACCEPTED)).isEqualTo((long) reference.features.size());
    }

    @Test
    void deadLettersMatchTheReference() throws IOException {
        List<JsonNode> dead = records("dead-letters");
        assertThat(
                        dead.stream()
                                .map(
                                        n ->
                                                new TaxiReference.Dead(
                                                        n.get("origin").asText(),
                                                        n.get("reason").asText(),
                                                        n.get("field").isNull()
                                                                ? null
                                                                : n.get("field").asText())))
                .containsExactlyInAnyOrderElementsOf(reference.dead);
        for (JsonNode n : dead) {
            assertThat(n.get("spec_hash").asText()).isEqualTo(spec.hash());
            assertThat(n.get("config_version").asLong()).isZero();
            assertThat(n.get("message").asText()).isNotBlank();
            assertThat(n.get("position").asText()).startsWith(spec.file() + ":");
        }
    }

    @Test
    void tripFeaturesMatchTheReference() throws IOException {
        List<JsonNode> rows = records("trip-features");
        assertThat(rows).hasSameSizeAs(reference.features);
        Map<String, JsonNode> byId =
                rows.stream().collect(Collectors.toMap(n -> n.get("trip_id").asText(), n -> n));
        for (TaxiReference.Trip t : reference.features) {
            JsonNode n = byId.get(t.tripId());
            assertThat(n).as(t.origin()).isNotNull();
            assertThat(n.get("trip_start_timestamp").asText()).isEqualTo(TaxiReference.iso(t.ts()));
            assertThat(n.get("area").asLong()).isEqualTo(t.area());
            close(t.speed(), n.get("speed_mph"));
            if (t.farePerMile() == null) {
                assertThat(n.get("fare_per_mile").isNull()).isTrue();
            } else {
                close(t.farePerMile(), n.get("fare_per_mile"));
            }
            if (t.distanceKm() == null) {
                assertThat(n.get("distance_km").isNull()).isTrue();
            } else {
                close(t.distanceKm(), n.get("distance_km"));
            }
        }
    }

    @Test
    void areaStatsMatchTheReference() throws IOException {
        List<JsonNode> rows = records("area-stats");
        Map<String, JsonNode> byWindow = new HashMap<>();
        for (JsonNode n : rows) {
            String k = n.get("area").asLong() + "@" + n.get("window_start").asText();
            assertThat(byWindow.put(k, n)).as("window emitted twice: " + k).isNull();
        }
        assertThat(byWindow).hasSameSizeAs(reference.areaStats);
        reference.areaStats.forEach(
                (w, s) -> {
                    JsonNode n = byWindow.get(w.area() + "@" + TaxiReference.iso(w.start()));
                    assertThat(n).as(w.toString()).isNotNull();
                    assertThat(n.get("window_end").asText()).isEqualTo(TaxiReference.iso(w.end()));
                    assertThat(n.get("trip_count").asLong()).isEqualTo(s.count());
                    close(s.avgFare(), n.get("avg_fare"));
                    close(s.avgMiles(), n.get("avg_distance"));
                    close(s.fareStddev(), n.get("fare_stddev"));
                });
    }

    @Test
    void lateRowsMatchTheReference() throws IOException {
        assertThat(records("late-trips").stream().map(n -> n.get("trip_id").asText()))
                .containsExactlyInAnyOrderElementsOf(
                        reference.late.stream().map(TaxiReference.Trip::tripId).toList());
    }

    @Test
    void fareAlertsMatchTheReferenceInOrder() throws IOException {
        List<JsonNode> alerts = records("taxi-alerts");
        assertThat(alerts).hasSameSizeAs(reference.alerts);
        for (int i = 0; i < alerts.size(); i++) {
            JsonNode n = alerts.get(i);
            TaxiReference.Alert a = reference.alerts.get(i);
            assertThat(n.get("key").asText()).isEqualTo(a.key());
            close(a.value(), n.get("value"));
            close(a.mean(), n.get("mean"));
            assertThat(n.get("stddev").asDouble()).isCloseTo(a.stddev(), within(a.stddev() * 1e-9));
            assertThat(n.get("z").asDouble()).isCloseTo(a.z(), within(Math.abs(a.z()) * 1e-9));
            assertThat(n.get("event_time").asText()).isEqualTo(TaxiReference.iso(a.eventTime()));
            assertThat(n.get("rule").asText()).isEqualTo("fare-anomaly");
        }
    }
}
