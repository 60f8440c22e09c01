package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.runtime.source.WrongbookEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Onboarding an event type by config: with the job running, a new version of the routes adds a
 * route for {@code wrongbook_review}; review events then reach the wide table, while those sent
 * before stayed unrouted; no restart, no code. The table is compared with a replay of the events
 * that the routes in force took.
 */
class WrongbookOnboardingITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final BlockingQueue<String> LINES = new LinkedBlockingQueue<>();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    static final String REVIEWS =
            """
              - id: reviews
                event-types: [wrongbook_review]
                fields:
                  - {name: wrong_id, type: string}
                  - {name: user_id, type: string}
                  - {name: question_id, type: string}
                  - {name: review_result, type: string}
                processor: project
                params:
                  fields: [wrong_id, tenant_id, user_id, question_id, review_result, event_type]
                  rename: {event_type: last_event}
                outputs: [wide]
            """;

    /** Lines handed over by the test, one at a time, without end. */
    static final class Gated implements JobComposer.Connectors {
        private final JobComposer.Connectors plugins;

        Gated(JobComposer.Connectors plugins) {
            this.plugins = plugins;
        }

        @Override
        public DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec spec) {
            DataGeneratorSource<EventRow> source =
                    new DataGeneratorSource<>(
                            i ->
                                    new EventRow(
                                            new Object[0],
                                            LINES.take().getBytes(StandardCharsets.UTF_8),
                                            "events:" + i,
                                            0L),
                            Long.MAX_VALUE,
                            RateLimiterStrategy.noOp(),
                            new EventRowTypeInfo(new RowSchema(List.of())));
            return env.fromSource(source, WatermarkStrategy.noWatermarks(), "gated")
                    .setParallelism(1);
        }

        @Override
        public List<String> csvHeader(SourceSpec spec) {
            return null;
        }

        @Override
        public boolean bounded(SourceSpec spec) {
            return false;
        }

        @Override
        public Sink<SinkRecord> sink(Spec job, SinkSpec spec) {
            return plugins.sink(job, spec);
        }

        @Override
        public List<String> keyFields(SinkSpec spec) {
            return plugins.keyFields(spec);
        }

        @Override
        public boolean partitionedByKey(SinkSpec spec) {
            return plugins.partitionedByKey(spec);
        }
    }

    @Test
    void aRouteAddedWhileTheJobRunsOnboardsANewEventType() throws Exception {
        LINES.clear();
        EmbeddedDatabase db = EmbeddedDatabases.mariadb().fresh();
        String ddl = Files.readString(Path.of("../examples/wrongbook/ddl/mariadb.sql"));
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            for (String sql : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank()) {
                    st.execute(sql);
                }
            }
        }
        String uri = dir.resolve("config").toString();
        String specText =
                WrongbookWideTableITCase.SPEC
                        .replace("URL", db.jdbcUrl())
                        .replace("store: config", "store: " + uri)
                        .replace("parallelism: 2", "parallelism: 1");
        Spec spec = new SpecLoader(PluginRegistry.load(), n -> null).load("job.yaml", specText);
        RouteCatalog catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        RoutesLoader loader = new RoutesLoader(PluginRegistry.load());
        JobClient job;
        try (ConfigStore store =
                ConfigStores.open(
                        StoreLocation.parse(uri), (f, t) -> loader.validate(f, t, catalog))) {
            store.commit(WrongbookWideTableITCase.ROUTES, 0, "test", "adds, fixes, deletes");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
            RunContext run = new RunContext(dir, dir.resolve("out"));
            new JobComposer(
                            PluginRegistry.load(),
                            run,
                            new Gated(JobComposer.plugins(PluginRegistry.load(), run)))
                    .compose(spec, env);
            job = env.executeAsync("onboarding");

            WrongbookEvents gen =
                    new WrongbookEvents(
                            8, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
            Map<String, String> expectedReview = new HashMap<>();
            // phase 1: reviews are not routed yet
            int i = 0;
            for (; i < 400; i++) {
                LINES.add(new String(gen.line(i), StandardCharsets.UTF_8));
            }
            String lastAdd = lastOfType(gen, 0, 400, "wrongbook_add");
            await().atMost(Duration.ofSeconds(60)).until(() -> rowExists(db, lastAdd));
            assertThat(reviewedRows(db)).isEmpty();

            // the new event type's route, as a new version of the config
            long committed = System.nanoTime();
            store.commit(WrongbookWideTableITCase.ROUTES + REVIEWS, 1, "test", "onboard reviews");
            // phase 2: review events until the first one is in the table
            String firstSeen = null;
            while (firstSeen == null) {
                String line = new String(gen.line(i++), StandardCharsets.UTF_8);
                LINES.add(line);
                JsonNode e = JSON.readTree(line);
                if (e.get("event_type").asText().equals("wrongbook_review")) {
                    String id = e.get("payload").get("wrong_id").asText();
                    try {
                        await().atMost(Duration.ofMillis(500)).until(() -> rowReviewed(db, id));
                        firstSeen = id;
                    } catch (org.awaitility.core.ConditionTimeoutException notYet) {
                        assertThat(Duration.ofNanos(System.nanoTime() - committed))
                                .isLessThan(Duration.ofSeconds(30));
                    }
                }
            }
            System.out.printf(
                    "first onboarded review in the table %d ms after the commit%n",
                    (System.nanoTime() - committed) / 1_000_000);
            // every review from now on is routed: the table has each one's result
            int from = i;
            for (; i < from + 600; i++) {
                String line = new String(gen.line(i), StandardCharsets.UTF_8);
                LINES.add(line);
                JsonNode e = JSON.readTree(line);
                JsonNode p = e.get("payload");
                String id = p.get("wrong_id").asText();
                switch (e.get("event_type").asText()) {
                    case "wrongbook_review" ->
                            expectedReview.put(id, p.get("review_result").asText());
                    case "wrongbook_delete" -> expectedReview.remove(id);
                    default -> {
                        // an add or fix keeps the row's review result
                    }
                }
            }
            assertThat(expectedReview).hasSizeGreaterThan(20);
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () -> {
                                Map<String, String> reviewed = reviewedRows(db);
                                for (Map.Entry<String, String> e : expectedReview.entrySet()) {
                                    assertThat(reviewed).containsEntry(e.getKey(), e.getValue());
                                }
                            });
            job.cancel().get();
            // until it has stopped: it must not write into the temporary folder while JUnit
            // deletes it
            org.apache.flink.core.execution.JobClient stoppingJob = job;
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> stoppingJob.getJobStatus().get().isGloballyTerminalState());
        }
    }

    private static String lastOfType(WrongbookEvents gen, int from, int to, String type)
            throws Exception {
        String id = null;
        for (int i = from; i < to; i++) {
            JsonNode e = JSON.readTree(gen.line(i));
            if (e.get("event_type").asText().equals(type)) {
                id = e.get("payload").get("wrong_id").asText();
            }
        }
        return id;
    }

    private static boolean rowExists(EmbeddedDatabase db, String id) throws Exception {
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT 1 FROM wrongbook_wide WHERE wrong_id = '" + id + "'")) {
            return rs.next();
        }
    }

    private static boolean rowReviewed(EmbeddedDatabase db, String id) throws Exception {
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT review_result FROM wrongbook_wide WHERE wrong_id = '"
                                        + id
                                        + "'")) {
            return rs.next() && rs.getString(1) != null;
        }
    }

    private static Map<String, String> reviewedRows(EmbeddedDatabase db) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT wrong_id, review_result FROM wrongbook_wide WHERE"
                                        + " review_result IS NOT NULL")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }
}
