package io.sluice.runtime.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The wrong-answer book generator: deterministic lines in the business envelope, the four event
 * types in their shares, ids within the dimension ranges (so every event has its dimension rows),
 * bursts of struggling students, and a dirty share of broken lines.
 */
class WrongbookEventsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int N = 40_000;

    @Test
    void eventsComeInTheirSharesWithIdsTheDimensionsHave() throws Exception {
        WrongbookEvents gen = new WrongbookEvents(9, 1_700_000_000_000L, 500, 0.01);
        Map<String, Integer> types = new TreeMap<>();
        Map<String, Integer> addsPerUser = new HashMap<>();
        int broken = 0;
        for (int i = 0; i < N; i++) {
            byte[] line = gen.line(i);
            assertThat(gen.line(i)).isEqualTo(line);
            JsonNode e;
            try {
                e = JSON.readTree(line);
            } catch (java.io.IOException ex) {
                broken++;
                continue;
            }
            if (!e.get("event_type").isTextual() || !e.get("payload").isObject()) {
                broken++;
                continue;
            }
            JsonNode p = e.get("payload");
            if (!p.get("created_at").asText().contains("T")) {
                broken++;
                continue;
            }
            String type = e.get("event_type").asText();
            types.merge(type, 1, Integer::sum);
            assertThat(e.get("domain").asText()).isEqualTo("wrongbook");
            int user = Integer.parseInt(p.get("user_id").asText().substring(2));
            int question = Integer.parseInt(p.get("question_id").asText().substring(2));
            assertThat(user).isBetween(1, WrongbookEvents.USERS);
            assertThat(question).isBetween(1, WrongbookEvents.QUESTIONS);
            assertThat(p.get("wrong_id").asText()).isEqualTo("w-" + user + "-" + question);
            assertThat(e.get("tenant_id").asText()).isEqualTo(WrongbookDimensions.schoolOf(user));
            if (type.equals("wrongbook_add")) {
                assertThat(p.get("result").asText()).isEqualTo("wrong");
                addsPerUser.merge(p.get("user_id").asText(), 1, Integer::sum);
            }
        }
        assertThat(types.keySet())
                .containsExactlyElementsOf(
                        new TreeMap<>(
                                        Map.of(
                                                "wrongbook_add",
                                                0,
                                                "wrongbook_delete",
                                                0,
                                                "wrongbook_fix",
                                                0,
                                                "wrongbook_review",
                                                0))
                                .keySet());
        double adds = types.get("wrongbook_add") / (double) (N - broken);
        assertThat(adds).isBetween(0.55, 0.60); // 55 % plus the bursts
        assertThat(broken).isBetween(N / 200, N / 50);
        // the struggling students add far more than the others
        assertThat(addsPerUser.get("u-1")).isGreaterThan(20 * addsPerUser.getOrDefault("u-100", 1));
    }

    @Test
    void dimensionInsertsCoverEveryId() {
        List<String> inserts = WrongbookDimensions.inserts();
        String all = String.join("\n", inserts);
        assertThat(all).contains("('s-1', 'math')").contains("('q-3000', ").contains("('u-2000', ");
        assertThat(inserts).hasSize(8 + 3_000 / 500 + 2_000 / 500);
        assertThat(WrongbookDimensions.subjectName(WrongbookDimensions.subjectOf(8)))
                .isEqualTo("math");
    }
}
