package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.RunSummary;
import io.sluice.runtime.source.WrongbookDimensions;
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
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rows the database refuses for good: a wide table whose {@code answer} column must not be 'D' (a
 * CHECK constraint) and whose {@code subject_name} takes 8 characters (so "chemistry" and
 * "geography" are too long). Every other row lands — the table equals a replay in which exactly
 * those upserts never happen — and each refused row is a dead letter with reason {@code
 * sink-rejected}, its SQL state, the column at fault where the database names it, and the record.
 */
class WideTableRejectsITCase {
    static final int EVENTS = 3_000;
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    static final String WIDE =
            "CREATE TABLE wrongbook_wide (wrong_id VARCHAR(48) PRIMARY KEY, tenant_id VARCHAR(32),"
                    + " user_id VARCHAR(16), question_id VARCHAR(16), answer VARCHAR(8) CHECK"
                    + " (answer <> 'D'), result VARCHAR(16), review_result VARCHAR(16), created_at"
                    + " TIMESTAMP_TYPE, last_event VARCHAR(32), subject_id VARCHAR(16),"
                    + " subject_name VARCHAR(8), chapter VARCHAR(32), knowledge_point VARCHAR(64),"
                    + " difficulty INT, grade INT, school VARCHAR(64), config_version BIGINT)";

    private static List<String> lines() {
        WrongbookEvents gen =
                new WrongbookEvents(
                        31, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            lines.add(new String(gen.line(i), StandardCharsets.UTF_8));
        }
        return lines;
    }

    /** Why the table refuses this upsert (null: it takes it), from the two rules above. */
    static String refusal(JsonNode event) {
        JsonNode p = event.get("payload");
        String subject =
                WrongbookDimensions.subjectName(
                        WrongbookDimensions.subjectOf(
                                Integer.parseInt(p.get("question_id").asText().substring(2))));
        // a value too long is found while converting values, before constraints are checked
        if (subject.length() > 8) {
            return "subject_name";
        }
        return p.get("answer").asText().equals("D") ? "answer" : null;
    }

    private Spec spec(EmbeddedDatabase db, String vendor) throws Exception {
        WideTableSchemaITCase.dimensions(
                db,
                vendor,
                WIDE.replace(
                        "TIMESTAMP_TYPE",
                        vendor.equals("mariadb") ? "DATETIME(3)" : "TIMESTAMP(3)"));
        Files.write(dir.resolve("events.jsonl"), lines());
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/routes.yaml"), WrongbookEnrichITCase.routes());
        Files.writeString(
                dir.resolve("job.yaml"),
                WrongbookEnrichITCase.spec(db.jdbcUrl(), "key: [wrong_id]", "missing: \"null\""));
        return new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
    }

    private RunSummary run(Spec spec) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        JobExecutionResult result = env.execute(spec.name());
        return RunSummary.from(
                spec.name(), "", Duration.ZERO, result.getAllAccumulatorResults(), null);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mariadb", "postgresql"})
    void refusedRowsAreDeadLettersWithTheirSqlStateAndTheOthersLand(String vendor)
            throws Exception {
        EmbeddedDatabase db =
                (vendor.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        RunSummary summary = run(spec(db, vendor));

        // the reference: the replay without the upserts the table refuses
        Map<String, List<Object>> expected = new TreeMap<>();
        List<String> refused = new ArrayList<>(); // "wrong_id event_type answer column"
        for (String line : lines()) {
            JsonNode e = JSON.readTree(line);
            JsonNode p = e.get("payload");
            String id = p.get("wrong_id").asText();
            switch (e.get("event_type").asText()) {
                case "wrongbook_add", "wrongbook_fix" -> {
                    String why = refusal(e);
                    if (why != null) {
                        refused.add(
                                id
                                        + " "
                                        + e.get("event_type").asText()
                                        + " "
                                        + p.get("answer")
                                        + " "
                                        + why);
                    } else {
                        expected.put(
                                id, WrongbookDatabaseRestartITCase.replay(List.of(line)).get(id));
                    }
                }
                case "wrongbook_delete" -> expected.remove(id);
                default -> {}
            }
        }
        assertThat(refused).hasSizeGreaterThan(100);
        assertThat(refused).anyMatch(r -> r.endsWith(" answer"));
        assertThat(refused).anyMatch(r -> r.endsWith(" subject_name"));
        try (Connection c = db.connect()) {
            assertThat(WrongbookEnrichITCase.table(c)).isEqualTo(expected);
        }

        List<String> dead = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        for (String d : WrongbookEnrichITCase.outputLines(dir.resolve("out/dead-letters"))) {
            JsonNode j = JSON.readTree(d);
            assertThat(j.get("reason").asText()).isEqualTo("sink-rejected");
            assertThat(j.get("step").asText()).isEqualTo("sink.wide");
            assertThat(j.get("position").asText()).matches(".*job.yaml:\\d+");
            JsonNode row = JSON.readTree(j.get("payload").asText());
            String key =
                    row.get("wrong_id").asText()
                            + " "
                            + row.get("last_event").asText()
                            + " "
                            + row.get("answer");
            String message = j.get("message").asText();
            assertThat(message).as(key).contains("table 'wrongbook_wide' refused the row");
            // a constraint is SQL state class 23, a value too long 22001
            String state = message.replaceAll("(?s).*SQL state (\\w+).*", "$1");
            String why = state.startsWith("23") ? "answer" : "subject_name";
            assertThat(state).as(message).isIn("23000", "23514", "22001");
            dead.add(key + " " + why);
            // the column at fault, where the database's message names it
            if (!j.get("field").isNull()) {
                assertThat(j.get("field").asText()).as(message).isEqualTo(why);
                fields.add(why);
            }
        }
        assertThat(dead).containsExactlyInAnyOrderElementsOf(refused);
        // counted apart: accepted rows, copied to dead letters; the balance still holds
        assertThat(summary.sinkRejected()).isEqualTo(refused.size());
        assertThat(summary.rejected()).isZero();
        assertThat(summary.balanced()).isTrue();
        assertThat(summary.rowsIn()).isEqualTo(EVENTS);
        if (vendor.equals("mariadb")) {
            assertThat(fields).contains("subject_name");
        }
    }
}
