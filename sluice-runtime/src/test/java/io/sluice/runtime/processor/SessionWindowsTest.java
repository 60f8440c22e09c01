package io.sluice.runtime.processor;

import static io.sluice.runtime.processor.WindowAggregateProcessorTest.BY_KEY_AND_WINDOW;
import static io.sluice.runtime.processor.WindowAggregateProcessorTest.MINUTE;
import static io.sluice.runtime.processor.WindowAggregateProcessorTest.T0;
import static io.sluice.runtime.processor.WindowAggregateProcessorTest.spec;
import static io.sluice.runtime.testutil.Rows.assertSameRows;
import static io.sluice.runtime.testutil.Rows.drain;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Harnesses;
import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session windows of {@code window-aggregate}: a key's rows closer than the gap form one session
 * [first row, last row + gap), checked against sessions cut by hand from the sorted rows.
 */
class SessionWindowsTest {
    static final String SESSION = "{type: session, size: 10m}";

    @TempDir Path tmp;

    @Test
    void sessionsMatchRowsCutAtEveryGap() throws Exception {
        Specs.LoadedStep s = Specs.step(spec(SESSION, "0s", ""), "area-stats");
        Random random = new Random(11);
        TreeMap<Long, List<long[]>> byKey = new TreeMap<>(); // key -> (ts, fare cents)
        List<EventRow> rows = new ArrayList<>();
        long ts = T0;
        for (int i = 0; i < 600; i++) {
            ts +=
                    random.nextInt(4) == 0
                            ? random.nextInt((int) (30 * MINUTE))
                            : random.nextInt(60_000);
            long key = random.nextInt(3);
            long cents = random.nextInt(10_000);
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new long[] {ts, cents});
            rows.add(row("t:" + i, key, ts, cents / 100.0));
        }
        List<Object[]> expected = new ArrayList<>();
        byKey.forEach((key, events) -> expected.addAll(sessions(key, events, 10 * MINUTE)));
        assertThat(expected.size()).as("sessions").isGreaterThan(30);
        try (KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                Harnesses.keyed(s, tmp)) {
            for (EventRow r : rows) {
                h.processElement(r, (Long) r.get(1));
            }
            h.processWatermark(Long.MAX_VALUE);
            assertSameRows(drain(h), expected, BY_KEY_AND_WINDOW);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    /** Sessions of one key's rows in time order; rows exactly a gap apart still meet. */
    private static List<Object[]> sessions(long key, List<long[]> events, long gap) {
        List<Object[]> out = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= events.size(); i++) {
            if (i == events.size() || events.get(i)[0] - events.get(i - 1)[0] > gap) {
                List<long[]> session = events.subList(from, i);
                double sum = 0;
                double min = Double.MAX_VALUE;
                double max = -Double.MAX_VALUE;
                for (long[] e : session) {
                    double fare = e[1] / 100.0;
                    sum += fare;
                    min = Math.min(min, fare);
                    max = Math.max(max, fare);
                }
                double mean = sum / session.size();
                double squares = 0;
                for (long[] e : session) {
                    squares += (e[1] / 100.0 - mean) * (e[1] / 100.0 - mean);
                }
                long n = session.size();
                out.add(
                        new Object[] {
                            key,
                            session.get(0)[0],
                            session.get(session.size() - 1)[0] + gap,
                            n,
                            n,
                            sum,
                            mean,
                            min,
                            max,
                            Math.sqrt(squares / n)
                        });
                from = i;
            }
        }
        return out;
    }

    @Test
    void aSessionHasNoSlide() {
        SpecException e =
                catchThrowableOfType(
                        SpecException.class,
                        () -> Specs.load(spec("{type: session, size: 10m, slide: 5m}", "0s", "")));
        assertThat(e.problems().stream().map(Problem::toString))
                .anySatisfy(
                        p ->
                                assertThat(p)
                                        .contains(
                                                "window.slide: a session window has no slide: it"
                                                        + " lasts until 'size' passes without rows"));
    }
}
