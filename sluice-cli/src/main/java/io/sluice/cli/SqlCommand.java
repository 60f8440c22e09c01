package io.sluice.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice sql URL QUERY}: runs one statement over JDBC and prints what it returns. */
@Command(
        name = "sql",
        mixinStandardHelpOptions = true,
        description =
                "Run one SQL statement in a MariaDB/MySQL or PostgreSQL database and print its"
                        + " rows as a table (or the update count), e.g. to look at a wide table.")
final class SqlCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "URL",
            description = "jdbc:mariadb://..., jdbc:mysql://... or jdbc:postgresql://...")
    String url;

    @Parameters(index = "1", paramLabel = "SQL", description = "the statement")
    String sql;

    @Option(
            names = "--user",
            paramLabel = "USER",
            description = "database user (default: ${DEFAULT-VALUE})")
    String user = "sluice";

    @Option(
            names = "--password",
            paramLabel = "PASSWORD",
            description = "its password (default: ${DEFAULT-VALUE})")
    String password = "sluice";

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "print at most N rows (default: ${DEFAULT-VALUE})")
    int limit = 50;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        try (Connection c = DriverManager.getConnection(url, user, password);
                Statement st = c.createStatement()) {
            if (!st.execute(sql)) {
                int n = st.getUpdateCount();
                out.println(n + (n == 1 ? " row changed" : " rows changed"));
                return 0;
            }
            try (ResultSet rs = st.getResultSet()) {
                ResultSetMetaData md = rs.getMetaData();
                int n = md.getColumnCount();
                List<String[]> rows = new ArrayList<>();
                String[] head = new String[n];
                for (int i = 0; i < n; i++) {
                    head[i] = md.getColumnLabel(i + 1);
                }
                rows.add(head);
                int total = 0;
                while (rs.next()) {
                    total++;
                    if (total > limit) {
                        continue;
                    }
                    String[] r = new String[n];
                    for (int i = 0; i < n; i++) {
                        String v = rs.getString(i + 1);
                        r[i] = v == null ? "NULL" : v;
                    }
                    rows.add(r);
                }
                int[] width = new int[n];
                for (String[] r : rows) {
                    for (int i = 0; i < n; i++) {
                        width[i] = Math.max(width[i], r[i].length());
                    }
                }
                for (int k = 0; k < rows.size(); k++) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        sb.append(i == 0 ? "" : "  ")
                                .append(String.format("%-" + width[i] + "s", rows.get(k)[i]));
                    }
                    out.println(sb.toString().stripTrailing());
                }
                out.println(
                        "("
                                + total
                                + (total == 1 ? " row" : " rows")
                                + (total > limit ? ", the first " + limit + " shown" : "")
                                + ")");
            }
            return 0;
        } catch (SQLException e) {
            err.println("error: " + Errors.oneLine(e));
            return SluiceCli.FAILED;
        }
    }
}
