package io.sluice.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FlinkSqlRunnerTest {
    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        String script =
                "-- a comment; with a semicolon\n"
                        + "SET 'a.b' = 'x;y';\n"
                        + "CREATE TABLE `t;1` (x STRING) WITH ('k' = 'it''s; fine');\n"
                        + "EXECUTE STATEMENT SET\nBEGIN\n"
                        + "INSERT INTO s SELECT * FROM t;\n"
                        + "-- another; comment\n"
                        + "INSERT INTO u SELECT ';' FROM t;\n"
                        + "END;\n";
        List<String> s = FlinkSqlRunner.statements(script);
        assertThat(s).hasSize(3);
        assertThat(s.get(0)).isEqualTo("SET 'a.b' = 'x;y';");
        assertThat(s.get(1)).isEqualTo("CREATE TABLE `t;1` (x STRING) WITH ('k' = 'it''s; fine');");
        assertThat(s.get(2))
                .startsWith("EXECUTE STATEMENT SET")
                .contains("INSERT INTO s SELECT * FROM t;", "INSERT INTO u SELECT ';' FROM t;")
                .endsWith("END;")
                .doesNotContain("another");
        assertThat(FlinkSqlRunner.statements(s.get(2).substring(s.get(2).indexOf("BEGIN") + 5)))
                .hasSize(3); // two INSERTs and the END
    }
}
