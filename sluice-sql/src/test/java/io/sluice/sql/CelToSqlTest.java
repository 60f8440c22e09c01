package io.sluice.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Expr;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.util.List;
import org.junit.jupiter.api.Test;

class CelToSqlTest {
    static final RowSchema ROW =
            new RowSchema(
                    List.of(
                            new Field("fare", FieldType.DOUBLE, true),
                            new Field("n", FieldType.LONG, true),
                            new Field("company", FieldType.STRING, true),
                            new Field("ts", FieldType.TIMESTAMP, true)));

    static String sql(String cel) throws CelToSql.Unsupported {
        Problems problems = new Problems();
        CelSupport.Checked c =
                CelSupport.check(new Expr(cel, new Pos("t", 1, 1)), ROW, "x", problems, null);
        assertThat(problems.list()).isEmpty();
        return CelToSql.translate(c.ast(), ROW);
    }

    @Test
    void everyComparisonKeepsItsOperator() throws Exception {
        // each overload name starts with another's: less_equals_int64 with less_
        assertThat(sql("n <= 3")).isEqualTo("(`n` <= CAST(3 AS BIGINT))");
        assertThat(sql("n >= 3")).isEqualTo("(`n` >= CAST(3 AS BIGINT))");
        assertThat(sql("n < 3")).isEqualTo("(`n` < CAST(3 AS BIGINT))");
        assertThat(sql("fare > 2.5")).isEqualTo("(`fare` > 2.5E0)");
    }

    @Test
    void equalityIsNullSafeAsCels() throws Exception {
        // CEL: null == 'x' is false and null != 'x' true; SQL's = and <> would give NULL
        assertThat(sql("company == 'x'")).isEqualTo("(`company` IS NOT DISTINCT FROM 'x')");
        assertThat(sql("company != \"it's\"")).isEqualTo("(`company` IS DISTINCT FROM 'it''s')");
        assertThat(sql("company == null")).isEqualTo("(`company` IS NULL)");
    }

    @Test
    void aDoubleNegationIsNoComment() throws Exception {
        assertThat(sql("-(-fare)")).isEqualTo("(-((-(`fare`))))").doesNotContain("--");
    }

    @Test
    void whatHasNoSqlFormSaysWhy() {
        assertThatThrownBy(() -> sql("company.matches('^a')"))
                .isInstanceOf(CelToSql.Unsupported.class)
                .hasMessageContaining("function 'matches'");
        assertThatThrownBy(() -> sql("ts > 0"))
                .isInstanceOf(CelToSql.Unsupported.class)
                .hasMessageContaining("timestamp field 'ts'");
    }
}
