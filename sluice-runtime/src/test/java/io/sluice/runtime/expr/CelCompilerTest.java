package io.sluice.runtime.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cel.runtime.CelEvaluationException;
import io.sluice.runtime.processor.CelProgram;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.testutil.Specs;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.options.Expr;
import io.sluice.spec.options.Options;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CelCompilerTest {
    static final RowSchema SCHEMA =
            RowSchema.of(
                    new Field("i", FieldType.LONG, false),
                    new Field("ni", FieldType.LONG, true),
                    new Field("d", FieldType.DOUBLE, false),
                    new Field("nd", FieldType.DOUBLE, true),
                    new Field("name", FieldType.STRING, true),
                    new Field("nb", FieldType.BOOLEAN, true));

    static Expr expr(String text) {
        return new Expr(text, new Pos("t.yaml", 1, 1));
    }

    /** Evaluates compiled (asserting it is) and interpreted; they must agree. */
    static Object eval(String text, Object... values) throws CelEvaluationException {
        CelProgram fast = new CelProgram(expr(text), SCHEMA);
        assertThat(fast.isCompiled()).as(fast.interpretedBecause()).isTrue();
        EventRow row = row(values);
        Object slow;
        try {
            slow = CelProgram.interpreted(expr(text), SCHEMA).eval(row);
        } catch (CelEvaluationException e) {
            CelEvaluationException mine =
                    catchThrowableOfType(CelEvaluationException.class, () -> fast.eval(row));
            assertThat(mine.getMessage()).isEqualTo(e.getMessage());
            throw mine;
        }
        Object result = fast.eval(row);
        assertThat(result).isEqualTo(slow);
        return result;
    }

    static String error(String text, Object... values) {
        CelEvaluationException e =
                catchThrowableOfType(CelEvaluationException.class, () -> eval(text, values));
        assertThat(e).as(text).isNotNull();
        return new CelProgram(expr(text), SCHEMA).explain(row(values), e);
    }

    /** The given values, or all null for expressions that use no field. */
    static EventRow row(Object... values) {
        return EventRow.of(values.length == 0 ? new Object[SCHEMA.size()] : values);
    }

    @Test
    void theTaxiExampleCompilesEveryExpression() throws Exception {
        Spec spec = new SpecLoader(Specs.registry()).load(Path.of("../examples/taxi/taxi.yaml"));
        Spec.StepSpec features =
                spec.pipelines().get(0).steps().stream()
                        .filter(s -> s.id().equals("features"))
                        .findFirst()
                        .orElseThrow();
        RowSchema schema = features.input();
        List<String> texts = new ArrayList<>();
        for (Options f : features.options().<Options>list("fields")) {
            for (String key : List.of("expr", "when")) {
                Expr e = f.expr(key);
                if (e != null) {
                    CelProgram p = new CelProgram(e, schema);
                    assertThat(p.isCompiled())
                            .as(e.text() + ": " + p.interpretedBecause())
                            .isTrue();
                    texts.add(e.text());
                }
            }
            schema = schema.with(features.result().field(f.string("name")));
        }
        assertThat(texts)
                .containsExactly(
                        "trip_miles / (double(trip_seconds) / 3600.0)",
                        "fare / trip_miles",
                        "trip_miles > 0.0",
                        "haversine_km(pickup_lat, pickup_lon, dropoff_lat, dropoff_lon)",
                        "pickup_lat != null && pickup_lon != null && dropoff_lat != null"
                                + " && dropoff_lon != null");
    }

    @Test
    void theTaxiExpressionsGiveTheInterpretersResults() throws Exception {
        RowSchema taxi =
                RowSchema.of(
                        new Field("trip_seconds", FieldType.LONG, false),
                        new Field("trip_miles", FieldType.DOUBLE, false),
                        new Field("fare", FieldType.DOUBLE, false),
                        new Field("pickup_lat", FieldType.DOUBLE, true),
                        new Field("pickup_lon", FieldType.DOUBLE, true),
                        new Field("dropoff_lat", FieldType.DOUBLE, true),
                        new Field("dropoff_lon", FieldType.DOUBLE, true));
        List<EventRow> rows =
                List.of(
                        EventRow.of(900L, 3.2, 14.25, 41.88, -87.63, 41.97, -87.66),
                        EventRow.of(60L, 0.0, 3.25, null, -87.63, 41.97, -87.66),
                        EventRow.of(0L, 1.0, 0.0, null, null, null, null));
        for (String text :
                List.of(
                        "trip_miles / (double(trip_seconds) / 3600.0)",
                        "fare / trip_miles",
                        "trip_miles > 0.0",
                        "haversine_km(pickup_lat, pickup_lon, dropoff_lat, dropoff_lon)",
                        "pickup_lat != null && pickup_lon != null && dropoff_lat != null"
                                + " && dropoff_lon != null")) {
            CelProgram fast = new CelProgram(expr(text), taxi);
            CelProgram slow = CelProgram.interpreted(expr(text), taxi);
            assertThat(fast.isCompiled()).isTrue();
            assertThat(slow.isCompiled()).isFalse();
            for (EventRow row : rows) {
                Object expected;
                try {
                    expected = slow.eval(row);
                } catch (CelEvaluationException e) {
                    expected = "error: " + slow.explain(row, e);
                }
                Object actual;
                try {
                    actual = fast.eval(row);
                } catch (CelEvaluationException e) {
                    actual = "error: " + fast.explain(row, e);
                }
                assertThat(actual).as(text).isEqualTo(expected);
            }
        }
        // a missing coordinate: CEL finds no overload for null
        assertThat(
                        catchThrowableOfType(
                                        CelEvaluationException.class,
                                        () ->
                                                new CelProgram(
                                                                expr(
                                                                        "haversine_km(pickup_lat,"
                                                                                + " pickup_lon,"
                                                                                + " dropoff_lat,"
                                                                                + " dropoff_lon)"),
                                                                taxi)
                                                        .eval(rows.get(1)))
                                .getMessage())
                .contains("No matching overload for function 'haversine_km'");
    }

    @Test
    void unsupportedExpressionsFallBackToTheInterpreter() throws Exception {
        for (String text :
                List.of(
                        "name.matches('a.*')",
                        "i in [1, 2, 3]",
                        "[1, 2][0] == i",
                        "size({'a': i}) == 1",
                        "dyn(i) == 1",
                        "type(i) == int")) {
            CelProgram p = new CelProgram(expr(text), SCHEMA);
            assertThat(p.isCompiled()).as(text).isFalse();
            assertThat(p.interpretedBecause()).isNotBlank();
        }
        CelProgram matches = new CelProgram(expr("name.matches('a.*')"), SCHEMA);
        assertThat(matches.interpretedBecause()).contains("matches");
        assertThat(matches.eval(EventRow.of(1L, null, 0.0, null, "abc", null))).isEqualTo(true);
        assertThat(matches.eval(EventRow.of(1L, null, 0.0, null, "xyz", null))).isEqualTo(false);
        CelProgram in = new CelProgram(expr("i in [1, 2, 3]"), SCHEMA);
        assertThat(in.eval(EventRow.of(2L, null, 0.0, null, null, null))).isEqualTo(true);
    }

    @Test
    void intArithmeticFailsOnOverflowAndDivisionByZero() throws Exception {
        assertThat(eval("i * 2", 4L, null, 0.0, null, null, null)).isEqualTo(8L);
        assertThat(eval("-7 / 2")).isEqualTo(-3L);
        assertThat(eval("-7 % 2")).isEqualTo(-1L);
        assertThat(eval("i % -1", Long.MIN_VALUE, null, 0.0, null, null, null)).isEqualTo(0L);
        assertThat(error("i + 1", Long.MAX_VALUE, null, 0.0, null, null, null))
                .isEqualTo("long overflow");
        assertThat(error("-i", Long.MIN_VALUE, null, 0.0, null, null, null))
                .isEqualTo("long overflow");
        assertThat(error("i / -1", Long.MIN_VALUE, null, 0.0, null, null, null))
                .isEqualTo("most negative number wraps");
        assertThat(error("i / 0", 1L, null, 0.0, null, null, null)).isEqualTo("/ by zero");
        assertThat(error("i % 0", 1L, null, 0.0, null, null, null)).isEqualTo("/ by zero");
        // doubles are IEEE: no errors
        assertThat(eval("d / 0.0", 1L, null, 1.0, null, null, null))
                .isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void aNullInArithmeticOrOrderingIsAnError() throws Exception {
        Object[] row = {1L, null, 2.0, null, null, null};
        assertThat(error("ni + 1", row))
                .isEqualTo("No matching overload for function '_+_'" + " (missing value: ni)");
        assertThat(error("nd < 1.0", row)).startsWith("No matching overload for function '_<_'");
        assertThat(error("size(name)", row)).startsWith("No matching overload for function 'size'");
        assertThat(eval("ni == null", row)).isEqualTo(true);
        assertThat(eval("ni == 1", row)).isEqualTo(false);
        assertThat(eval("nd != null ? nd : 0.0", row)).isEqualTo(0.0);
        assertThat(eval("ni", row)).isNull();
        // an argument's own error comes before the null's missing overload, as in CEL
        assertThat(error("ni + (i / 0)", row)).startsWith("/ by zero");
    }

    @Test
    void andOrAbsorbErrorsOnEitherSide() throws Exception {
        Object[] row = {1L, null, 2.0, null, null, null};
        assertThat(eval("ni + 1 > 0 && false", row)).isEqualTo(false);
        assertThat(eval("false && ni + 1 > 0", row)).isEqualTo(false);
        assertThat(eval("ni + 1 > 0 || true", row)).isEqualTo(true);
        assertThat(eval("true || ni + 1 > 0", row)).isEqualTo(true);
        assertThat(error("ni + 1 > 0 && true", row)).startsWith("No matching overload");
        assertThat(error("true && ni + 1 > 0", row)).startsWith("No matching overload");
        // a null bool is no error to absorb: on the left it fails whatever the right says
        assertThat(error("nb && false", row)).startsWith("expected boolean value");
        assertThat(error("nb ? 1 : 2", row)).startsWith("expected boolean value");
        assertThat(error("!nb", row)).startsWith("No matching overload for function '!_'");
        assertThat(eval("false && nb", row)).isEqualTo(false);
        // only the chosen branch runs
        assertThat(eval("i > 0 ? 1 : i / 0", row)).isEqualTo(1L);
    }

    @Test
    void comparisonsFollowCelsNumericRules() throws Exception {
        // int vs double (heterogeneous comparisons): NaN is above every int, -0.0 below 0
        assertThat(eval("d > i", 5L, null, Double.NaN, null, null, null)).isEqualTo(true);
        assertThat(eval("d < i", 0L, null, -0.0, null, null, null)).isEqualTo(true);
        assertThat(eval("d >= i", 0L, null, -0.0, null, null, null)).isEqualTo(false);
        // double vs double: IEEE, NaN compares false
        assertThat(eval("d <= d", 0L, null, Double.NaN, null, null, null)).isEqualTo(false);
        assertThat(eval("d == -0.0", 0L, null, 0.0, null, null, null)).isEqualTo(true);
        // equality checks identity first: a NaN field equals itself, a computed NaN does not
        assertThat(eval("d == d", 0L, null, Double.NaN, null, null, null)).isEqualTo(true);
        assertThat(eval("double(d) == d", 0L, null, Double.NaN, null, null, null)).isEqualTo(true);
        assertThat(eval("d + 0.0 == d + 0.0", 0L, null, Double.NaN, null, null, null))
                .isEqualTo(false);
        assertThat(eval("nd == d", 0L, null, Double.NaN, Double.NaN, null, null)).isEqualTo(false);
    }

    @Test
    void conversionsFollowCel() throws Exception {
        Object[] row = {7L, null, -2.7, null, null, null};
        assertThat(eval("int(d)", row)).isEqualTo(-2L);
        assertThat(eval("int(-9223372036854775808.0)")).isEqualTo(Long.MIN_VALUE);
        assertThat(error("int(9223372036854775807.0)")).isEqualTo("double is out of range for int");
        assertThat(error("int(d)", 0L, null, Double.NaN, null, null, null))
                .isEqualTo("double is out of range for int");
        assertThat(eval("int('-12')")).isEqualTo(-12L);
        assertThat(error("int(' 12')")).isEqualTo("For input string: \" 12\"");
        assertThat(eval("double(' 1.5 ')")).isEqualTo(1.5);
        assertThat(eval("double('NaN')")).isEqualTo(Double.NaN);
        assertThat(eval("double(i)", row)).isEqualTo(7.0);
        assertThat(eval("string(d)", row)).isEqualTo("-2.7");
        assertThat(eval("string(1e20)")).isEqualTo("1.0E20");
        assertThat(eval("string(i) + '!'", row)).isEqualTo("7!");
        assertThat(eval("string(true)")).isEqualTo("true");
    }

    @Test
    void stringsCountCodePointsAndKeepEveryCharacter() throws Exception {
        Object[] row = {0L, null, 0.0, null, "a\"b\\c\n\uD83D\uDE00é", null};
        assertThat(eval("size(name)", row)).isEqualTo(8L);
        assertThat(eval("name.size()", row)).isEqualTo(8L);
        assertThat(eval("name == 'a\"b\\\\c\\n\\U0001F600é'", row)).isEqualTo(true);
        assertThat(eval("name.startsWith('a\"') && name.endsWith('é')", row)).isEqualTo(true);
        assertThat(eval("name.contains('\\\\c')", row)).isEqualTo(true);
        assertThat(eval("'x' + name < 'y'", row)).isEqualTo(true);
    }

    @Test
    void programsWithTheSameExpressionAndSchemaShareOneClass() {
        Expr e = expr("i + 40 > 2");
        CelSupport.Checked c = CelSupport.check(e, SCHEMA, "", new Problems(), null);
        CelCompiler.Result a = CelCompiler.compile(e.text(), SCHEMA, c.ast());
        CelCompiler.Result b = CelCompiler.compile(e.text(), SCHEMA, c.ast());
        assertThat(a.compiled()).isTrue();
        assertThat(b.expr()).isSameAs(a.expr());
        RowSchema other = SCHEMA.with(new Field("extra", FieldType.LONG, false));
        assertThat(CelCompiler.compile(e.text(), other, c.ast()).expr()).isNotSameAs(a.expr());
    }

    @Test
    void expressionsThatDifferOnlyInLiteralsShareOneClassWithTheirOwnValues() throws Exception {
        List<CelCompiler.Result> results = new ArrayList<>();
        for (String text : List.of("d > 20.5 && name != 'a'", "d > 22.5 && name != 'b'")) {
            Expr e = expr(text);
            CelSupport.Checked c = CelSupport.check(e, SCHEMA, "", new Problems(), null);
            results.add(CelCompiler.compile(text, SCHEMA, c.ast()));
        }
        assertThat(results.get(1).expr()).isNotSameAs(results.get(0).expr());
        assertThat(results.get(1).expr().getClass()).isSameAs(results.get(0).expr().getClass());
        Object[] row = {1L, null, 21.0, null, "b", null};
        assertThat(results.get(0).expr().eval(row)).isEqualTo(true);
        assertThat(results.get(1).expr().eval(row)).isEqualTo(false);
        assertThat(eval("d > 20.5 && name != 'a'", row)).isEqualTo(true); // as the interpreter
    }

    @Test
    void aDeserializedProgramCompilesAgain() throws Exception {
        CelProgram p = new CelProgram(expr("d * 2.0"), SCHEMA);
        assertThat(p.eval(EventRow.of(0L, null, 1.5, null, null, null))).isEqualTo(3.0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        CelProgram copy;
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (CelProgram) in.readObject();
        }
        assertThat(copy.isCompiled()).isTrue();
        assertThat(copy.eval(EventRow.of(0L, null, 2.0, null, null, null))).isEqualTo(4.0);
    }

    @Test
    void aSystemPropertyKeepsEveryExpressionInterpreted() throws Exception {
        System.setProperty("sluice.cel.compile", "false");
        try {
            CelProgram p = new CelProgram(expr("i + 1"), SCHEMA);
            assertThat(p.isCompiled()).isFalse();
            assertThat(p.eval(EventRow.of(1L, null, 0.0, null, null, null))).isEqualTo(2L);
        } finally {
            System.clearProperty("sluice.cel.compile");
        }
    }
}
