package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.WrongbookEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wide table from what the records describe: with {@code create-table: true} the job creates
 * the missing table from the fields its routes write (the DDL {@code sluice render ddl} prints) and
 * fills it like a hand-made one; a table lacking columns for some fields stops the job at start,
 * naming the fields and the routes that write them.
 */
class WideTableSchemaITCase {
    static final int EVENTS = 2_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    /** The example's tables and rows, without the wide table or with {@code wide} instead. */
    static void dimensions(EmbeddedDatabase db, String vendor, String wide) throws Exception {
        String ddl = Files.readString(Path.of("../examples/wrongbook/ddl/" + vendor + ".sql"));
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            for (String sql : EmbeddedMariaDb.statements(ddl)) {
                st.execute(sql.contains("wrongbook_wide") ? wide : sql);
            }
            for (String sql :
                    EmbeddedMariaDb.statements(
                            Files.readString(
                                    Path.of("../examples/wrongbook/ddl/dimensions.sql")))) {
                st.execute(sql);
            }
        }
    }

    private Spec spec(EmbeddedDatabase db, boolean create) throws Exception {
        List<String> lines = lines();
        try (OutputStream out = Files.newOutputStream(dir.resolve("events.jsonl"))) {
            for (String l : lines) {
                out.write(l.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        }
        String text =
                WrongbookEnrichITCase.spec(db.jdbcUrl(), "key: [wrong_id]", "missing: \"null\"");
        if (create) {
            text =
                    text.replace(
                            "table: wrongbook_wide\n",
                            "table: wrongbook_wide\n    create-table: true\n");
        }
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/routes.yaml"), WrongbookEnrichITCase.routes());
        Files.writeString(dir.resolve("job.yaml"), text);
        return new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
    }

    private static List<String> lines() {
        WrongbookEvents gen =
                new WrongbookEvents(
                        23, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 500, 0);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            lines.add(new String(gen.line(i), StandardCharsets.UTF_8));
        }
        return lines;
    }

    private void run(Spec spec) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        env.execute(spec.name());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mariadb", "postgresql"})
    void theJobCreatesTheMissingTableFromItsRoutesAndFillsIt(String vendor) throws Exception {
        EmbeddedDatabase db =
                (vendor.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        dimensions(db, vendor, "SELECT 1");
        Spec spec = spec(db, true);
        String ddl =
                JdbcDdl.render(spec, spec.sink("wide"), new RunContext(dir, dir.resolve("out")));
        assertThat(ddl)
                .contains("PRIMARY KEY")
                .contains("subject_name")
                .contains(
                        vendor.equals("mariadb")
                                ? "`created_at` DATETIME(3)"
                                : "\"created_at\" TIMESTAMP(3)");
        run(spec);
        try (Connection c = db.connect()) {
            assertThat(WrongbookEnrichITCase.table(c))
                    .isEqualTo(WrongbookDatabaseRestartITCase.replay(lines()));
        }
    }

    @Test
    void aTableWithoutColumnsForSomeFieldsStopsTheJobNamingThem() throws Exception {
        EmbeddedDatabase db = EmbeddedDatabases.mariadb().fresh();
        dimensions(
                db,
                "mariadb",
                "CREATE TABLE wrongbook_wide (wrong_id VARCHAR(48) PRIMARY KEY, tenant_id"
                        + " VARCHAR(32), user_id VARCHAR(16), question_id VARCHAR(16), answer"
                        + " VARCHAR(8), result VARCHAR(16), created_at DATETIME(3), last_event"
                        + " VARCHAR(32), subject_id VARCHAR(16), subject_name VARCHAR(64), chapter"
                        + " VARCHAR(32), knowledge_point VARCHAR(64), difficulty INT)");
        Spec spec = spec(db, false);
        assertThatThrownBy(() -> run(spec))
                .hasMessageContaining(
                        "sink 'wide': table 'wrongbook_wide' has no column for grade (route"
                                + " 'answers'), school (route 'answers')");
    }
}
