package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.WrongbookEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The business database goes away while the job runs: a MariaDB of the test's own holding the
 * dimension tables and the wide table is stopped with events still coming, and started again.
 * Lookups of users the cache does not have and the wide table's batches are retried meanwhile (the
 * job slows down instead of dropping anything), and at the end the wide table equals a replay of
 * every event, row for row.
 */
class WrongbookDatabaseRestartITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int BATCH = 3_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    @Test
    void nothingIsLostWhileTheDatabaseIsDown() throws Exception {
        WrongbookOnboardingITCase.LINES.clear();
        Path ddl = Path.of("../examples/wrongbook/ddl");
        try (EmbeddedMariaDb db =
                EmbeddedMariaDb.start(
                        0,
                        Path.of(
                                System.getProperty("java.io.tmpdir"),
                                "mariadb-restart-" + ProcessHandle.current().pid()),
                        "wrongbook",
                        "sluice",
                        "sluice")) {
            db.runFile(ddl.resolve("mariadb.sql"));
            db.runFile(ddl.resolve("dimensions.sql"));
            WrongbookEvents gen =
                    new WrongbookEvents(
                            17, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 3 * BATCH; i++) {
                lines.add(new String(gen.line(i), StandardCharsets.UTF_8));
            }

            String specText =
                    WrongbookEnrichITCase.spec(
                            db.jdbcUrl(), "key: [wrong_id]", "missing: \"null\"");
            Files.createDirectories(dir.resolve("config"));
            Files.writeString(dir.resolve("config/routes.yaml"), WrongbookEnrichITCase.routes());
            Files.writeString(dir.resolve("job.yaml"), specText);
            Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
            RunContext run = new RunContext(dir, dir.resolve("out"));
            new JobComposer(
                            PluginRegistry.load(),
                            run,
                            new WrongbookOnboardingITCase.Gated(
                                    JobComposer.plugins(PluginRegistry.load(), run)))
                    .compose(spec, env);
            JobClient job = env.executeAsync("database-restart");
            try {
                WrongbookOnboardingITCase.LINES.addAll(lines.subList(0, BATCH));
                Map<String, List<Object>> first = replay(lines.subList(0, BATCH));
                await().atMost(Duration.ofSeconds(60)).until(() -> table(db).equals(first));

                // down, with events coming: the job takes some of them while it cannot write
                db.stop();
                WrongbookOnboardingITCase.LINES.addAll(lines.subList(BATCH, 2 * BATCH));
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> WrongbookOnboardingITCase.LINES.size() < BATCH - 200);
                db.restart();
                WrongbookOnboardingITCase.LINES.addAll(lines.subList(2 * BATCH, 3 * BATCH));

                Map<String, List<Object>> all = replay(lines);
                await().atMost(Duration.ofSeconds(120))
                        .untilAsserted(
                                () ->
                                        assertThat(table(db))
                                                .containsExactlyInAnyOrderEntriesOf(all));
            } finally {
                if (job.getJobStatus().get().isGloballyTerminalState()) {
                    job.getJobExecutionResult().get(); // throws with why the job failed
                }
                job.cancel().get();
                // until it has stopped: it must not write into the temporary folder while JUnit
                // deletes it
                org.apache.flink.core.execution.JobClient stoppingJob = job;
                org.awaitility.Awaitility.await()
                        .atMost(java.time.Duration.ofSeconds(60))
                        .until(() -> stoppingJob.getJobStatus().get().isGloballyTerminalState());
            }
        }
    }

    private static Map<String, List<Object>> table(EmbeddedMariaDb db) throws Exception {
        try (Connection c = db.connect()) {
            return WrongbookEnrichITCase.table(c);
        }
    }

    /** The wide table after {@code lines}, every dimension row present. */
    static Map<String, List<Object>> replay(List<String> lines) throws Exception {
        Map<String, List<Object>> expected = new TreeMap<>();
        for (String line : lines) {
            JsonNode e = JSON.readTree(line);
            JsonNode p = e.get("payload");
            String id = p.get("wrong_id").asText();
            switch (e.get("event_type").asText()) {
                case "wrongbook_add", "wrongbook_fix" -> {
                    List<Object> row = new ArrayList<>();
                    row.add(p.get("answer").asText());
                    row.add(p.get("result").asText());
                    row.add(e.get("event_type").asText());
                    row.addAll(
                            WrongbookEnrichITCase.dimensionValues(
                                    p.get("question_id").asText(),
                                    p.get("user_id").asText(),
                                    true,
                                    Map.of()));
                    expected.put(id, row);
                }
                case "wrongbook_delete" -> expected.remove(id);
                default -> {}
            }
        }
        return expected;
    }
}
