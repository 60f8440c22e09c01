package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
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
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wrong-answer book's events routed by type into its wide table on a real MariaDB and
 * PostgreSQL, with the example's own DDL: adds and fixes upsert a row by {@code wrong_id}, deletes
 * remove it, and the final table equals a replay of the events in order, row for row; the event
 * type no route takes yet goes to the unrouted output.
 */
class WrongbookWideTableITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int EVENTS = 8_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    static final String SPEC =
            """
            name: wrongbook-wide
            runtime: {parallelism: 2}
            sources:
              - id: events
                type: file
                path: events.jsonl
                format: json
                fields:
                  - {name: event_id, type: string}
                  - {name: event_type, type: string}
                  - {name: domain, type: string}
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: payload, type: json}
                event-time: {field: event_time, max-out-of-orderness: 5s}
            sinks:
              - id: wide
                type: jdbc
                url: "URL"
                user: sluice
                password: sluice
                table: wrongbook_wide
                key: [wrong_id]
                delete-when: {field: last_event, equals: [wrongbook_delete]}
              - {id: unrouted, type: file}
              - {id: dead-letters, type: file}
            pipelines:
              - id: wrongbook
                source: events
                dead-letters: dead-letters
                routes:
                  store: config
                  outputs: [wide]
                  unrouted: unrouted
            """;

    static final String ROUTES =
            """
            routes:
              - id: answers
                event-types: [wrongbook_add, wrongbook_fix]
                fields:
                  - {name: wrong_id, type: string}
                  - {name: user_id, type: string}
                  - {name: question_id, type: string}
                  - {name: answer, type: string}
                  - {name: result, type: string}
                  - {name: created_at, type: timestamp}
                processor: project
                params:
                  fields: [wrong_id, tenant_id, user_id, question_id, answer, result, created_at, event_type]
                  rename: {event_type: last_event}
                outputs: [wide]
              - id: deletes
                event-types: [wrongbook_delete]
                fields: [{name: wrong_id, type: string}]
                processor: project
                params:
                  fields: [wrong_id, event_type]
                  rename: {event_type: last_event}
                outputs: [wide]
            """;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mariadb", "postgresql"})
    void addsAndFixesUpsertDeletesRemoveAndTheTableEqualsAReplay(String vendor) throws Exception {
        EmbeddedDatabase db =
                (vendor.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        String ddl = Files.readString(Path.of("../examples/wrongbook/ddl/" + vendor + ".sql"));
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            for (String sql : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank()) {
                    st.execute(sql);
                }
            }
        }
        WrongbookEvents gen =
                new WrongbookEvents(
                        3, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
        Map<String, Map<String, Object>> expected = new TreeMap<>();
        long reviews = 0;
        try (OutputStream out = Files.newOutputStream(dir.resolve("events.jsonl"))) {
            for (int i = 0; i < EVENTS; i++) {
                byte[] line = gen.line(i);
                out.write(line);
                out.write('\n');
                JsonNode e = JSON.readTree(line);
                JsonNode p = e.get("payload");
                String type = e.get("event_type").asText();
                String id = p.get("wrong_id").asText();
                switch (type) {
                    case "wrongbook_add", "wrongbook_fix" -> {
                        Map<String, Object> row =
                                expected.computeIfAbsent(id, k -> new LinkedHashMap<>());
                        row.put("tenant_id", e.get("tenant_id").asText());
                        row.put("user_id", p.get("user_id").asText());
                        row.put("question_id", p.get("question_id").asText());
                        row.put("answer", p.get("answer").asText());
                        row.put("result", p.get("result").asText());
                        row.put(
                                "created_at",
                                Instant.parse(p.get("created_at").asText()).toEpochMilli());
                        row.put("last_event", type);
                    }
                    case "wrongbook_delete" -> expected.remove(id);
                    default -> reviews++;
                }
            }
        }
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/routes.yaml"), ROUTES);
        Files.writeString(dir.resolve("job.yaml"), SPEC.replace("URL", db.jdbcUrl()));
        Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        env.execute(spec.name());

        Map<String, Map<String, Object>> actual = new TreeMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT wrong_id, tenant_id, user_id, question_id, answer, result,"
                                        + " created_at, last_event, config_version FROM"
                                        + " wrongbook_wide")) {
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("tenant_id", rs.getString(2));
                row.put("user_id", rs.getString(3));
                row.put("question_id", rs.getString(4));
                row.put("answer", rs.getString(5));
                row.put("result", rs.getString(6));
                row.put(
                        "created_at",
                        rs.getObject(7, LocalDateTime.class)
                                .toInstant(ZoneOffset.UTC)
                                .toEpochMilli());
                row.put("last_event", rs.getString(8));
                assertThat(rs.getLong(9)).isEqualTo(1L);
                actual.put(rs.getString(1), row);
            }
        }
        assertThat(expected).hasSizeGreaterThan(1_000);
        assertThat(actual).isEqualTo(expected);
        List<String> unrouted;
        try (var files = Files.walk(dir.resolve("out/unrouted"))) {
            unrouted =
                    files.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .flatMap(
                                    f -> {
                                        try {
                                            return Files.readAllLines(f).stream();
                                        } catch (java.io.IOException ex) {
                                            throw new java.io.UncheckedIOException(ex);
                                        }
                                    })
                            .toList();
        }
        assertThat(unrouted).hasSize((int) reviews);
        assertThat(unrouted).allMatch(l -> l.contains("\"event_type\":\"wrongbook_review\""));
    }
}
