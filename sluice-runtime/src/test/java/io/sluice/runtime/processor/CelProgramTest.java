package io.sluice.runtime.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cel.runtime.CelEvaluationException;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.yaml.Pos;
import org.junit.jupiter.api.Test;

class CelProgramTest {
    static final RowSchema SCHEMA =
            RowSchema.of(
                    new Field("tips", FieldType.DOUBLE, true),
                    new Field("fare", FieldType.DOUBLE, false),
                    new Field("tipsy", FieldType.DOUBLE, true));

    @Test
    void aFailedEvaluationNamesTheMissingValue() {
        CelProgram p = new CelProgram(new Expr("fare + tips", new Pos("s.yaml", 3, 9)), SCHEMA);
        EventRow row = EventRow.of(null, 10.0, null);
        CelEvaluationException e =
                catchThrowableOfType(CelEvaluationException.class, () -> p.eval(row));
        // 'tipsy' is missing too, but the expression does not use it
        assertThat(p.explain(row, e))
                .isEqualTo("No matching overload for function '_+_' (missing value: tips)");
    }

    @Test
    void nullResultsAndNullInputsFollowCel() throws Exception {
        CelProgram p =
                new CelProgram(
                        new Expr("tips != null ? tips : 0.0", new Pos("s.yaml", 3, 9)), SCHEMA);
        assertThat(p.eval(EventRow.of(null, 1.0, null))).isEqualTo(0.0);
        assertThat(p.eval(EventRow.of(2.5, 1.0, null))).isEqualTo(2.5);
    }
}
