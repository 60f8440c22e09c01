package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
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
 * Batches where every key comes many times, upserts and deletes mixed: 2,000 records over 40 keys,
 * one writer, batches of 1,000. The sink regroups each batch (and sends upserts 100 rows to a
 * statement); the table must still equal the records applied in their order, key by key — on
 * PostgreSQL, which refuses a statement that updates one row twice, too.
 */
class JdbcSinkBatchOrderITCase {
    static final int RECORDS = 2_000;
    static final int KEYS = 40;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @TempDir Path dir;

    static final String SPEC =
            """
            name: batch-order
            runtime: {parallelism: 1}
            sources:
              - id: in
                type: file
                path: in.jsonl
                format: json
                fields:
                  - {name: id, type: string}
                  - {name: seq, type: long}
                  - {name: v, type: string}
                  - {name: op, type: string}
            sinks:
              - id: t
                type: jdbc
                url: "URL"
                user: sluice
                password: sluice
                table: kv
                create-table: true
                key: [id]
                delete-when: {field: op, equals: [delete]}
                batch-size: 1000
                max-delay: 1m
              - {id: dead-letters, type: file}
            pipelines:
              - id: p
                source: in
                dead-letters: dead-letters
                steps:
                  - id: all
                    processor: filter
                    condition: "true"
                    output: t
            """;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mariadb", "postgresql"})
    void eachKeysRecordsApplyInTheirOrder(String vendor) throws Exception {
        EmbeddedDatabase db =
                (vendor.equals("mariadb")
                                ? EmbeddedDatabases.mariadb()
                                : EmbeddedDatabases.postgres())
                        .fresh();
        List<String> lines = new ArrayList<>();
        Map<String, List<Object>> expected = new TreeMap<>();
        for (int i = 0; i < RECORDS; i++) {
            String id = "k" + (i * 7 % KEYS);
            boolean delete =
                    i % 97 == 3; // rare: most ranks have none, and long runs of upserts form
            lines.add(
                    "{\"id\":\""
                            + id
                            + "\",\"seq\":"
                            + i
                            + ",\"v\":\"v"
                            + i
                            + "\",\"op\":\""
                            + (delete ? "delete" : "upsert")
                            + "\"}");
            if (delete) {
                expected.remove(id);
            } else {
                expected.put(id, List.of((long) i, "v" + i));
            }
        }
        Files.write(dir.resolve("in.jsonl"), lines);
        Files.writeString(dir.resolve("job.yaml"), SPEC.replace("URL", db.jdbcUrl()));
        Spec spec = new SpecLoader(PluginRegistry.load()).load(dir.resolve("job.yaml"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        env.execute(spec.name());

        Map<String, List<Object>> actual = new TreeMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, seq, v FROM kv")) {
            while (rs.next()) {
                actual.put(rs.getString(1), List.of(rs.getLong(2), rs.getString(3)));
            }
        }
        assertThat(expected).hasSizeGreaterThan(KEYS / 2);
        assertThat(actual).isEqualTo(expected);
    }
}
