package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every spec under examples/ is valid with the plugins the CLI carries (Kafka and Redis too). */
class ExampleSpecsTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyExampleSpecIsValid() throws IOException {
        List<Path> specs;
        try (Stream<Path> files = Files.walk(ROOT.resolve("examples"))) {
            specs =
                    files.filter(p -> p.toString().endsWith(".yaml"))
                            .filter(p -> !p.toString().contains("/config/"))
                            .filter(p -> !p.toString().contains("/target/"))
                            .filter(p -> !p.getFileName().toString().startsWith("tokens"))
                            .filter(p -> !p.getFileName().toString().startsWith("routes"))
                            .sorted()
                            .toList();
        }
        assertThat(specs)
                .extracting(p -> ROOT.relativize(p).toString())
                .contains(
                        "examples/recommend/recommend.yaml",
                        "examples/taxi/taxi.yaml",
                        "examples/shop/shop.yaml");
        SpecLoader loader = new SpecLoader(PluginRegistry.load(), name -> null, java.util.Map.of());
        for (Path p : specs) {
            Spec s = loader.load(p);
            assertThat(s.name()).as(p.toString()).isNotBlank();
        }
    }

    /** The wrong-answer book's routes, and those the walkthrough onboards, fit its spec. */
    @Test
    void theWrongbookRoutesFitItsSpec() throws IOException {
        SpecLoader loader = new SpecLoader(PluginRegistry.load(), name -> null, java.util.Map.of());
        Spec spec = loader.load(ROOT.resolve("examples/wrongbook/wrongbook.yaml"));
        RouteCatalog catalog = RouteCatalog.of(spec, spec.pipelines().get(0));
        RoutesLoader routes = new RoutesLoader(PluginRegistry.load());
        for (String f :
                List.of(
                        "examples/wrongbook/config/routes.yaml",
                        "examples/wrongbook/routes-with-reviews.yaml")) {
            Problems problems = routes.validate(f, Files.readString(ROOT.resolve(f)), catalog);
            assertThat(problems.list()).as(f).isEmpty();
        }
    }
}
