package io.sluice.runtime.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunSummaryTest {
    /**
     * 100 rows in: 90 accepted, 10 rejected on the way (bad values); of the accepted, 4 were later
     * refused by a sink's database and 2 came too late for a window. Those 6 are copies of accepted
     * rows, so the balance holds and the summary shows them apart.
     */
    @Test
    void rowsRefusedByASinkAreAcceptedRowsShownApart() {
        RunSummary s =
                RunSummary.from(
                        "job",
                        "abc",
                        Duration.ofSeconds(1),
                        Map.of(
                                Counters.ROWS_IN,
                                100L,
                                Counters.ACCEPTED,
                                90L,
                                Counters.DEAD_PREFIX + "bad-value",
                                10L,
                                Counters.DEAD_PREFIX + "sink-rejected",
                                4L,
                                Counters.DEAD_PREFIX + "late",
                                2L),
                        null);
        assertThat(s.rejected()).isEqualTo(10);
        assertThat(s.sinkRejected()).isEqualTo(4);
        assertThat(s.balanced()).isTrue();
        assertThat(s.render())
                .contains("rows in                100  = accepted 90 + dead letters 10\n")
                .contains("sink rejects             4  (accepted, refused by a sink's database");
    }
}
