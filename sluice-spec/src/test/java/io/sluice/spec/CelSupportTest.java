package io.sluice.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import org.junit.jupiter.api.Test;

class CelSupportTest {
    static final RowSchema SCHEMA =
            RowSchema.of(
                    new Field("miles", FieldType.DOUBLE, false),
                    new Field("secs", FieldType.LONG, false),
                    new Field("lat", FieldType.DOUBLE, true),
                    new Field("company", FieldType.STRING, true),
                    new Field("ts", FieldType.TIMESTAMP, false));

    Problems problems = new Problems();

    CelSupport.Checked check(String text, FieldType expected) {
        return CelSupport.check(
                new Expr(text, new Pos("s.yaml", 4, 11)),
                SCHEMA,
                "steps[0].expr",
                problems,
                expected);
    }

    @Test
    void typesFollowTheSchemaAndNullability() {
        assertThat(check("miles / (double(secs) / 3600.0)", null).type())
                .isEqualTo(FieldType.DOUBLE);
        assertThat(check("secs * 2", null).type()).isEqualTo(FieldType.LONG);
        assertThat(check("ts + 1000", null).type()).isEqualTo(FieldType.LONG);
        assertThat(check("lat != null && company == 'Flash Cab'", FieldType.BOOLEAN).type())
                .isEqualTo(FieldType.BOOLEAN);
        assertThat(check("miles >= 0", FieldType.BOOLEAN))
                .isNotNull(); // double vs int literal compares
        assertThat(problems.isEmpty()).isTrue();
    }

    @Test
    void errorsPointIntoTheFile() {
        assertThat(check("miles + secs", null)).isNull();
        assertThat(check("mile > 1.0", FieldType.BOOLEAN)).isNull();
        assertThat(check("miles * 2.0", FieldType.BOOLEAN)).isNull();
        assertThat(problems.list().stream().map(Problem::toString))
                .containsExactly(
                        "s.yaml:4:11: steps[0].expr: expression: undeclared reference to 'mile' (in container '')",
                        "s.yaml:4:11: steps[0].expr: expression yields double but bool is needed here",
                        "s.yaml:4:17: steps[0].expr: expression: found no matching overload for '_+_' applied to '(double, int)'; CEL does not mix int and double: convert one side, e.g. double(x)");
    }

    @Test
    void haversineMatchesTheSphericalLawOfCosines() {
        // Chicago Loop to O'Hare, checked with the spherical law of cosines (a different formula)
        double lat1 = Math.toRadians(41.8786), lon1 = Math.toRadians(-87.6251);
        double lat2 = Math.toRadians(41.9742), lon2 = Math.toRadians(-87.9073);
        double cosines =
                6371.0088
                        * Math.acos(
                                Math.sin(lat1) * Math.sin(lat2)
                                        + Math.cos(lat1) * Math.cos(lat2) * Math.cos(lon2 - lon1));
        assertThat(CelSupport.haversineKm(41.8786, -87.6251, 41.9742, -87.9073))
                .isCloseTo(cosines, within(1e-6));
        assertThat(CelSupport.haversineKm(10, 20, 10, 20)).isZero();
    }
}
