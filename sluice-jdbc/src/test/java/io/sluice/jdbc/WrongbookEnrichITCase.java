package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.WrongbookDimensions;
import io.sluice.runtime.source.WrongbookEvents;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The wrong-answer book's events enriched from its dimension tables on a real MariaDB and
 * PostgreSQL — questions and subjects broadcast, users looked up through the cache — and upserted
 * into the wide table: every row equals a replay of the events in order with the dimension values
 * computed from the ids (not read back through Sluice). Questions missing from the table leave
 * their fields null; events of users missing from it go to dead letters, naming the dimension, and
 * never reach the table. Keyed by wrong_id and without a key.
 */
class WrongbookEnrichITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int EVENTS = 6_000;

    /** Questions and users above these are deleted from the dimension tables before the run. */
    static final int QUESTIONS_KEPT = 2_900;

    static final int USERS_KEPT = 1_900;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    /** The enrich step, inserted before the routes of {@link WrongbookWideTableITCase#SPEC}. */
    static final String ENRICH =
            """
                steps:
                  - id: enrich
                    processor: enrich
                    KEY
                    dimensions:
                      - id: question
                        url: "URL"
                        user: sluice
                        password: sluice
                        table: question
                        key: question_id
                        on: question_id
                        updated-column: updated_at
                        MISSING
                        fields:
                          - {name: subject_id}
                          - {name: chapter}
                          - {name: knowledge_point}
                          - {name: difficulty, type: long}
                      - id: subject
                        url: "URL"
                        user: sluice
                        password: sluice
                        table: subject
                        key: subject_id
                        on: subject_id
                        updated-column: updated_at
                        poll-interval: 200ms
                        fields: [{name: subject_name, column: name}]
                      - id: user
                        url: "URL"
                        user: sluice
                        password: sluice
                        table: app_user
                        key: user_id
                        on: user_id
                        mode: lookup
                        cache-size: 500
                        missing: dead-letter
                        fields:
                          - {name: grade, type: long}
                          - {name: school}
            """;

    static final String ENRICHED_FIELDS =
            "subject_id, subject_name, chapter, knowledge_point, difficulty, grade, school";

    static String spec(String url, String key, String questionMissing) {
        return WrongbookWideTableITCase.SPEC
                .replace(
                        "    routes:\n",
                        ENRICH.replace("KEY", key).replace("MISSING", questionMissing)
                                + "    routes:\n")
                .replace("URL", url);
    }

    static String routes() {
        return WrongbookWideTableITCase.ROUTES.replace(
                "fields: [wrong_id, tenant_id, user_id, question_id, answer, result, created_at,"
                        + " event_type]",
                "fields: [wrong_id, tenant_id, user_id, question_id, answer, result, created_at,"
                        + " event_type, "
                        + ENRICHED_FIELDS
                        + "]");
    }

    static void createTables(EmbeddedDatabase db, String vendor) throws Exception {
        String ddl = Files.readString(Path.of("../examples/wrongbook/ddl/" + vendor + ".sql"));
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            for (String sql : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank()) {
                    st.execute(sql);
                }
            }
            for (String sql : WrongbookDimensions.inserts()) {
                st.execute(sql);
            }
        }
    }

    /**
     * The dimension values of a question and user as the generator defines them; a question not
     * kept has none, and its subject's name is {@code names}' when it has one.
     */
    static List<Object> dimensionValues(
            String questionId, String userId, boolean questionKept, Map<String, String> names) {
        int q = Integer.parseInt(questionId.substring(2));
        int u = Integer.parseInt(userId.substring(2));
        List<Object> v = new ArrayList<>();
        if (questionKept) {
            String subject = WrongbookDimensions.subjectOf(q);
            v.addAll(
                    Arrays.asList(
                            subject,
                            names.getOrDefault(subject, WrongbookDimensions.subjectName(subject)),
                            WrongbookDimensions.chapterOf(q),
                            WrongbookDimensions.knowledgePointOf(q),
                            (long) WrongbookDimensions.difficultyOf(q)));
        } else {
            v.addAll(Arrays.asList(null, null, null, null, null));
        }
        v.add((long) WrongbookDimensions.gradeOf(u));
        v.add(WrongbookDimensions.schoolOf(u));
        return v;
    }

    /** The wide table: wrong_id → answer, result, last_event, then the enriched columns. */
    static Map<String, List<Object>> table(EmbeddedDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            return table(c);
        }
    }

    static Map<String, List<Object>> table(Connection c) throws Exception {
        Map<String, List<Object>> actual = new TreeMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT wrong_id, answer, result, last_event, "
                                        + ENRICHED_FIELDS
                                        + " FROM wrongbook_wide")) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 2; i <= 11; i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof Number n ? (Object) n.longValue() : v);
                }
                actual.put(rs.getString(1), row);
            }
        }
        return actual;
    }

    /** Every line the file sink wrote under {@code dir}. */
    static List<String> outputLines(Path dir) throws java.io.IOException {
        List<String> lines = new ArrayList<>();
        try (var files = Files.walk(dir)) {
            for (Path f :
                    files.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .toList()) {
                lines.addAll(Files.readAllLines(f));
            }
        }
        return lines;
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource(
            delimiter = '|',
            value = {"mariadb|key: [wrong_id]", "postgresql|key: [wrong_id]", "mariadb|key: []"})
    void enrichedRowsEqualTheReplayAndMissingRowsFollowTheirPolicy(String vendor, String key)
            throws Exception {
        EmbeddedDatabase db =
                (vendor.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        createTables(db, vendor);
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute(
                    "DELETE FROM question WHERE CAST(SUBSTRING(question_id, 3) AS INT) > "
                                    .replace(
                                            "AS INT",
                                            vendor.equals("mariadb") ? "AS SIGNED" : "AS INT")
                            + QUESTIONS_KEPT);
            st.execute(
                    "DELETE FROM app_user WHERE CAST(SUBSTRING(user_id, 3) AS INT) > "
                                    .replace(
                                            "AS INT",
                                            vendor.equals("mariadb") ? "AS SIGNED" : "AS INT")
                            + USERS_KEPT);
        }
        WrongbookEvents gen =
                new WrongbookEvents(
                        5, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
        Map<String, List<Object>> expected = new TreeMap<>();
        long missingUsers = 0;
        long missingQuestions = 0;
        try (OutputStream out = Files.newOutputStream(dir.resolve("events.jsonl"))) {
            for (int i = 0; i < EVENTS; i++) {
                byte[] line = gen.line(i);
                out.write(line);
                out.write('\n');
                JsonNode e = JSON.readTree(line);
                JsonNode p = e.get("payload");
                String type = e.get("event_type").asText();
                String id = p.get("wrong_id").asText();
                String user = p.get("user_id").asText();
                String question = p.get("question_id").asText();
                if (Integer.parseInt(user.substring(2)) > USERS_KEPT) {
                    missingUsers++;
                    continue;
                }
                switch (type) {
                    case "wrongbook_add", "wrongbook_fix" -> {
                        if (Integer.parseInt(question.substring(2)) > QUESTIONS_KEPT) {
                            missingQuestions++;
                        }
                        List<Object> row = new ArrayList<>();
                        row.add(p.get("answer").asText());
                        row.add(p.get("result").asText());
                        row.add(type);
                        row.addAll(
                                dimensionValues(
                                        question,
                                        user,
                                        Integer.parseInt(question.substring(2)) <= QUESTIONS_KEPT,
                                        Map.of()));
                        expected.put(id, row);
                    }
                    case "wrongbook_delete" -> expected.remove(id);
                    default -> {}
                }
            }
        }
        assertThat(missingUsers).as("events of users not in the table").isGreaterThan(50);
        assertThat(missingQuestions).as("events of questions not in the table").isGreaterThan(20);
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/routes.yaml"), routes());
        Files.writeString(dir.resolve("job.yaml"), spec(db.jdbcUrl(), key, "missing: \"null\""));
        Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        env.execute(spec.name());

        Map<String, List<Object>> actual = table(db);
        assertThat(actual).hasSameSizeAs(expected);
        assertThat(actual).isEqualTo(expected);

        List<String> dead = outputLines(dir.resolve("out/dead-letters"));
        assertThat(dead).hasSize((int) missingUsers);
        for (String d : dead) {
            JsonNode n = JSON.readTree(d);
            assertThat(n.get("reason").asText()).isEqualTo("missing-dimension");
            assertThat(n.get("message").asText()).startsWith("dimension 'user' (app_user.user_id");
            assertThat(n.get("step").asText()).isEqualTo("wrongbook.enrich");
            JsonNode original = JSON.readTree(n.get("payload").asText());
            int u = Integer.parseInt(original.get("payload").get("user_id").asText().substring(2));
            assertThat(u).isGreaterThan(USERS_KEPT);
        }
    }
}
