package io.sluice.runtime.compose;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.row.EventRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.junit.jupiter.api.Test;

/** The data-driven watermarks that decide which rows the window steps see as late. */
class RowWatermarksTest {
    static final long MINUTE = 60_000L;

    /** Collects emitted watermarks. */
    static final class Collect implements WatermarkOutput {
        final List<Long> marks = new ArrayList<>();

        @Override
        public void emitWatermark(Watermark w) {
            marks.add(w.getTimestamp());
        }

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}
    }

    @Test
    void watermarkTrailsTheLargestEventTimeByTheDelayPlusOneMilli() {
        WatermarkStrategy<EventRow> strategy = RowWatermarks.strategy(1, Duration.ofMinutes(1));
        WatermarkGenerator<EventRow> gen = strategy.createWatermarkGenerator(null);
        TimestampAssigner<EventRow> ts = strategy.createTimestampAssigner(null);
        Collect out = new Collect();

        for (long t :
                new long[] {
                    10 * MINUTE, 9 * MINUTE, 12 * MINUTE, 12 * MINUTE, 11 * MINUTE, 13 * MINUTE
                }) {
            EventRow row = EventRow.of("k", t);
            long assigned = ts.extractTimestamp(row, -1L);
            assertThat(assigned).isEqualTo(t);
            gen.onEvent(row, assigned, out);
            gen.onPeriodicEmit(out); // nothing on a timer: the same input gives the same watermarks
        }

        assertThat(out.marks).containsExactly(9 * MINUTE - 1, 11 * MINUTE - 1, 12 * MINUTE - 1);
    }

    @Test
    void withoutDelayTheWatermarkIsJustBelowTheEventTime() {
        WatermarkStrategy<EventRow> strategy = RowWatermarks.strategy(0, Duration.ZERO);
        WatermarkGenerator<EventRow> gen = strategy.createWatermarkGenerator(null);
        Collect out = new Collect();
        gen.onEvent(EventRow.of(1000L), 1000L, out);
        assertThat(out.marks).containsExactly(999L);
    }
}
