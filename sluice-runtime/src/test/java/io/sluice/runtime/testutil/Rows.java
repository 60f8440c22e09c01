package io.sluice.runtime.testutil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * Row helpers for operator tests: input rows with raw text, outputs drained from harnesses,
 * tolerant comparison.
 */
public final class Rows {
    private Rows() {}

    /** A row as a source would produce it: values, the line's bytes and its origin. */
    public static EventRow row(String origin, Object... values) {
        StringBuilder raw = new StringBuilder();
        for (Object v : values) {
            raw.append(raw.length() == 0 ? "" : ",").append(v == null ? "" : v);
        }
        return new EventRow(values, raw.toString().getBytes(StandardCharsets.UTF_8), origin, 0L);
    }

    /** The values collected so far on the main output; the harness's output is emptied. */
    public static List<EventRow> drain(AbstractStreamOperatorTestHarness<EventRow> h) {
        List<EventRow> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((EventRow) r.getValue());
            }
        }
        h.getOutput().clear();
        return out;
    }

    /** The values collected so far on a side output; that side output is emptied. */
    public static List<EventRow> drain(
            AbstractStreamOperatorTestHarness<EventRow> h, OutputTag<EventRow> tag) {
        Queue<StreamRecord<EventRow>> q = h.getSideOutput(tag);
        List<EventRow> out = new ArrayList<>();
        if (q != null) {
            q.forEach(r -> out.add(r.getValue()));
            q.clear();
        }
        return out;
    }

    public static List<EventRow> drainDeadLetters(AbstractStreamOperatorTestHarness<EventRow> h) {
        return drain(h, DeadLetters.TAG);
    }

    /** A dead letter's value by field name. */
    public static Object dl(EventRow deadLetter, String field) {
        int i = DeadLetters.SCHEMA.indexOf(field);
        assertThat(i).as("dead-letter field %s", field).isNotNegative();
        return deadLetter.get(i);
    }

    /** Compares values; doubles to a relative 1e-9 (absolute 1e-12 near zero). */
    public static void assertValues(EventRow actual, Object... expected) {
        assertThat(actual.arity()).as("arity of %s", actual).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            Object a = actual.get(i);
            Object e = expected[i];
            if (e instanceof Double d && a instanceof Double ad) {
                double tol = Math.max(1e-12, Math.abs(d) * 1e-9);
                assertThat(ad).as("field %d of %s", i, actual).isCloseTo(d, within(tol));
            } else {
                assertThat(a).as("field %d of %s", i, actual).isEqualTo(e);
            }
        }
    }

    /**
     * Compares two row lists as multisets: both are ordered by {@code order} first, then compared
     * position by position with {@link #assertValues}.
     */
    public static void assertSameRows(
            List<EventRow> actual, List<Object[]> expected, Comparator<Object[]> order) {
        List<Object[]> a = new ArrayList<>(actual.stream().map(r -> r.values().clone()).toList());
        List<Object[]> e = new ArrayList<>(expected);
        a.sort(order);
        e.sort(order);
        assertThat(a).as("rows %s", actual).hasSameSizeAs(e);
        for (int i = 0; i < e.size(); i++) {
            assertValues(EventRow.of(a.get(i)), e.get(i));
        }
    }
}
