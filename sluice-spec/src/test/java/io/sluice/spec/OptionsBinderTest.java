package io.sluice.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.options.Expr;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsBinder;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsBinderTest {
    static final OptionsSchema WINDOW =
            OptionsSchema.builder()
                    .required("size", OptionType.DURATION, "")
                    .optional("slide", OptionType.DURATION, Duration.ofMinutes(1), "")
                    .build();
    static final OptionsSchema SCHEMA =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "")
                    .optional("count", OptionType.INT, 7L, "")
                    .optional("ratio", OptionType.DOUBLE, null, "")
                    .optional("on", OptionType.BOOLEAN, false, "")
                    .optional("kind", OptionType.oneOf("a", "b"), "a", "")
                    .optional("window", OptionType.object(WINDOW), null, "")
                    .optional("tags", OptionType.listOf(OptionType.STRING), List.of(), "")
                    .optional("when", OptionType.EXPRESSION, null, "")
                    .build();

    Problems problems = new Problems();

    Options bind(String yaml) {
        YNode node = YamlReader.read("t.yaml", yaml, problems);
        return new OptionsBinder(problems, Map.<String, String>of()::get).bind(node, SCHEMA, "");
    }

    List<String> problems() {
        return problems.list().stream().map(Problem::toString).toList();
    }

    @Test
    void bindsTypedValuesAndDefaults() {
        Options o =
                bind(
                        "name: x\nratio: 0.5\non: true\nwindow: {size: 1h}\ntags: [p, q]\nwhen: \"a > 1\"\n");
        assertThat(problems()).isEmpty();
        assertThat(o.string("name")).isEqualTo("x");
        assertThat(o.longValue("count")).isEqualTo(7L);
        assertThat(o.doubleValue("ratio")).isEqualTo(0.5);
        assertThat(o.bool("on")).isTrue();
        assertThat(o.string("kind")).isEqualTo("a");
        assertThat(o.object("window").duration("size")).isEqualTo(Duration.ofHours(1));
        assertThat(o.object("window").duration("slide")).isEqualTo(Duration.ofMinutes(1));
        assertThat(o.<String>list("tags")).containsExactly("p", "q");
        // the expression's position is its first character, inside the quotes
        assertThat(o.expr("when")).isEqualTo(new Expr("a > 1", new Pos("t.yaml", 6, 8)));
        assertThat(o.path("window")).isEqualTo("window");
        assertThat(o.object("window").path("size")).isEqualTo("window.size");
    }

    @Test
    void durationsTakeTheDocumentedUnits() {
        assertThat(OptionsBinder.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(OptionsBinder.duration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(OptionsBinder.duration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(OptionsBinder.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(OptionsBinder.duration("2d")).isEqualTo(Duration.ofDays(2));
    }

    @Test
    void everyProblemIsCollectedWithItsPosition() {
        bind(
                "count: many\nratio: NaN\non: yes\nkind: c\nwindow: {slide: 5 min}\ntags: p\nextra: 1\n");
        assertThat(problems())
                .containsExactly(
                        "t.yaml:1:1: name: missing required key 'name' (a string)",
                        "t.yaml:1:8: count: expected a whole number, found 'many'",
                        "t.yaml:2:8: ratio: expected a number, found 'NaN' (must be a finite number)",
                        "t.yaml:3:5: on: expected true or false, found 'yes'",
                        "t.yaml:4:7: kind: unknown value 'c' (known: a, b)",
                        "t.yaml:5:9: window.size: missing required key 'size' (a duration like 500ms, 30s, 5m, 1h or 2d)",
                        "t.yaml:5:17: window.slide: expected a duration like 500ms, 30s, 5m, 1h or 2d, found '5 min'",
                        "t.yaml:6:7: tags: expected a list of string values, found a scalar",
                        "t.yaml:7:1: extra: unknown key 'extra' (known: count, kind, name, on, ratio, tags, when, window)");
    }
}
