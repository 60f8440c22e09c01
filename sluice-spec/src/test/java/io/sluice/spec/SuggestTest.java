package io.sluice.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.problem.Suggest;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestTest {
    static final List<String> PROCESSORS =
            List.of("validate", "derive", "filter", "window-aggregate", "zscore-alert");

    @Test
    void suggestsTheClosestKnownWord() {
        assertThat(Suggest.closest("fitler", PROCESSORS)).hasValue("filter");
        assertThat(Suggest.closest("valdate", PROCESSORS)).hasValue("validate");
        assertThat(Suggest.closest("window-agregate", PROCESSORS)).hasValue("window-aggregate");
    }

    @Test
    void suggestsAWordSharingAStem() {
        assertThat(Suggest.closest("dead-letter", List.of("dead", "stats"))).hasValue("dead");
    }

    @Test
    void staysQuietWhenNothingIsClose() {
        assertThat(Suggest.closest("kafka", PROCESSORS)).isEmpty();
    }

    @Test
    void unknownListsTheKnownWordsSorted() {
        assertThat(Suggest.unknown("processor", "fitler", PROCESSORS))
                .isEqualTo(
                        "unknown processor 'fitler' (known: derive, filter, validate, window-aggregate, zscore-alert); did you mean 'filter'?");
    }
}
