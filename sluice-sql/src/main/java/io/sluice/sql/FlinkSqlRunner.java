package io.sluice.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

/**
 * Runs a Flink SQL script the way the SQL client does: {@code SET 'key' = 'value'} into the table
 * configuration, DDL one statement at a time, the {@code EXECUTE STATEMENT SET BEGIN ... END} block
 * (or loose {@code INSERT}s) as one job.
 */
public final class FlinkSqlRunner {
    private static final Pattern SET =
            Pattern.compile("(?is)SET\\s+'([^']*)'\\s*=\\s*'((?:[^']|'')*)'\\s*;?");

    private FlinkSqlRunner() {}

    /** Splits a script into statements: {@code ;} ends one outside quotes and comments. */
    public static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int n = script.length();
        for (int i = 0; i < n; i++) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                i = end < 0 ? n : end;
                cur.append('\n');
                continue;
            }
            if (c == '\'' || c == '`') {
                int end = i + 1;
                while (end < n) {
                    if (script.charAt(end) == c) {
                        if (end + 1 < n && script.charAt(end + 1) == c) {
                            end += 2;
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                cur.append(script, i, Math.min(end + 1, n));
                i = end;
                continue;
            }
            cur.append(c);
            if (c == ';') {
                String s = cur.toString().strip();
                String upper = s.toUpperCase();
                // a statement set's INSERTs end in ';' too: the block ends at END;
                if (upper.startsWith("EXECUTE STATEMENT SET")
                        && !upper.matches("(?s).*\\bEND\\s*;$")) {
                    continue;
                }
                if (!s.equals(";")) {
                    out.add(s);
                }
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().strip());
        }
        return out;
    }

    /**
     * Runs {@code script} in {@code env}; returns the result of its job (null when it has no
     * INSERT), which the caller may await.
     */
    public static TableResult run(String script, TableEnvironment env) {
        StatementSet inserts = prepare(script, env);
        return inserts == null ? null : inserts.execute();
    }

    /**
     * Plans {@code script} in {@code env} without running it: every statement is parsed and
     * validated, the job is optimised. Returns Flink's plan (empty when there is no INSERT).
     */
    public static String explain(String script, TableEnvironment env) {
        StatementSet inserts = prepare(script, env);
        return inserts == null ? "" : inserts.explain();
    }

    private static StatementSet prepare(String script, TableEnvironment env) {
        StatementSet inserts = null;
        for (String s : statements(script)) {
            String upper = s.toUpperCase();
            Matcher set = SET.matcher(s);
            if (set.matches()) {
                env.getConfig().set(set.group(1), set.group(2).replace("''", "'"));
            } else if (upper.startsWith("EXECUTE STATEMENT SET")) {
                String body = s.substring(upper.indexOf("BEGIN") + 5, upper.lastIndexOf("END"));
                inserts = inserts == null ? env.createStatementSet() : inserts;
                for (String insert : statements(body)) {
                    inserts.addInsertSql(insert.replaceFirst(";$", ""));
                }
            } else if (upper.startsWith("INSERT")) {
                inserts = inserts == null ? env.createStatementSet() : inserts;
                inserts.addInsertSql(s.replaceFirst(";$", ""));
            } else {
                env.executeSql(s.replaceFirst(";$", ""));
            }
        }
        return inserts;
    }
}
