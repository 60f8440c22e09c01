package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dimension rows changing while the job runs, on a real MariaDB. A question missing from its
 * (broadcast) table holds its events, and the later events of their wrong_id behind them, until the
 * row is inserted; a question that never comes lets its events go after the wait, with null fields
 * and one alert each; a subject renamed in the table reaches the tasks within seconds, and events
 * after that carry the new name. The wide table equals a replay of the events under the dimension
 * rows in force, row for row.
 */
class WrongbookDimensionsLiveITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int BATCH = 2_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    /** Replaces the line holding {@code mark} with {@code lines}, at its indentation. */
    static String atLine(String text, String mark, String... lines) {
        int at = text.indexOf(mark);
        int start = text.lastIndexOf('\n', at) + 1;
        String indent = text.substring(start, at);
        return text.replace(mark, String.join("\n" + indent, lines));
    }

    @Test
    void heldEventsWaitForTheirRowAndRenamedSubjectsReachLaterEvents() throws Exception {
        WrongbookOnboardingITCase.LINES.clear();
        EmbeddedDatabase db = EmbeddedDatabases.mariadb().fresh();
        WrongbookEnrichITCase.createTables(db, "mariadb");

        WrongbookEvents gen =
                new WrongbookEvents(
                        11, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 2 * BATCH; i++) {
            lines.add(new String(gen.line(i), StandardCharsets.UTF_8));
        }
        String held = null;
        String never = null;
        for (int i = 0; i < BATCH && never == null; i++) {
            String q = JSON.readTree(lines.get(i)).get("payload").get("question_id").asText();
            if (held == null) {
                held = q;
            } else if (!q.equals(held)) {
                never = q;
            }
        }
        String heldQ = held;
        String neverQ = never;
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute(
                    "DELETE FROM question WHERE question_id IN ('"
                            + heldQ
                            + "', '"
                            + neverQ
                            + "')");
        }

        String specText =
                WrongbookEnrichITCase.spec(db.jdbcUrl(), "KEY", "MISSING")
                        .replace(
                                "  - {id: unrouted, type: file}",
                                "  - {id: unrouted, type: file}\n  - {id: alerts, type: file}\n"
                                        + "  - {id: metrics, type: file}")
                        .replace("outputs: [wide]", "outputs: [wide, metrics]");
        specText = atLine(specText, "KEY", "key: [wrong_id]", "retry: 200ms", "alerts: alerts");
        specText = atLine(specText, "MISSING", "missing: wait", "wait: 30s");
        Files.createDirectories(dir.resolve("config"));
        // a windowed route too: events let go after waiting must still carry their event time
        Files.writeString(
                dir.resolve("config/routes.yaml"),
                WrongbookEnrichITCase.routes()
                        + """
                          - id: per-type
                            event-types: [wrongbook_add, wrongbook_fix, wrongbook_delete]
                            key: [event_type]
                            processor: window-aggregate
                            params:
                              window: {type: tumbling, size: 1m}
                              aggregates: [{name: events, fn: count}]
                            outputs: [metrics]
                        """);
        Files.writeString(dir.resolve("job.yaml"), specText);
        Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        // no checkpoints: the gated source blocks its task while it waits for lines, so its
        // barriers would never come and hold the dimension changes back at the aligned barrier
        RunContext run = new RunContext(dir, dir.resolve("out"));
        new JobComposer(
                        PluginRegistry.load(),
                        run,
                        new WrongbookOnboardingITCase.Gated(
                                JobComposer.plugins(PluginRegistry.load(), run)))
                .compose(spec, env);
        JobClient job = env.executeAsync("dimensions-live");
        try {
            // batch 1: everything but the two missing questions' rows lands
            WrongbookOnboardingITCase.LINES.addAll(lines.subList(0, BATCH));
            Predicate<String> waiting =
                    id ->
                            id.endsWith("-" + heldQ.substring(2))
                                    || id.endsWith("-" + neverQ.substring(2));
            Map<String, List<Object>> batch1 = replay(lines.subList(0, BATCH), q -> true);
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () ->
                                    assertThat(without(WrongbookEnrichITCase.table(db), waiting))
                                            .containsExactlyInAnyOrderEntriesOf(
                                                    without(batch1, waiting)));
            assertThat(WrongbookEnrichITCase.table(db).keySet()).noneMatch(waiting);

            // the held question's row arrives: its events go on, in order, enriched
            try (Connection c = db.connect();
                    Statement st = c.createStatement()) {
                int q = Integer.parseInt(heldQ.substring(2));
                st.execute(
                        "INSERT INTO question (question_id, subject_id, chapter, knowledge_point,"
                                + " difficulty) VALUES ('"
                                + heldQ
                                + "', '"
                                + WrongbookDimensions.subjectOf(q)
                                + "', '"
                                + WrongbookDimensions.chapterOf(q)
                                + "', '"
                                + WrongbookDimensions.knowledgePointOf(q)
                                + "', "
                                + WrongbookDimensions.difficultyOf(q)
                                + ")");
            }
            Predicate<String> ofNever = id -> id.endsWith("-" + neverQ.substring(2));
            await().atMost(Duration.ofSeconds(12))
                    .untilAsserted(
                            () ->
                                    assertThat(without(WrongbookEnrichITCase.table(db), ofNever))
                                            .containsExactlyInAnyOrderEntriesOf(
                                                    without(batch1, ofNever)));

            // the other never comes: after the wait its events go on with nulls and alerts
            Map<String, List<Object>> gaveUp =
                    replay(lines.subList(0, BATCH), q -> !q.equals(neverQ));
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () ->
                                    assertThat(WrongbookEnrichITCase.table(db))
                                            .containsExactlyInAnyOrderEntriesOf(gaveUp));
            long neverEvents =
                    lines.subList(0, BATCH).stream()
                            .filter(l -> l.contains("\"" + neverQ + "\""))
                            .count();
            assertThat(neverEvents).isPositive();
            await().atMost(Duration.ofSeconds(10)).until(() -> alerts().size() == neverEvents);
            for (String a : alerts()) {
                JsonNode n = JSON.readTree(a);
                assertThat(n.get("alert").asText()).isEqualTo("dimension-row-missing");
                assertThat(n.get("dimension").asText()).isEqualTo("question");
                assertThat(n.get("dimension_key").asText()).isEqualTo(neverQ);
                assertThat(n.get("waited_ms").asLong()).isGreaterThanOrEqualTo(30_000);
            }

            // a subject renamed while the job runs: probes show when the tasks have it
            try (Connection c = db.connect();
                    Statement st = c.createStatement()) {
                st.execute("UPDATE subject SET name = 'mathematics' WHERE subject_id = 's-1'");
                st.execute(
                        "INSERT INTO question (question_id, subject_id, chapter, knowledge_point,"
                                + " difficulty) VALUES ('"
                                + neverQ
                                + "', '"
                                + WrongbookDimensions.subjectOf(
                                        Integer.parseInt(neverQ.substring(2)))
                                + "', '"
                                + WrongbookDimensions.chapterOf(
                                        Integer.parseInt(neverQ.substring(2)))
                                + "', '"
                                + WrongbookDimensions.knowledgePointOf(
                                        Integer.parseInt(neverQ.substring(2)))
                                + "', "
                                + WrongbookDimensions.difficultyOf(
                                        Integer.parseInt(neverQ.substring(2)))
                                + ")");
            }
            int[] probe = {0};
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(300))
                    .until(
                            () -> {
                                WrongbookOnboardingITCase.LINES.add(probe(probe[0]++));
                                return WrongbookEnrichITCase.table(db).values().stream()
                                        .anyMatch(r -> "mathematics".equals(r.get(4)));
                            });

            // batch 2: every event after the rename carries the new name
            WrongbookOnboardingITCase.LINES.addAll(lines.subList(BATCH, 2 * BATCH));
            Map<String, List<Object>> all =
                    replay(lines, q -> true, Map.of("s-1", "mathematics"), BATCH, neverQ);
            Predicate<String> probes = id -> id.startsWith("w-probe-");
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () ->
                                    assertThat(without(WrongbookEnrichITCase.table(db), probes))
                                            .containsExactlyInAnyOrderEntriesOf(all));
            // the held events reached the windowed route with their event time: behind the
            // watermark by then, they are late rows, not rows without event time
            List<String> dead = WrongbookEnrichITCase.outputLines(dir.resolve("out/dead-letters"));
            assertThat(dead).noneMatch(l -> l.contains("has no event time"));
            assertThat(dead)
                    .anyMatch(
                            l ->
                                    l.contains("\"reason\":\"late\"")
                                            && l.contains(
                                                    "\\\"question_id\\\":\\\"" + heldQ + "\\\""));
        } finally {
            job.cancel().get();
            // until it has stopped: it must not write into the temporary folder while JUnit
            // deletes it
            org.apache.flink.core.execution.JobClient stoppingJob = job;
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> stoppingJob.getJobStatus().get().isGloballyTerminalState());
        }
    }

    private List<String> alerts() throws java.io.IOException {
        Path out = dir.resolve("out/alerts");
        return Files.exists(out) ? WrongbookEnrichITCase.outputLines(out) : List.of();
    }

    /** An add of a question of subject s-1 by u-1, under a wrong_id of its own. */
    static String probe(int n) {
        return "{\"event_id\":\"probe-"
                + n
                + "\",\"event_type\":\"wrongbook_add\",\"domain\":\"wrongbook\",\"tenant_id\":\"school-b\","
                + "\"scenario_id\":\"wrongbook\",\"event_time\":\"2024-03-01T09:00:00Z\",\"payload\":"
                + "{\"wrong_id\":\"w-probe-"
                + n
                + "\",\"user_id\":\"u-1\",\"question_id\":\"q-8\",\"answer\":\"A\",\"result\":\"wrong\","
                + "\"created_at\":\"2024-03-01T09:00:00Z\"}}";
    }

    static Map<String, List<Object>> without(
            Map<String, List<Object>> rows, Predicate<String> drop) {
        Map<String, List<Object>> out = new TreeMap<>(rows);
        out.keySet().removeIf(drop);
        return out;
    }

    static Map<String, List<Object>> replay(List<String> lines, Predicate<String> questionKept)
            throws Exception {
        return replay(lines, questionKept, Map.of(), Integer.MAX_VALUE, null);
    }

    /**
     * The wide table after {@code lines} in order: events from {@code from} on see the subject
     * names {@code names} and every question; before, {@code absent} has no row.
     */
    static Map<String, List<Object>> replay(
            List<String> lines,
            Predicate<String> questionKept,
            Map<String, String> names,
            int from,
            String absent)
            throws Exception {
        Map<String, List<Object>> expected = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode e = JSON.readTree(lines.get(i));
            JsonNode p = e.get("payload");
            String type = e.get("event_type").asText();
            String id = p.get("wrong_id").asText();
            String question = p.get("question_id").asText();
            boolean later = i >= from;
            boolean kept = later || (questionKept.test(question) && !question.equals(absent));
            switch (type) {
                case "wrongbook_add", "wrongbook_fix" -> {
                    List<Object> row = new ArrayList<>();
                    row.add(p.get("answer").asText());
                    row.add(p.get("result").asText());
                    row.add(type);
                    row.addAll(
                            WrongbookEnrichITCase.dimensionValues(
                                    question,
                                    p.get("user_id").asText(),
                                    kept,
                                    later ? names : Map.of()));
                    expected.put(id, row);
                }
                case "wrongbook_delete" -> expected.remove(id);
                default -> {}
            }
        }
        return expected;
    }
}
