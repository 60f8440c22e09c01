package io.sluice.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.RunSummary;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every row is accounted for when rows are filtered out, when late rows go to dead letters for want
 * of a late output, and when two pipelines read one source. Expected counts are worked out by hand
 * below.
 */
class AccountingITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @Test
    void filteredLateAndRejectedRowsBalanceAcrossTwoPipelinesOnOneSource(@TempDir Path dir)
            throws Exception {
        Files.writeString(
                dir.resolve("in.jsonl"),
                String.join(
                        "\n",
                        "{\"id\": \"a\", \"v\": 1.0, \"ts\": \"2024-01-01T00:00:10Z\"}",
                        "{\"id\": \"b\", \"v\": -1.0, \"ts\": \"2024-01-01T00:00:20Z\"}",
                        "{\"id\": \"c\", \"v\": 2.0, \"ts\": \"2024-01-01T00:02:00Z\"}",
                        "{\"id\": \"d\", \"v\": 3.0, \"ts\": \"2024-01-01T00:00:30Z\"}",
                        "{\"id\": \"e\", \"ts\": \"2024-01-01T00:03:00Z\"}",
                        "garbage",
                        ""));
        Files.writeString(
                dir.resolve("spec.yaml"),
                """
                name: accounting
                sources:
                  - id: in
                    type: file
                    path: in.jsonl
                    format: json
                    fields:
                      - {name: id, type: string}
                      - {name: v, type: double}
                      - {name: ts, type: timestamp}
                    event-time: {field: ts, max-out-of-orderness: 0s}
                sinks:
                  - {id: stats, type: file}
                  - {id: doubled, type: file}
                  - {id: dead, type: file}
                pipelines:
                  - id: windows
                    source: in
                    dead-letters: dead
                    steps:
                      - {id: need-v, processor: validate, required: [v]}
                      - {id: positive, processor: filter, condition: "v > 0.0"}
                      - id: per-minute
                        processor: window-aggregate
                        key: [id]
                        window: {type: tumbling, size: 1m}
                        aggregates: [{name: n, fn: count}]
                        output: stats
                  - id: double
                    source: in
                    dead-letters: dead
                    steps:
                      - id: twice
                        processor: derive
                        fields: [{name: w, expr: v * 2.0}]
                        output: doubled
                """);
        Spec spec =
                new SpecLoader(PluginRegistry.load())
                        .load(dir.resolve("spec.yaml"))
                        .withParallelism(1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir.resolve("out")))
                .compose(spec, env);
        JobExecutionResult result = env.execute("accounting");
        RunSummary summary =
                RunSummary.from(
                        "accounting",
                        spec.hash(),
                        Duration.ZERO,
                        result.getAllAccumulatorResults(),
                        null);

        // windows: a, c, d accepted (d also late: the watermark after c is 00:01:59.999, past the
        //          end of d's window [00:00, 00:01)); b filtered out; e (no v) and garbage rejected
        // double:  a, b, c, d accepted; e rejected (v * 2.0 on a missing v); garbage rejected
        assertThat(summary.rowsIn()).isEqualTo(12);
        assertThat(summary.accepted()).isEqualTo(7);
        assertThat(summary.filtered()).isEqualTo(1);
        assertThat(summary.deadLettersByReason())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "late",
                                1L,
                                "missing-field",
                                1L,
                                "malformed-json",
                                2L,
                                "expression-error",
                                1L));
        assertThat(summary.rejected()).isEqualTo(4);
        assertThat(summary.unaccounted()).isZero();
        assertThat(summary.balanced()).isTrue();
        assertThat(summary.render()).contains("= accepted 7 + filtered out 1 + dead letters 4");

        assertThat(FileSourceITCase.read(dir.resolve("out/stats")))
                .extracting(
                        n ->
                                n.get("id").asText()
                                        + " "
                                        + n.get("window_start").asText()
                                        + " "
                                        + n.get("n").asLong())
                .containsExactlyInAnyOrder("a 2024-01-01T00:00:00Z 1", "c 2024-01-01T00:02:00Z 1");
        assertThat(FileSourceITCase.read(dir.resolve("out/doubled")))
                .extracting(n -> n.get("id").asText() + " " + n.get("w").asDouble())
                .containsExactlyInAnyOrder("a 2.0", "b -2.0", "c 4.0", "d 6.0");
        JsonNode late =
                FileSourceITCase.read(dir.resolve("out/dead")).stream()
                        .filter(n -> n.get("reason").asText().equals("late"))
                        .findFirst()
                        .orElseThrow();
        assertThat(late.get("origin").asText()).isEqualTo("in.jsonl:4");
        assertThat(late.get("step").asText()).isEqualTo("windows.per-minute");
    }
}
