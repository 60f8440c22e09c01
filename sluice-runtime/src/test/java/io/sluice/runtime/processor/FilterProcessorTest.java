package io.sluice.runtime.processor;

import static io.sluice.runtime.testutil.Rows.dl;
import static io.sluice.runtime.testutil.Rows.drain;
import static io.sluice.runtime.testutil.Rows.drainDeadLetters;
import static io.sluice.runtime.testutil.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Harnesses;
import io.sluice.runtime.testutil.Specs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterProcessorTest {
    static final String SPEC =
            """
      name: filter-test
      sources:
        - id: trips
          type: file
          path: trips.csv
          fields:
            - {name: trip_id, type: string}
            - {name: fare, type: double}
            - {name: company, type: string}
      sinks: [{id: out, type: console}, {id: dead, type: console}]
      pipelines:
        - id: taxi
          source: trips
          dead-letters: dead
          steps:
            - id: big-fares
              processor: filter
              condition: 'fare > 10.0 && company != "free"'
      """;

    @TempDir Path tmp;
    OneInputStreamOperatorTestHarness<EventRow, EventRow> h;

    @BeforeEach
    void open() throws Exception {
        h = Harnesses.oneInput(Specs.step(SPEC, "big-fares"), tmp);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void keepsRowsMeetingTheConditionInOrder() throws Exception {
        EventRow kept1 = row("f:1", "a", 10.5, "acme");
        EventRow edge = row("f:2", "b", 10.0, "acme"); // not greater than 10
        EventRow free = row("f:3", "c", 50.0, "free");
        EventRow kept2 = row("f:4", "d", 99.0, null); // null != "free" holds
        EventRow low = row("f:5", "e", -3.0, "acme");

        for (EventRow r : List.of(kept1, edge, free, kept2, low)) {
            h.processElement(r, 5L);
        }

        List<EventRow> out = drain(h);
        assertThat(out).containsExactly(kept1, kept2);
        assertThat(out.get(0).origin()).isEqualTo("f:1");
        assertThat(out.get(1).raw()).isEqualTo(kept2.raw());
        assertThat(drainDeadLetters(h)).isEmpty();
    }

    @Test
    void manyRowsAgainstTheConditionWrittenInJava() throws Exception {
        Random random = new Random(11);
        List<EventRow> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            double fare = Math.round(random.nextDouble() * 2000) / 100.0;
            String company = List.of("acme", "free", "zip").get(random.nextInt(3));
            EventRow r = row("f:" + i, "t" + i, fare, company);
            if (fare > 10.0 && !Objects.equals(company, "free")) {
                expected.add(r);
            }
            h.processElement(r, i);
        }
        assertThat(drain(h)).containsExactlyElementsOf(expected);
    }

    @Test
    void aConditionThatCannotBeEvaluatedSendsTheRowToDeadLetters() throws Exception {
        EventRow noFare = row("f:9", "z", null, "acme");
        h.processElement(noFare, 0L);

        assertThat(drain(h)).isEmpty();
        List<EventRow> dead = drainDeadLetters(h);
        assertThat(dead).hasSize(1);
        assertThat(dl(dead.get(0), "reason")).isEqualTo("expression-error");
        assertThat((String) dl(dead.get(0), "message"))
                .startsWith("condition could not be evaluated");
        assertThat(dl(dead.get(0), "position")).isEqualTo(Specs.position(SPEC, "- id: big-fares"));
        assertThat(dl(dead.get(0), "origin")).isEqualTo("f:9");
        assertThat(dl(dead.get(0), "step")).isEqualTo("taxi.big-fares");
        assertThat(dl(dead.get(0), "payload")).isEqualTo("z,,acme");
    }
}
