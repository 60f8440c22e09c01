package io.sluice.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The file source: CSV files give the same results as the generator; JSON lines decode exactly. */
class FileSourceITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SINKS =
            List.of("area-stats", "taxi-alerts", "trip-features", "late-trips", "dead-letters");

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    static void run(Spec spec, Path specDir, Path out) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(Configuration.fromMap(Map.of("pipeline.generic-types", "false")));
        new JobComposer(PluginRegistry.load(), new RunContext(specDir, out)).compose(spec, env);
        env.execute(spec.name());
    }

    /** Records of a sink, without the fields that name the spec file or the input. */
    static List<String> comparable(Path folder, boolean fromFile) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path p : parts.toList()) {
                for (String line : Files.readAllLines(p)) {
                    ObjectNode n = (ObjectNode) JSON.readTree(line);
                    n.remove("spec_hash");
                    n.remove("position");
                    if (n.has("origin") && fromFile) {
                        // trips.csv line L (line 1 is the header) is generated row L - 1
                        long lineNo =
                                Long.parseLong(
                                        n.get("origin").asText().substring("trips.csv:".length()));
                        n.put("origin", "trips:" + (lineNo - 1));
                    }
                    out.add(n.toString());
                }
            }
        }
        return out;
    }

    @Test
    void aCsvFileGivesTheSameOutputsAsTheGeneratorOfItsLines(@TempDir Path dir) throws Exception {
        int rows = 20_000;
        long start =
                LocalDateTime.parse("2024-01-01T00:00:00")
                        .atZone(ZoneId.of("America/Chicago"))
                        .toInstant()
                        .toEpochMilli();
        TaxiTrips trips =
                new TaxiTrips(42, start, 400, 0.01, 0.002); // taxi.yaml's generator settings
        Files.createDirectories(dir.resolve("data"));
        try (OutputStream out = Files.newOutputStream(dir.resolve("data/trips.csv"))) {
            out.write((String.join(",", TaxiTrips.HEADER) + "\n").getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < rows; i++) {
                out.write(trips.line(i));
                out.write('\n');
            }
        }
        String fileSpec =
                Files.readString(Path.of("../examples/taxi/taxi-file.yaml"))
                        .replace("data/trips-sample.csv", "data/trips.csv");
        Files.writeString(dir.resolve("taxi-file.yaml"), fileSpec);
        SpecLoader loader = new SpecLoader(PluginRegistry.load());
        run(
                loader.load(dir.resolve("taxi-file.yaml")).withParallelism(1),
                dir,
                dir.resolve("from-file"));
        Spec generated =
                loader.withOverrides(Map.of("trips.count", Integer.toString(rows)))
                        .load(Path.of("../examples/taxi/taxi.yaml"));
        run(
                generated.withParallelism(1),
                Path.of("../examples/taxi"),
                dir.resolve("from-generator"));
        for (String sink : SINKS) {
            List<String> fromFile = comparable(dir.resolve("from-file").resolve(sink), true);
            List<String> fromGenerator =
                    comparable(dir.resolve("from-generator").resolve(sink), false);
            assertThat(fromFile)
                    .as(sink)
                    .isNotEmpty()
                    .containsExactlyInAnyOrderElementsOf(fromGenerator);
        }
    }

    @Test
    void jsonLinesDecodeToTypedFieldsAndBadLinesBecomeDeadLetters(@TempDir Path dir)
            throws Exception {
        Files.writeString(
                dir.resolve("events.jsonl"),
                String.join(
                        "\n",
                        "{\"user\": \"ann\", \"score\": 7, \"ratio\": 0.25, \"at\": \"2024-03-01T10:00:00Z\"}",
                        "{\"user\": \"bob\", \"score\": \"seven\", \"at\": \"2024-03-01T10:00:01Z\"}",
                        "{\"user\": \"cy\", \"score\": 3, \"at\": 1709287202000}",
                        "{\"user\": \"dee\", \"score\": 2",
                        "[1, 2, 3]",
                        "{\"score\": 9, \"at\": \"2024-03-01T10:00:03Z\"}",
                        "{\"user\": \"eve\", \"score\": 12, \"ratio\": {\"a\": 1}, \"at\": \"2024-03-01T10:00:04Z\"}",
                        ""));
        Files.writeString(
                dir.resolve("events.yaml"),
                """
        name: events
        sources:
          - id: events
            type: file
            path: events.jsonl
            format: json
            fields:
              - {name: user, type: string}
              - {name: score, type: long}
              - {name: ratio, type: double}
              - {name: at, type: timestamp}
        sinks: [{id: out, type: file}, {id: dead, type: file}]
        pipelines:
          - id: p
            source: events
            dead-letters: dead
            steps:
              - {id: need-user, processor: validate, required: [user, score]}
              - id: doubled
                processor: derive
                fields: [{name: double_score, expr: score * 2}]
                output: out
        """);
        run(
                new SpecLoader(PluginRegistry.load())
                        .load(dir.resolve("events.yaml"))
                        .withParallelism(1),
                dir,
                dir.resolve("out"));
        List<JsonNode> out = read(dir.resolve("out/out"));
        assertThat(out)
                .extracting(
                        n ->
                                n.get("user").asText()
                                        + " "
                                        + n.get("double_score").asLong()
                                        + " "
                                        + n.get("at").asText()
                                        + " "
                                        + n.get("ratio"))
                .containsExactly(
                        "ann 14 2024-03-01T10:00:00Z 0.25", "cy 6 2024-03-01T10:00:02Z null");
        assertThat(read(dir.resolve("out/dead")))
                .extracting(
                        n ->
                                n.get("origin").asText()
                                        + " "
                                        + n.get("reason").asText()
                                        + " "
                                        + n.get("field").asText())
                .containsExactlyInAnyOrder(
                        "events.jsonl:2 bad-value score",
                        "events.jsonl:4 malformed-json null",
                        "events.jsonl:5 malformed-json null",
                        "events.jsonl:6 missing-field user",
                        "events.jsonl:7 bad-value ratio");
    }

    static List<JsonNode> read(Path folder) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path p : parts.sorted().toList()) {
                for (String line : Files.readAllLines(p)) {
                    all.add(JSON.readTree(line));
                }
            }
        }
        return all;
    }
}
