package io.sluice.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two engines, one answer: the taxi spec on a CSV file (generated trips with dirty and late rows)
 * runs once as Sluice's DataStream job and once as the Flink SQL script {@code sluice render sql}
 * writes, on Flink's TableEnvironment; the area statistics (sliding windows) and trip features they
 * write are equal record for record.
 */
class TaxiSqlEquivalenceITCase {
    static final int ROWS = 30_000;
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir static Path dir;
    static Spec spec;
    static SqlScript script;

    @BeforeAll
    static void runBoth() throws Exception {
        // the example's spec, reading a larger file of the same layout
        long start =
                LocalDateTime.parse("2024-01-01T00:00:00")
                        .atZone(ZoneId.of("America/Chicago"))
                        .toInstant()
                        .toEpochMilli();
        TaxiTrips trips = new TaxiTrips(7, start, 400, 0.02, 0.005);
        Path csv = dir.resolve("data/trips.csv");
        Files.createDirectories(csv.getParent());
        try (OutputStream o = Files.newOutputStream(csv)) {
            o.write((String.join(",", TaxiTrips.HEADER) + "\n").getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < ROWS; i++) {
                o.write(trips.line(i));
                o.write('\n');
            }
        }
        Path specFile = dir.resolve("taxi-file.yaml");
        Files.writeString(
                specFile,
                Files.readString(Path.of("../examples/taxi/taxi-file.yaml"))
                        .replace("path: data/trips-sample.csv", "path: data/trips.csv")
                        // running totals per area and hour, every 15 minutes: CUMULATE in SQL
                        .replace(
                                "  - {id: area-stats, type: file}\n",
                                "  - {id: area-stats, type: file}\n"
                                        + "  - {id: area-running, type: file}\n")
                        .replace(
                                "      - id: fare-anomaly\n",
                                "      - id: area-running\n"
                                        + "        processor: window-aggregate\n"
                                        + "        key: [area]\n"
                                        + "        window: {type: cumulate, size: 1h, step: 15m}\n"
                                        + "        aggregates:\n"
                                        + "          - {name: trip_count, fn: count}\n"
                                        + "          - {name: fare_total, fn: sum, field: fare}\n"
                                        + "          - {name: max_fare, fn: max, field: fare}\n"
                                        + "        output: area-running\n\n"
                                        + "      - id: fare-anomaly\n"));
        spec = new SpecLoader(PluginRegistry.load()).load(specFile).withParallelism(1);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("sluice")))
                .compose(spec, env);
        env.execute("taxi-sluice");

        script =
                SqlRenderer.render(
                        spec, new RunContext(dir, dir.resolve("sql")), PluginRegistry.load());
        TableEnvironment t = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        TableResult done = FlinkSqlRunner.run(script.text(), t);
        done.await();
    }

    /**
     * Guards against a vacuous pass: the input holds rows both engines must drop or window late.
     */
    @Test
    void theInputHasLateAndBadRows() throws IOException {
        assertThat(records("sluice", "late-trips")).hasSizeGreaterThan(20);
        assertThat(records("sluice", "dead-letters"))
                .extracting(r -> r.get("reason").asText())
                .contains(
                        "bad-value", "malformed-csv", "out-of-range", "invalid-utf8", "empty-line");
    }

    @Test
    void areaStatisticsAreEqualRecordForRecord() throws IOException {
        List<JsonNode> sluice = records("sluice", "area-stats");
        List<JsonNode> sql = records("sql", "area-stats");
        assertThat(sluice).hasSizeGreaterThan(1_000);
        assertEqual(sluice, sql, List.of("avg_fare", "avg_distance", "fare_stddev"));
    }

    @Test
    void cumulatingAreaTotalsAreEqualRecordForRecord() throws IOException {
        List<JsonNode> sluice = records("sluice", "area-running");
        List<JsonNode> sql = records("sql", "area-running");
        assertThat(sluice).hasSizeGreaterThan(200);
        // windows grow within the hour: some end before the hour does
        assertThat(sluice).anyMatch(r -> r.get("window_end").asText().endsWith(":15:00Z"));
        assertEqual(sluice, sql, List.of("fare_total", "max_fare"));
    }

    @Test
    void tripFeaturesAreEqualRecordForRecord() throws IOException {
        List<JsonNode> sluice = records("sluice", "trip-features");
        List<JsonNode> sql = records("sql", "trip-features");
        assertThat(sluice).hasSizeGreaterThan(ROWS * 9 / 10);
        assertEqual(sluice, sql, List.of("speed_mph", "fare_per_mile", "distance_km"));
    }

    /** What SQL cannot do is said, at the spec's lines: nothing is skipped silently. */
    @Test
    void whatSqlCannotExpressIsReportedWhereItStands() {
        assertThat(script.complete()).isFalse();
        assertThat(script.problems())
                .extracting(Problem::path)
                .contains(
                        "pipelines[0].dead-letters",
                        "pipelines[0].steps[3].late-output",
                        "pipelines[0].steps[5].processor",
                        "sources[0].format");
        assertThat(script.text())
                .contains("NOT RENDERED (" + script.problems().size() + ")")
                .contains("HOP(TABLE `taxi$plausible-speed`")
                .doesNotContain("taxi-alerts` (");
    }

    /**
     * Equal as multisets, field for field: doubles named in {@code approximate} within 1e-9
     * relative (the engines add in other orders), everything else exactly.
     */
    static void assertEqual(List<JsonNode> a, List<JsonNode> b, List<String> approximate) {
        List<JsonNode> x = sortedByExact(a, approximate);
        List<JsonNode> y = sortedByExact(b, approximate);
        assertThat(y).as("record count").hasSameSizeAs(x);
        Iterator<JsonNode> i = x.iterator();
        Iterator<JsonNode> j = y.iterator();
        while (i.hasNext()) {
            JsonNode p = i.next();
            JsonNode q = j.next();
            assertThat(fieldNames(q)).as("fields of %s", q).isEqualTo(fieldNames(p));
            for (String f : fieldNames(p)) {
                if (approximate.contains(f) && p.get(f).isNumber() && q.get(f).isNumber()) {
                    double e = p.get(f).asDouble();
                    assertThat(q.get(f).asDouble())
                            .as("%s of %s", f, p)
                            .isCloseTo(e, within(Math.abs(e) * 1e-9 + 1e-9));
                } else {
                    assertThat(q.get(f)).as("%s of %s", f, p).isEqualTo(p.get(f));
                }
            }
        }
    }

    /** Sorted by the fields compared exactly, so approximate doubles do not change the order. */
    static List<JsonNode> sortedByExact(List<JsonNode> records, List<String> approximate) {
        return records.stream()
                .sorted(
                        Comparator.comparing(
                                r -> {
                                    StringBuilder sb = new StringBuilder();
                                    for (String f : fieldNames(r)) {
                                        if (!approximate.contains(f)) {
                                            sb.append(r.get(f)).append('|');
                                        }
                                    }
                                    return sb.toString();
                                }))
                .toList();
    }

    static List<String> fieldNames(JsonNode r) {
        List<String> names = new ArrayList<>();
        r.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static List<JsonNode> records(String engine, String sink) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir.resolve(engine).resolve(sink))) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                if (p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                for (String line : Files.readAllLines(p)) {
                    all.add(JSON.readTree(line));
                }
            }
        }
        return all;
    }
}
