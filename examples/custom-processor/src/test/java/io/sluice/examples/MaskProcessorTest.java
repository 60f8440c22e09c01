package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The custom processor found by its identifier, validated like a built-in one, and run in a real
 * (local) Flink job. Expected pseudonyms were computed apart: {@code printf 's3cret-u-1' |
 * sha256sum}.
 */
class MaskProcessorTest {
    private static final String SPEC =
            """
            name: masked
            sources:
              - id: in
                type: file
                path: in.jsonl
                format: json
                fields:
                  - {name: user_id, type: string}
                  - {name: amount, type: double}
                  - {name: payload, type: json}
            sinks:
              - {id: out, type: file}
              - {id: dead, type: file}
            pipelines:
              - id: p
                source: in
                dead-letters: dead
                steps:
                  - {id: hide, processor: mask, fields: [user_id], salt: s3cret-, output: out}
            """;

    @Test
    void masksFieldsInAJob(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("in.jsonl"),
                "{\"user_id\":\"u-1\",\"amount\":1.5}\n{\"user_id\":\"u-2\",\"amount\":2.5}\n");
        Spec spec = new SpecLoader(PluginRegistry.load(), n -> null).load("masked.yaml", SPEC);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new JobComposer(PluginRegistry.load(), new RunContext(dir, dir)).compose(spec, env);
        env.execute("masked");
        List<String> users = new ArrayList<>();
        for (String line : lines(dir.resolve("out"))) {
            JsonNode n = new ObjectMapper().readTree(line);
            users.add(n.get("user_id").asText() + " " + n.get("amount").asDouble());
        }
        assertThat(lines(dir.resolve("dead"))).isEmpty();
        // two parallel writers: which part file holds a row is not fixed
        assertThat(users).containsExactlyInAnyOrder("a9b9f64817ba0aa0 1.5", "a7652ef28521e9f5 2.5");
    }

    /** The lines of every part file in a file sink's folder. */
    private static List<String> lines(Path folder) throws java.io.IOException {
        List<String> out = new ArrayList<>();
        try (var parts = Files.list(folder)) {
            for (Path p : parts.sorted().toList()) {
                out.addAll(Files.readAllLines(p));
            }
        }
        return out;
    }

    @Test
    void aRouteMaskingANumberIsRejectedWithItsPosition() {
        Spec spec =
                new SpecLoader(PluginRegistry.load(), n -> null)
                        .load(
                                "masked.yaml",
                                SPEC.replace(
                                        "steps:",
                                        "routes: {store: cfg, outputs: [out], unrouted: out,"
                                                + " event-type-field: user_id, tenant-field:"
                                                + " user_id}\n    steps:"));
        Problems p =
                new RoutesLoader(PluginRegistry.load())
                        .validate(
                                "routes.yaml",
                                """
                                routes:
                                  - id: hide
                                    event-types: ['*']
                                    processor: mask
                                    params: {fields: [amount]}
                                    outputs: [out]
                                """,
                                RouteCatalog.of(spec, spec.pipelines().get(0)));
        assertThat(p.list())
                .extracting(Object::toString)
                .containsExactly(
                        "routes.yaml:5:22: routes[0].params.fields[0]: 'amount' is double; mask"
                                + " takes string fields");
    }
}
