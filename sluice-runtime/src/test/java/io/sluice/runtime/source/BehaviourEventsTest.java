package io.sluice.runtime.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.codec.RowDecoder;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The user-behaviour generator, read through the example spec's own field mapping: every clean line
 * decodes, actions and tenants occur in their shares, hot items carry most events with Zipf-like
 * popularity, watch times come only with views and clicks, and broken lines become dead letters
 * with their reasons.
 */
class BehaviourEventsTest {
    static final int N = 100_000;

    @Test
    void linesDecodeWithTheExampleMappingInTheirShares() throws Exception {
        Spec spec =
                new SpecLoader(PluginRegistry.load())
                        .load(Path.of("../examples/recommend/behaviour.yaml"));
        Spec.SourceSpec source = spec.source("actions");
        GeneratedLines lines = GeneratorSourceFactory.lines(source.options());
        RowDecoder decoder = new RowDecoder(source, null);
        List<EventRow> dead = new ArrayList<>();
        Map<String, Integer> actions = new TreeMap<>();
        Map<String, Integer> items = new HashMap<>();
        int hot = 0;
        int watched = 0;
        int rows = 0;
        for (long i = 0; i < N; i++) {
            byte[] raw = lines.line(i);
            assertThat(raw).as("line %d is the same on every call", i).isEqualTo(lines.line(i));
            EventRow row = decoder.decode(raw, "actions:" + i, dead::add);
            if (row == null) {
                continue;
            }
            rows++;
            String action = (String) row.get(5);
            actions.merge(action, 1, Integer::sum);
            String item = (String) row.get(3);
            items.merge(item, 1, Integer::sum);
            if (Integer.parseInt(item.substring(2)) <= BehaviourEvents.HOT_ITEMS) {
                hot++;
            }
            Long watch = (Long) row.get(7);
            boolean viewOrClick = action.equals("view") || action.equals("click");
            assertThat(watch != null).as("watch time of %s", action).isEqualTo(viewOrClick);
            if (watch != null) {
                watched++;
                assertThat(watch).isPositive();
            }
            assertThat(List.of(BehaviourEvents.TENANTS)).contains((String) row.get(0));
            assertThat(List.of(BehaviourEvents.SCENARIOS)).contains((String) row.get(1));
        }
        // a dirty share of 0.5 %: four kinds, three of them dead letters at decoding (the missing
        // user is the validate step's to reject)
        assertThat(rows + dead.size()).isEqualTo(N);
        assertThat(dead.size()).isBetween(N / 400, N / 100);
        Map<String, Integer> reasons = new TreeMap<>();
        for (EventRow d : dead) {
            reasons.merge(DeadLetters.reason(d), 1, Integer::sum);
        }
        assertThat(reasons.keySet()).containsExactlyInAnyOrder("malformed-json", "bad-value");
        assertThat(actions.keySet()).containsExactlyInAnyOrder(BehaviourEvents.ACTIONS);
        for (int a = 0; a < BehaviourEvents.ACTIONS.length; a++) {
            double share = actions.get(BehaviourEvents.ACTIONS[a]) / (double) rows;
            assertThat(share)
                    .as(BehaviourEvents.ACTIONS[a])
                    .isCloseTo(
                            BehaviourEvents.ACTION_SHARE[a],
                            org.assertj.core.data.Offset.offset(0.01));
        }
        assertThat(hot / (double) rows).isCloseTo(0.8, org.assertj.core.data.Offset.offset(0.01));
        // Zipf: the most popular item about twice the second, ten times the tenth
        int first = items.get("i-1");
        assertThat(items.get("i-2") / (double) first).isBetween(0.4, 0.6);
        assertThat(items.get("i-10") / (double) first).isBetween(0.07, 0.13);
        assertThat(watched).isEqualTo(actions.get("view") + actions.get("click"));
    }

    @Test
    void theSameSeedGivesTheSameLinesAndAnotherSeedOthers() {
        BehaviourEvents a = new BehaviourEvents(7, 0, 50, 0.0);
        BehaviourEvents b = new BehaviourEvents(7, 0, 50, 0.0);
        BehaviourEvents c = new BehaviourEvents(8, 0, 50, 0.0);
        int differ = 0;
        for (long i = 0; i < 1_000; i++) {
            assertThat(a.line(i)).isEqualTo(b.line(i));
            differ += java.util.Arrays.equals(a.line(i), c.line(i)) ? 0 : 1;
        }
        assertThat(differ).isGreaterThan(990);
    }

    @Test
    void everyLineIsOneJsonObject() throws Exception {
        ObjectMapper json = new ObjectMapper();
        BehaviourEvents events = new BehaviourEvents(42, 1_704_067_200_000L, 50, 0.0);
        for (long i = 0; i < 1_000; i++) {
            JsonNode n = json.readTree(events.line(i));
            assertThat(n.isObject()).isTrue();
            assertThat(n.get("event_time").asText()).startsWith("2024-01-01T");
        }
    }
}
