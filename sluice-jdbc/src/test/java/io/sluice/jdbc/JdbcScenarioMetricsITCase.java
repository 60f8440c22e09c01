package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.BehaviourEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenario metrics upserted into a real MariaDB and PostgreSQL table by the {@code jdbc} sink: the
 * table equals counts and ratios computed here from the events, and running the job again over the
 * same events (a replay) leaves it the same, row for row.
 */
class JdbcScenarioMetricsITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int EVENTS = 12_000;
    static final long SIZE = 900_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    static final String SPEC =
            """
            name: metrics-to-jdbc
            runtime: {parallelism: 2}
            sources:
              - id: actions
                type: file
                path: events.jsonl
                format: json
                fields:
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: user_id, type: string}
                  - {name: item_id, type: string}
                  - {name: category_id, type: string}
                  - {name: action, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: watch_time_ms, type: long}
                event-time: {field: event_time, max-out-of-orderness: 5s}
            sinks:
              - id: metrics-db
                type: jdbc
                url: "URL"
                user: sluice
                password: sluice
                table: scenario_metrics
                key: [tenant, scenario, window_end]
              - {id: dead-letters, type: file}
            pipelines:
              - id: rec
                source: actions
                dead-letters: dead-letters
                scenarios:
                  store: config
                  metrics: [metrics-db]
            """;

    static final String CONFIG =
            """
            scenarios:
              - {tenant: acme, scenario: feed, metrics: {window: {size: 15m}}}
              - {tenant: acme, scenario: video, metrics: {window: {size: 15m}, measures: [ctr]}}
              - {tenant: globex, scenario: feed, metrics: {window: {size: 15m}}}
              - {tenant: globex, scenario: video, metrics: {window: {size: 15m}}}
              - {tenant: initech, scenario: feed, metrics: {window: {size: 15m}}}
              - {tenant: initech, scenario: video, metrics: {window: {size: 15m}}}
            """;

    static String ddl(String vendor) {
        String ts = vendor.equals("mariadb") ? "DATETIME(3)" : "TIMESTAMP(3)";
        String dbl = vendor.equals("mariadb") ? "DOUBLE" : "DOUBLE PRECISION";
        return "CREATE TABLE scenario_metrics (tenant VARCHAR(64) NOT NULL, scenario VARCHAR(64)"
                + " NOT NULL, window_start "
                + ts
                + " NOT NULL, window_end "
                + ts
                + " NOT NULL, events BIGINT NOT NULL, impressions BIGINT, views BIGINT, clicks"
                + " BIGINT, purchases BIGINT, ctr "
                + dbl
                + ", cvr "
                + dbl
                + ", avg_watch_time "
                + dbl
                + ", config_version BIGINT, PRIMARY KEY (tenant, scenario, window_end))";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mariadb", "postgresql"})
    void metricsAreUpsertedIntoTheTableAndAReplayChangesNothing(String vendor) throws Exception {
        EmbeddedDatabase db =
                (vendor.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute(ddl(vendor));
        }
        BehaviourEvents gen =
                new BehaviourEvents(
                        5, Instant.parse("2024-02-01T00:00:00Z").toEpochMilli(), 250, 0);
        Map<String, double[]> expected = new TreeMap<>();
        try (OutputStream out = Files.newOutputStream(dir.resolve("events.jsonl"))) {
            for (int i = 0; i < EVENTS; i++) {
                byte[] line = gen.line(i);
                out.write(line);
                out.write('\n');
                JsonNode n = JSON.readTree(line);
                long t = Instant.parse(n.get("event_time").asText()).toEpochMilli();
                long end = t - Math.floorMod(t, SIZE) + SIZE;
                double[] a =
                        expected.computeIfAbsent(
                                n.get("tenant_id").asText()
                                        + "/"
                                        + n.get("scenario_id").asText()
                                        + " "
                                        + end,
                                k -> new double[7]);
                a[0]++;
                switch (n.get("action").asText()) {
                    case "impression" -> a[1]++;
                    case "view" -> a[2]++;
                    case "click" -> a[3]++;
                    case "purchase" -> a[4]++;
                    default -> {}
                }
                if (n.has("watch_time_ms")) {
                    a[5] += n.get("watch_time_ms").asLong();
                    a[6]++;
                }
            }
        }
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/routes.yaml"), CONFIG);
        Files.writeString(dir.resolve("job.yaml"), SPEC.replace("URL", db.jdbcUrl()));
        Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));

        run(spec);
        Map<String, Object[]> first = table(db);
        run(spec); // the same events again: every row is written again, by key
        Map<String, Object[]> second = table(db);

        assertThat(first.keySet()).isEqualTo(expected.keySet());
        for (Map.Entry<String, double[]> e : expected.entrySet()) {
            double[] a = e.getValue();
            Object[] row = first.get(e.getKey());
            assertThat(
                            new long[] {
                                (long) row[0],
                                (long) row[1],
                                (long) row[2],
                                (long) row[3],
                                (long) row[4]
                            })
                    .as(e.getKey())
                    .containsExactly(
                            (long) a[0], (long) a[1], (long) a[2], (long) a[3], (long) a[4]);
            boolean acmeVideo = e.getKey().startsWith("acme/video");
            assertRatio(row[5], a[1] > 0 ? a[3] / a[1] : null);
            assertRatio(row[6], !acmeVideo && a[3] > 0 ? a[4] / a[3] : null);
            assertRatio(row[7], !acmeVideo && a[6] > 0 ? a[5] / a[6] : null);
            assertThat(row[8]).isEqualTo(1L);
            assertThat(second.get(e.getKey())).containsExactly(row);
        }
        assertThat(second).hasSameSizeAs(first);
    }

    private static void assertRatio(Object actual, Double expected) {
        if (expected == null) {
            assertThat(actual).isNull();
        } else {
            assertThat((Double) actual).isCloseTo(expected, within(1e-12 * expected));
        }
    }

    private void run(Spec spec) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        env.execute(spec.name());
    }

    /** Rows by "tenant/scenario window_end(ms)": counts, ratios, config version. */
    private static Map<String, Object[]> table(EmbeddedDatabase db) throws Exception {
        Map<String, Object[]> out = new HashMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT tenant, scenario, window_end, events, impressions, views,"
                                        + " clicks, purchases, ctr, cvr, avg_watch_time,"
                                        + " config_version FROM scenario_metrics")) {
            while (rs.next()) {
                long end =
                        rs.getObject(3, LocalDateTime.class)
                                .toInstant(ZoneOffset.UTC)
                                .toEpochMilli();
                Object[] row = new Object[9];
                for (int i = 0; i < 5; i++) {
                    row[i] = rs.getLong(4 + i);
                }
                for (int i = 0; i < 3; i++) {
                    double d = rs.getDouble(9 + i);
                    row[5 + i] = rs.wasNull() ? null : d;
                }
                row[8] = rs.getLong(12);
                out.put(rs.getString(1) + "/" + rs.getString(2) + " " + end, row);
            }
        }
        return out;
    }

    @org.junit.jupiter.api.Test
    void aMissingTableOrKeyColumnStopsTheJobBeforeItStarts() throws Exception {
        EmbeddedDatabase db = EmbeddedDatabases.postgres().fresh();
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/routes.yaml"), CONFIG);
        Files.writeString(dir.resolve("events.jsonl"), "");
        Files.writeString(dir.resolve("job.yaml"), SPEC.replace("URL", db.jdbcUrl()));
        Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
        assertThatThrownBy(() -> run(spec))
                .hasMessageContaining("sink 'metrics-db': table 'scenario_metrics' does not exist");
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute(
                    ddl("postgresql")
                            .replace(
                                    "window_end " + "TIMESTAMP(3) NOT NULL",
                                    "window_finish TIMESTAMP(3) NOT NULL")
                            .replace(
                                    "PRIMARY KEY (tenant, scenario, window_end)",
                                    "PRIMARY KEY (tenant, scenario, window_finish)"));
        }
        assertThatThrownBy(() -> run(spec))
                .hasMessageContaining(
                        "key or soft-delete column(s) [window_end] are not columns of table 'scenario_metrics'")
                .hasMessageContaining("window_finish");
    }
}
