package io.sluice.runtime.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A file source's {@code columns}: for CSV without a header, named once each. */
class FileColumnsTest {
    static final String SPEC =
            """
            name: t
            sources:
              - id: s
                type: file
                path: x.csv
                format: %s
                columns: %s
                fields: [{name: a, type: string}]
            sinks: [{id: out, type: console}]
            pipelines:
              - id: p
                source: s
                dead-letters: out
                steps:
                  - {id: keep, processor: filter, condition: "a != ''", output: out}
            """;

    static List<String> problems(String format, String columns) {
        SpecException e =
                catchThrowableOfType(
                        SpecException.class, () -> Specs.load(SPEC.formatted(format, columns)));
        return e == null ? List.of() : e.problems().stream().map(Problem::toString).toList();
    }

    @Test
    void columnsNameTheColumnsOfCsvWithoutAHeader() {
        assertThat(problems("csv", "[a, b]")).isEmpty();
        assertThat(problems("json", "[a, b]"))
                .singleElement()
                .asString()
                .contains("sources[0].columns: 'columns' names the columns of CSV files");
        assertThat(problems("csv", "[a, a]"))
                .singleElement()
                .asString()
                .contains("a column is named twice");
        assertThat(problems("csv", "[]"))
                .singleElement()
                .asString()
                .contains("name at least one column");
    }
}
