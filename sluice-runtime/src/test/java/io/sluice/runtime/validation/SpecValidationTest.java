package io.sluice.runtime.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Spec validation against the real processors: YAML fixtures under {@code specs/} with the exact
 * problem lines expected in {@code *.expected}, written by hand from the fixture's layout.
 */
class SpecValidationTest {
    private final SpecLoader loader =
            new SpecLoader(PluginRegistry.load(), Map.of("DB_PASSWORD", "s3cret")::get);

    static String resource(String name) throws IOException {
        try (InputStream in = SpecValidationTest.class.getResourceAsStream("/specs/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private List<String> problems(String fixture) throws IOException {
        try {
            loader.load(fixture, resource(fixture));
        } catch (SpecException e) {
            return e.problems().stream().map(Problem::toString).toList();
        }
        throw new AssertionError(fixture + " was accepted");
    }

    @Test
    void everyProblemOfABrokenSpecIsReportedWithItsPosition() throws IOException {
        List<String> expected = resource("broken-taxi.expected").lines().toList();
        assertThat(problems("broken-taxi.yaml")).containsExactlyElementsOf(expected);
    }

    @Test
    void yamlSyntaxErrorsAreLocated() throws IOException {
        List<String> p = problems("bad-yaml.yaml");
        assertThat(p).hasSize(1);
        assertThat(p.get(0)).startsWith("bad-yaml.yaml:5:4: YAML syntax: ");
    }

    @Test
    void duplicateKeysAreProblems() throws IOException {
        assertThat(problems("duplicate-keys.yaml"))
                .containsExactly(
                        "duplicate-keys.yaml:2:1: name: duplicate key 'name' (first at line 1)",
                        "duplicate-keys.yaml:5:12: pipelines: a spec needs at least one pipeline");
    }

    @Test
    void theTaxiExampleIsValidAndItsSchemasFollowTheSteps() throws IOException {
        Spec spec = loader.load(Path.of("../examples/taxi/taxi.yaml"));
        assertThat(spec.name()).isEqualTo("taxi");
        assertThat(spec.hash()).hasSize(16);
        Spec.PipelineSpec p = spec.pipelines().get(0);
        assertThat(p.steps())
                .extracting(Spec.StepSpec::id)
                .containsExactly(
                        "validate-trip",
                        "features",
                        "plausible-speed",
                        "area-stats",
                        "fare-anomaly");
        // validate marks required fields present; derive adds typed fields, nullable under 'when'
        Spec.StepSpec features = p.steps().get(1);
        assertThat(features.input().field("fare").nullable()).isFalse();
        assertThat(features.input().field("pickup_lat").nullable()).isTrue();
        assertThat(features.result().field("speed_mph").type()).isEqualTo(FieldType.DOUBLE);
        assertThat(features.result().field("speed_mph").nullable()).isFalse();
        assertThat(features.result().field("fare_per_mile").nullable()).isTrue();
        assertThat(p.steps().get(3).result().names())
                .containsExactly(
                        "area",
                        "window_start",
                        "window_end",
                        "trip_count",
                        "avg_fare",
                        "avg_distance",
                        "fare_stddev");
    }

    @Test
    void unknownOptionsOfAProcessorAreRejectedWithTheKnownOnes() {
        String yaml =
                """
        name: t
        sources:
          - id: s
            type: generator
            fields: [{name: fare, type: double}]
        sinks: [{id: out, type: console}]
        pipelines:
          - id: p
            source: s
            dead-letters: out
            steps:
              - id: f
                processor: filter
                conditon: fare > 1.0
        """;
        assertThatThrownBy(() -> loader.load("t.yaml", yaml))
                .isInstanceOfSatisfying(
                        SpecException.class,
                        e ->
                                assertThat(e.problems().stream().map(Problem::toString))
                                        .containsExactly(
                                                "t.yaml:12:9: pipelines[0].steps[0].condition: missing required key 'condition' (a CEL expression)",
                                                "t.yaml:14:9: pipelines[0].steps[0].conditon: unknown key 'conditon' (known: condition, id, output, processor); did you mean 'condition'?"));
    }

    @Test
    void anUnknownSourceIsReportedOnceNotAsEveryMissingField() {
        String yaml =
                """
        name: t
        sources:
          - id: trips
            type: generator
            fields: [{name: fare, type: double}]
        sinks: [{id: out, type: console}]
        pipelines:
          - id: p
            source: trip
            dead-letters: out
            steps:
              - {id: f, processor: filter, condition: "fare > 1.0"}
        """;
        assertThatThrownBy(() -> loader.load("t.yaml", yaml))
                .isInstanceOfSatisfying(
                        SpecException.class,
                        e ->
                                assertThat(e.problems().stream().map(Problem::toString))
                                        .containsExactly(
                                                "t.yaml:9:13: pipelines[0].source: unknown source 'trip' (known: trips); did you mean 'trips'?"));
    }

    @Test
    void secretsMustBeEnvironmentReferences() {
        io.sluice.spec.problem.Problems problems = new io.sluice.spec.problem.Problems();
        io.sluice.spec.options.OptionsSchema schema =
                io.sluice.spec.options.OptionsSchema.builder()
                        .required(
                                "password", io.sluice.spec.options.OptionType.SECRET, "db password")
                        .required("user", io.sluice.spec.options.OptionType.STRING, "db user")
                        .build();
        io.sluice.spec.options.OptionsBinder binder =
                new io.sluice.spec.options.OptionsBinder(
                        problems, Map.of("DB_PASSWORD", "s3cret")::get);
        io.sluice.spec.yaml.YNode ok =
                io.sluice.spec.yaml.YamlReader.read(
                        "c.yaml",
                        "password: ${env:DB_PASSWORD}\nuser: app-${env:DB_PASSWORD}\n",
                        problems);
        io.sluice.spec.options.Options o = binder.bind(ok, schema, "");
        assertThat(problems.list()).isEmpty();
        assertThat(o.string("password")).isEqualTo("s3cret");
        assertThat(o.string("user")).isEqualTo("app-s3cret");
        io.sluice.spec.yaml.YNode bad =
                io.sluice.spec.yaml.YamlReader.read(
                        "c.yaml", "password: hunter2\nuser: ${env:NOPE}\n", problems);
        binder.bind(bad, schema, "");
        assertThat(problems.list().stream().map(Problem::toString))
                .containsExactly(
                        "c.yaml:1:11: password: secrets must be references like ${env:NAME}, never literals: put the value in an environment variable and write ${env:THAT_NAME} here",
                        "c.yaml:2:7: user: environment variable NOPE is not set");
    }

    @Test
    void runOverridesReplaceOptionsAndAreValidatedLikeTheFile() throws IOException {
        Path taxi = Path.of("../examples/taxi/taxi.yaml");
        Spec spec =
                loader.withOverrides(Map.of("trips.count", "1234", "trips.seed", "7")).load(taxi);
        assertThat(spec.source("trips").options().longValue("count")).isEqualTo(1234L);
        assertThat(spec.source("trips").options().longValue("seed")).isEqualTo(7L);
        assertThatThrownBy(
                        () ->
                                loader.withOverrides(
                                                Map.of(
                                                        "trips.count",
                                                        "lots",
                                                        "trips.cont",
                                                        "1",
                                                        "tripz.count",
                                                        "1"))
                                        .load(taxi))
                .isInstanceOfSatisfying(
                        SpecException.class,
                        e ->
                                assertThat(e.problems().stream().map(Problem::toString))
                                        .containsExactlyInAnyOrder(
                                                "--set:1:1: sources[0].count: expected a whole number, found 'lots'",
                                                "--set:1:1: sources[0].cont: unknown key 'cont' (known: count, delimiter, dirty-share, event-time, fields, format, id, interval, late-share, profile, rows-per-second, seed, start, type); did you mean 'count'?",
                                                "--set:1:1: tripz.count: expected SOURCE-OR-SINK.OPTION=VALUE; unknown source or sink 'tripz' (known: area-stats, dead-letters, late-trips, taxi-alerts, trip-features, trips); did you mean 'trips'?"));
    }

    /** Cumulating windows need a step dividing the size; only they take one. */
    @Test
    void cumulatingWindowsNeedAStepThatDividesTheSize() {
        String spec =
                """
                name: t
                sources:
                  - id: s
                    type: generator
                    fields: [{name: fare, type: double}, {name: ts, type: timestamp}]
                    event-time: {field: ts}
                sinks: [{id: out, type: console}]
                pipelines:
                  - id: p
                    source: s
                    dead-letters: out
                    steps:
                      - {id: w, processor: window-aggregate, key: [fare], WINDOW, aggregates: [{name: n, fn: count}], output: out}
                """;
        java.util.function.Function<String, List<String>> problems =
                w -> {
                    try {
                        loader.load("t.yaml", spec.replace("WINDOW", w));
                        return List.of();
                    } catch (SpecException e) {
                        return e.problems().stream().map(Problem::toString).toList();
                    }
                };
        assertThat(problems.apply("window: {type: cumulate, size: 1h, step: 15m}")).isEmpty();
        assertThat(problems.apply("window: {type: cumulate, size: 1h}"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("pipelines[0].steps[0].window.step: a cumulating window needs 'step'");
        assertThat(problems.apply("window: {type: cumulate, size: 1h, step: 25m}"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains(
                        "pipelines[0].steps[0].window.step: the step must be positive and divide"
                                + " the size (PT1H)");
        assertThat(problems.apply("window: {type: cumulate, size: 1h, step: 15m, slide: 5m}"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("window.slide: a cumulating window has a step, not a slide");
        assertThat(problems.apply("window: {type: sliding, size: 1h, slide: 5m, step: 15m}"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("window.step: only a cumulating window has a step (type: cumulate)");
    }

    static final String BASE =
            """
            name: t
            sources:
              - id: s
                type: generator
                fields: [{name: fare, type: double}, {name: company, type: string}, {name: ts, type: timestamp}]
            sinks: [{id: out, type: console}]
            pipelines:
              - id: p
                source: s
                dead-letters: out
                steps:
                  - {id: f, processor: filter, condition: "fare > 1.0"}
            """;

    /** Problems of BASE with one line replaced, as FILE:LINE:COL: PATH: MESSAGE strings. */
    private List<String> problemsWith(String from, String to) {
        String yaml = BASE.replace(from, to);
        assertThat(yaml).as("the edit applies").isNotEqualTo(BASE);
        try {
            loader.load("t.yaml", yaml);
        } catch (SpecException e) {
            return e.problems().stream().map(Problem::toString).toList();
        }
        throw new AssertionError("accepted:\n" + yaml);
    }

    @Test
    void malformedSpecsAreProblemsNotCrashes() {
        assertThat(problemsWith("  - id: s\n", "  - type2: x\n"))
                .contains(
                        "t.yaml:3:5: sources[0].id: missing required key 'id' (a string)",
                        "t.yaml:9:13: pipelines[0].source: unknown source 's' (none declared)");
        assertThat(problemsWith("name: t\n", "name: t\nruntime: 3\n"))
                .containsExactly("t.yaml:2:10: runtime: expected a map, found a scalar");
        assertThat(
                        problemsWith(
                                "name: t\n",
                                "name: t\nruntime: {parallelism: two, restart-attempts: x}\n"))
                .containsExactly(
                        "t.yaml:2:24: runtime.parallelism: expected a whole number, found 'two'",
                        "t.yaml:2:47: runtime.restart-attempts: expected a whole number, found 'x'");
        assertThat(
                        problemsWith(
                                "name: t\n",
                                "name: t\nruntime: {parallelism: 4294967297, checkpoint-interval: 0s}\n"))
                .containsExactly(
                        "t.yaml:2:24: runtime.parallelism: must be between 1 and 32768",
                        "t.yaml:2:57: runtime.checkpoint-interval: checkpoints need an interval of at least 10ms; leave it out to turn them off");
        assertThat(
                        problemsWith(
                                "name: t\n",
                                "name: t\nruntime: {incremental-checkpoints: true, min-pause: 1s,"
                                        + " state-backend: disk}\n"))
                .containsExactly(
                        "t.yaml:2:36: runtime.incremental-checkpoints: incremental checkpoints"
                                + " need state-backend: rocksdb",
                        "t.yaml:2:36: runtime.incremental-checkpoints: has no effect without"
                                + " checkpoints: set runtime.checkpoint-interval",
                        "t.yaml:2:53: runtime.min-pause: has no effect without checkpoints: set"
                                + " runtime.checkpoint-interval",
                        "t.yaml:2:72: runtime.state-backend: unknown value 'disk' (known: heap,"
                                + " rocksdb)");
        assertThat(problemsWith("name: t\n", "name: ../../x\n"))
                .containsExactly(
                        "t.yaml:1:7: name: the name is one word of letters, digits, '-' and '_' (it names the output folder); found '../../x'");
        assertThat(
                        problemsWith(
                                "    type: generator\n",
                                "    type: generator\n    format: json\n    rows-per-second: 0\n    interval: 99999999999999999d\n"))
                .containsExactly(
                        "t.yaml:5:13: sources[0].format: the generator writes comma-separated CSV: leave 'format' and 'delimiter' out",
                        "t.yaml:6:22: sources[0].rows-per-second: must be at least 1",
                        "t.yaml:7:15: sources[0].interval: expected a duration like 500ms, 30s, 5m, 1h or 2d, found '99999999999999999d' (too long)");
    }

    @Test
    void stepsThatCouldNotRunAreRejected() {
        assertThat(
                        problemsWith(
                                "      - {id: f, processor: filter, condition: \"fare > 1.0\"}\n",
                                "      - {id: w, processor: window-aggregate, key: [company], window: {type: tumbling, size: 1m}, aggregates: [{name: n, fn: count}], output: out}\n"))
                .containsExactly(
                        "t.yaml:12:9: pipelines[0].steps[0].processor: 'window-aggregate' works in event time: declare 'event-time' on source 's'");
        assertThat(
                        problemsWith(
                                "      - {id: f, processor: filter, condition: \"fare > 1.0\"}\n",
                                "      - {id: d, processor: derive, fields: [{name: y, expr: '1'}, {name: z, expr: 'y + 1'}, {name: y, expr: '\"a\"'}]}\n"))
                .containsExactly(
                        "t.yaml:12:100: pipelines[0].steps[0].fields[2].name: 'y' is derived twice in this step; give each field one name");
    }

    @Test
    void problemsPointAtListItemsAndIntoBlockExpressions() {
        assertThat(
                        problemsWith(
                                "      - {id: f, processor: filter, condition: \"fare > 1.0\"}\n",
                                "      - {id: v, processor: validate, required: [fare, nope]}\n"))
                .containsExactly(
                        "t.yaml:12:55: pipelines[0].steps[0].required[1]: unknown field 'nope' (known: company, fare, ts)");
        assertThat(
                        problemsWith(
                                "      - {id: f, processor: filter, condition: \"fare > 1.0\"}\n",
                                "      - id: f\n        processor: filter\n        condition: |\n          fare > 1.0 &&\n            nope\n"))
                .containsExactly(
                        "t.yaml:16:13: pipelines[0].steps[0].condition: expression: undeclared reference to 'nope' (in container '')");
    }

    @Test
    void idleTimeoutDefaultsToFiveSecondsAndZeroTurnsItOff() {
        String yaml =
                BASE.replace(
                        "fields: [{name: fare",
                        "event-time: {field: ts IDLE}\n    fields: [{name: fare");
        java.util.function.Function<String, Spec> load =
                idle -> loader.load("t.yaml", yaml.replace(" IDLE", idle));
        assertThat(load.apply("").source("s").eventTime().idleTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(load.apply(", idle-timeout: 2s").source("s").eventTime().idleTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(load.apply(", idle-timeout: 0s").source("s").eventTime().idleTimeout()).isNull();
    }
}
