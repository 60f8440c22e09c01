package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import io.sluice.spec.schema.JsonSchemas;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * The schemas {@code sluice schema} writes accept every example the loaders accept, and what they
 * flag in broken documents is flagged by the loaders too, at the same path: a second checker over
 * the same declarations, as an editor would run it.
 */
class SchemaCommandTest {
    static final Path ROOT = ExampleSpecsTest.ROOT;
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonSchemaFactory DRAFT7 =
            JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);

    @Test
    void writesBothSchemasAndTheyAreTheCommittedOnes(@TempDir Path dir) throws IOException {
        StringWriter out = new StringWriter();
        int code =
                SluiceCli.commandLine()
                        .setOut(new PrintWriter(out))
                        .execute("schema", "--dir", dir.toString());
        assertThat(code).as(out.toString()).isZero();
        assertThat(out.toString())
                .contains("wrote " + dir.resolve("sluice-spec.schema.json"))
                .contains("wrote " + dir.resolve("sluice-config.schema.json"));
        for (String f : List.of("sluice-spec.schema.json", "sluice-config.schema.json")) {
            assertThat(Files.readString(dir.resolve(f)))
                    .as(
                            "schemas/%s is out of date: run './sluice schema' in the project"
                                    + " folder and commit it",
                            f)
                    .isEqualTo(Files.readString(ROOT.resolve("schemas").resolve(f)));
        }
    }

    @Test
    void everyExampleSpecFitsTheSpecSchema() throws IOException {
        JsonSchema schema = DRAFT7.getSchema(JsonSchemas.spec(PluginRegistry.load()));
        List<Path> specs = examples().stream().filter(p -> isSpec(p)).toList();
        assertThat(specs).hasSizeGreaterThanOrEqualTo(8);
        for (Path p : specs) {
            assertThat(schema.validate(yaml(p))).as(p.toString()).isEmpty();
        }
    }

    @Test
    void everyExampleConfigFitsTheConfigSchema() throws IOException {
        JsonSchema schema = DRAFT7.getSchema(JsonSchemas.config(PluginRegistry.load()));
        List<Path> configs =
                examples().stream()
                        .filter(p -> !isSpec(p))
                        // the custom processor's route needs its plugin, not on this class path
                        .filter(p -> !p.toString().contains("custom-processor"))
                        .toList();
        assertThat(configs)
                .extracting(p -> ROOT.relativize(p).toString())
                .contains(
                        "examples/wrongbook/config/routes.yaml",
                        "examples/recommend/config/routes.yaml",
                        "examples/shop/config/routes.yaml");
        for (Path p : configs) {
            assertThat(schema.validate(yaml(p))).as(p.toString()).isEmpty();
        }
    }

    /** The broken taxi spec: every path the schema flags, the loader flags too. */
    @Test
    void whatTheSpecSchemaFlagsTheLoaderFlagsAtTheSamePath() throws IOException {
        Path broken = ROOT.resolve("sluice-runtime/src/test/resources/specs/broken-taxi.yaml");
        JsonSchema schema = DRAFT7.getSchema(JsonSchemas.spec(PluginRegistry.load()));
        Set<String> flagged = paths(schema.validate(yaml(broken)));

        SpecLoader loader = new SpecLoader(PluginRegistry.load(), name -> null, Map.of());
        Set<String> reported = new TreeSet<>();
        assertThatThrownBy(() -> loader.load(broken))
                .isInstanceOfSatisfying(
                        SpecException.class,
                        e -> e.problems().forEach(p -> reported.add(p.path())));

        assertThat(flagged)
                .contains(
                        "pipelines[0].steps[1].processor", // fitler
                        "pipelines[0].steps[3].window.sze", // a typo of size
                        "pipelines[0].steps[3].window.slide", // "5 minutes"
                        "sources[0].count", // "lots"
                        "sinks[1].type"); // fil
        assertThat(reported).containsAll(flagged);
    }

    /** A routes document with typos in a processor, in routes' params and in a route's key. */
    @Test
    void whatTheConfigSchemaFlagsTheLoaderFlagsAtTheSamePath() throws IOException {
        String text =
                Files.readString(ROOT.resolve("examples/wrongbook/config/routes.yaml"))
                        .replaceFirst("processor: window-aggregate", "processor: window-agregate")
                        .replaceFirst("rename:", "renmae:")
                        .replaceFirst("params: \\{window: 10m", "params: {widnow: 10m")
                        .replaceFirst("outputs: \\[alerts]", "outptus: [alerts]");
        Path file = Files.createTempFile("routes", ".yaml");
        Files.writeString(file, text);
        JsonSchema schema = DRAFT7.getSchema(JsonSchemas.config(PluginRegistry.load()));
        Set<String> flagged = paths(schema.validate(yaml(file)));

        SpecLoader loader = new SpecLoader(PluginRegistry.load(), name -> null, Map.of());
        Spec spec = loader.load(ROOT.resolve("examples/wrongbook/wrongbook.yaml"));
        RouteCatalog catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        Set<String> reported =
                new RoutesLoader(PluginRegistry.load())
                        .validate("routes.yaml", text, catalog).list().stream()
                                .map(Problem::path)
                                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(flagged)
                .contains(
                        "routes[3].processor",
                        "routes[0].params.renmae",
                        "routes[2].params.widnow",
                        "routes[2].outptus");
        assertThat(text).contains("window-agregate", "renmae", "widnow", "outptus");
        assertThat(reported).containsAll(flagged);
    }

    /** {@code a.b[2].c} as the loaders write paths; a missing or unknown key's name appended. */
    static Set<String> paths(Set<ValidationMessage> messages) {
        Set<String> out = new TreeSet<>();
        for (ValidationMessage m : messages) {
            JsonNodePath at = m.getInstanceLocation();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < at.getNameCount(); i++) {
                Object e = at.getElement(i);
                if (e instanceof Integer n) {
                    sb.append('[').append(n).append(']');
                } else {
                    sb.append(sb.isEmpty() ? "" : ".").append(e);
                }
            }
            if (m.getProperty() != null
                    && Set.of("required", "additionalProperties").contains(m.getType())) {
                sb.append(sb.isEmpty() ? "" : ".").append(m.getProperty());
            }
            out.add(sb.toString());
        }
        return out;
    }

    static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples"))) {
            return files.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !p.toString().contains("/target/"))
                    .filter(p -> !p.getFileName().toString().startsWith("tokens"))
                    .sorted()
                    .toList();
        }
    }

    static boolean isSpec(Path p) {
        try {
            return yaml(p).has("pipelines");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** YAML 1.2 (core schema), as editors read it: {@code on:} is a string key. */
    static JsonNode yaml(Path p) throws IOException {
        Load load = new Load(LoadSettings.builder().setSchema(new CoreSchema()).build());
        return JSON.valueToTree(load.loadFromString(Files.readString(p)));
    }
}
