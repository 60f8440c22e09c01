package io.sluice.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/recommend/taobao.yaml} on its bundled CSV without a header: every line becomes a
 * behaviour event with the mapped action, and the hourly action counts equal counts taken from the
 * CSV text itself.
 */
class TaobaoExampleITCase {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SPEC = Path.of("../examples/recommend/taobao.yaml");
    static final Map<String, String> ACTIONS =
            Map.of("pv", "view", "cart", "cart", "fav", "favorite", "buy", "purchase");

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @Test
    void headerlessCsvBecomesBehaviourEventsAndHourlyCounts(@TempDir Path out) throws Exception {
        Spec spec = new SpecLoader(PluginRegistry.load()).load(SPEC);
        FileSourceITCase.run(spec, SPEC.toAbsolutePath().getParent(), out);

        // the reference, from the CSV text: events per (action, hour)
        Map<String, Long> expected = new TreeMap<>();
        List<String> csv =
                Files.readAllLines(Path.of("../examples/recommend/data/userbehavior-sample.csv"));
        for (String line : csv) {
            String[] c = line.split(",");
            long hour = Long.parseLong(c[4]) / 3600 * 3600_000;
            expected.merge(ACTIONS.get(c[3]) + " " + Instant.ofEpochMilli(hour), 1L, Long::sum);
        }

        List<JsonNode> events = read(out.resolve("behaviour-events"));
        assertThat(events).hasSize(csv.size());
        JsonNode first =
                events.stream()
                        .filter(
                                e ->
                                        e.get("user_id").asText().equals(csv.get(0).split(",")[0])
                                                && e.get("item_id")
                                                        .asText()
                                                        .equals(csv.get(0).split(",")[1]))
                        .findFirst()
                        .orElseThrow();
        assertThat(first.get("tenant_id").asText()).isEqualTo("taobao");
        assertThat(first.get("scenario_id").asText()).isEqualTo("userbehavior");
        assertThat(first.get("action").asText()).isEqualTo(ACTIONS.get(csv.get(0).split(",")[3]));
        assertThat(Instant.parse(first.get("event_time").asText()).getEpochSecond())
                .isEqualTo(Long.parseLong(csv.get(0).split(",")[4]));

        Map<String, Long> actual = new TreeMap<>();
        for (JsonNode n : read(out.resolve("action-counts"))) {
            actual.put(
                    n.get("action").asText() + " " + n.get("window_start").asText(),
                    n.get("events").asLong());
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(read(out.resolve("dead-letters"))).isEmpty();
    }

    private static List<JsonNode> read(Path folder) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(folder)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                for (String line : Files.readAllLines(p)) {
                    out.add(JSON.readTree(line));
                }
            }
        }
        return out;
    }
}
