package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sql.FlinkSqlRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice render sql} on every example spec: a script Flink's planner accepts (parsed,
 * validated and optimised, not run), and every part it leaves out located in the spec.
 */
class RenderSqlTest {
    static final Path ROOT = ExampleSpecsTest.ROOT;

    /** Tumbling and session windows, PostgreSQL and MariaDB sinks, CEL without an SQL form. */
    @Test
    void windowsJdbcSinksAndWhatHasNoSqlForm(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("in.csv"), "user,amount,at\nu1,3,1000\n");
        Path spec = dir.resolve("job.yaml");
        Files.writeString(
                spec,
                """
                name: orders
                sources:
                  - id: in
                    type: file
                    path: in.csv
                    fields:
                      - {name: user, type: string}
                      - {name: amount, type: long}
                      - {name: at, type: timestamp, unit: s}
                    event-time: {field: at, max-out-of-orderness: 10s}
                sinks:
                  - {id: per-minute, type: jdbc, url: "jdbc:postgresql://db:5432/shop", table: per_minute, key: [user, window_start]}
                  - {id: sessions, type: jdbc, url: "jdbc:mariadb://db:3306/shop", table: sessions}
                  - {id: dead, type: file}
                pipelines:
                  - id: orders
                    source: in
                    dead-letters: dead
                    steps:
                      - id: named
                        processor: filter
                        condition: user.matches('^u[0-9]+$')
                      - id: per-minute
                        processor: window-aggregate
                        key: [user]
                        window: {type: tumbling, size: 1m}
                        aggregates: [{name: total, fn: sum, field: amount}]
                        output: per-minute
                      - id: sessions
                        processor: window-aggregate
                        key: [user]
                        window: {type: session, size: 30m}
                        aggregates: [{name: n, fn: count}]
                        output: sessions
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(err))
                        .execute("render", "sql", spec.toString());
        assertThat(code).as(err.toString()).isEqualTo(3);
        assertThat(err.toString())
                .contains(
                        "job.yaml:22:20: pipelines[0].steps[0].condition: not expressible in Flink"
                                + " SQL: function 'matches'",
                        "job.yaml:13:5: sinks[1].url: jdbc sinks on MariaDB/MySQL are not"
                                + " supported in SQL yet");
        assertThat(out.toString())
                .contains(
                        "TUMBLE(TABLE `orders$named`, DESCRIPTOR(`at`), INTERVAL '1' MINUTE)",
                        "PRIMARY KEY (`user`, `window_start`) NOT ENFORCED",
                        "'connector' = 'jdbc'",
                        "'url' = 'jdbc:postgresql://db:5432/shop'",
                        "'table-name' = 'per_minute'",
                        "WATERMARK FOR `$event_time` AS `$event_time` - INTERVAL '0 00:00:10.001'"
                                + " DAY TO SECOND(3)",
                        "SUM(CAST(`amount` AS DOUBLE)) AS `total`",
                        "-- NOT RENDERED: user.matches('^u[0-9]+$')")
                .doesNotContain("INSERT INTO `sessions`");
    }

    @Test
    void everyExampleRendersToSqlThePlannerAccepts(@TempDir Path dir) throws IOException {
        List<Path> specs;
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples"))) {
            specs =
                    files.filter(p -> p.toString().endsWith(".yaml"))
                            .filter(SchemaCommandTest::isSpec)
                            .filter(p -> !p.toString().contains("/target/"))
                            .sorted()
                            .toList();
        }
        assertThat(specs).hasSizeGreaterThanOrEqualTo(8);
        int planned = 0;
        for (Path spec : specs) {
            Path sql = dir.resolve(spec.getFileName() + ".sql");
            StringWriter err = new StringWriter();
            int code =
                    SluiceCli.commandLine()
                            .setErr(new PrintWriter(err))
                            .execute("render", "sql", spec.toString(), "-o", sql.toString());
            assertThat(code).as("%s: %s", spec, err).isIn(0, 3);
            String script = Files.readString(sql);
            for (String line : err.toString().split("\n")) {
                if (line.startsWith("wrote ") || line.contains("part(s) of the spec")) {
                    continue;
                }
                // FILE:LINE:COL: PATH: MESSAGE, pointing into the spec
                assertThat(line).as(spec.toString()).matches(".*\\.yaml:\\d+:\\d+: \\S+: .+");
                assertThat(script).as("listed at the top").contains(line);
            }
            assertThat(code == 0).isEqualTo(!script.contains("NOT RENDERED"));
            if (script.contains("INSERT INTO")) {
                TableEnvironment env =
                        TableEnvironment.create(EnvironmentSettings.inStreamingMode());
                assertThat(FlinkSqlRunner.explain(script, env))
                        .as(spec.toString())
                        .contains("Sink(");
                planned++;
            }
        }
        assertThat(planned).as("specs with a rendered INSERT").isGreaterThanOrEqualTo(3);
    }
}
