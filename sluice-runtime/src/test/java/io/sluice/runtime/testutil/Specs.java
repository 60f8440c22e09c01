package io.sluice.runtime.testutil;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.compose.StepContext;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.PipelineSpec;
import io.sluice.spec.model.Spec.StepSpec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.file.Path;

/**
 * Loads inline YAML specs the way the CLI does (real plugin registry, real loader) and finds where
 * things are written in them, so tests can state expected {@code file:line} positions by pointing
 * at the text instead of counting lines.
 */
public final class Specs {
    /** The file name specs are loaded under; positions read {@code test.yaml:<line>}. */
    public static final String FILE = "test.yaml";

    private static final PluginRegistry REGISTRY = PluginRegistry.load();

    private Specs() {}

    public static PluginRegistry registry() {
        return REGISTRY;
    }

    public static Spec load(String yaml) {
        return new SpecLoader(REGISTRY, name -> null).load(FILE, yaml);
    }

    /**
     * The step {@code stepId} of the spec's first pipeline, with what a processor needs around it.
     */
    public static LoadedStep step(String yaml, String stepId) {
        Spec spec = load(yaml);
        PipelineSpec pipeline = spec.pipelines().get(0);
        StepSpec step =
                pipeline.steps().stream()
                        .filter(s -> s.id().equals(stepId))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "no step " + stepId + " in " + pipeline.steps()));
        return new LoadedStep(spec, pipeline, step);
    }

    /** 1-based number of the first line of {@code yaml} containing {@code marker}. */
    public static int lineOf(String yaml, String marker) {
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(marker)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no line contains '" + marker + "'");
    }

    /** {@code test.yaml:<line>} of the first line containing {@code marker}. */
    public static String position(String yaml, String marker) {
        return FILE + ":" + lineOf(yaml, marker);
    }

    /** A loaded step and its place in the spec. */
    public record LoadedStep(Spec spec, PipelineSpec pipeline, StepSpec step) {
        public StepContext context(Path outputDir) {
            return new StepContext(spec, pipeline, step, new RunContext(Path.of("."), outputDir));
        }
    }

    /**
     * A spec whose one pipeline takes live routes: business events (event_id, event_type,
     * tenant_id, event_time, payload) from a file; routes may write to {@code big} and {@code
     * stats}; unrouted events go to {@code rest}.
     */
    public static final String ROUTED =
            """
            name: routed
            sources:
              - id: events
                type: file
                path: events.jsonl
                format: json
                fields:
                  - {name: event_id, type: string}
                  - {name: event_type, type: string}
                  - {name: tenant_id, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: payload, type: json}
                event-time: {field: event_time}
            sinks:
              - {id: big, type: file}
              - {id: stats, type: file}
              - {id: rest, type: file}
              - {id: dead, type: file}
            pipelines:
              - id: shop
                source: events
                dead-letters: dead
                routes: {store: config, outputs: [big, stats], unrouted: rest}
            """;

    /** What routes of {@link #ROUTED} are checked against. */
    public static io.sluice.spec.routes.RouteCatalog routedCatalog() {
        Spec spec = load(ROUTED);
        return io.sluice.spec.routes.RouteCatalog.of(spec, spec.pipelines().get(0));
    }
}
