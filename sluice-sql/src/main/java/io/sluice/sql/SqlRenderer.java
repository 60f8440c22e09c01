package io.sluice.sql;

import static io.sluice.sql.SqlText.id;
import static io.sluice.sql.SqlText.string;

import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.SourceFactory;
import io.sluice.spec.expr.CelSupport;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.FieldMapping;
import io.sluice.spec.model.Spec.PipelineSpec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.model.Spec.StepSpec;
import io.sluice.spec.options.Expr;
import io.sluice.spec.options.Options;
import io.sluice.spec.plugin.PluginKind;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders the static parts of a spec as a Flink SQL script: a {@code CREATE TABLE} per source and
 * sink, a view per step, window table functions ({@code TUMBLE}, {@code HOP}, {@code SESSION},
 * {@code CUMULATE}) for {@code window-aggregate}, and an {@code INSERT INTO} per sink fed, all in
 * one statement set.
 *
 * <p>The script reproduces what the DataStream job writes for the rows it accepts: the same
 * decoding (a row that Sluice would reject at decoding is dropped, as is a CSV header line), the
 * same watermark ({@code max - out-of-orderness - 1 ms}, emitted at each advance), the same windows
 * and aggregates, the same JSON (timestamps as ISO-8601 UTC, non-finite doubles as null, the {@code
 * spec_hash} and {@code config_version} stamps). What SQL cannot express (dead letters, late-row
 * outputs, live routes, stateful alerts, CEL without an SQL equivalent) is a located problem, and
 * the place it would go carries a {@code -- NOT RENDERED} comment.
 */
public final class SqlRenderer {
    /** The largest finite double: {@code ABS(x) <= MAX} is false for NaN and infinities. */
    private static final String MAX_DOUBLE = "1.7976931348623157E308";

    private final Spec spec;
    private final RunContext run;
    private final PluginRegistry registry;
    private final List<Problem> problems = new ArrayList<>();
    private final List<String> setup = new ArrayList<>();
    private final List<String> tables = new ArrayList<>();
    private final List<String> views = new ArrayList<>();
    private final List<String> inserts = new ArrayList<>();
    private final Map<String, List<Column>> sinkColumns = new LinkedHashMap<>();
    private final Set<String> renderedSources = new LinkedHashSet<>();

    /** A sink table's column: name and SQL type. */
    private record Column(String name, String type) {}

    /** A view over rows of a schema; doubles that may be NaN or infinite (computed ones). */
    private record Rel(String name, RowSchema schema, Set<String> computed, String eventTime) {}

    private SqlRenderer(Spec spec, RunContext run, PluginRegistry registry) {
        this.spec = spec;
        this.run = run;
        this.registry = registry;
    }

    /**
     * The script for {@code spec}; file paths resolve against {@code run.specDir()}, file sinks
     * write under {@code run.outputDir()}.
     */
    public static SqlScript render(Spec spec, RunContext run, PluginRegistry registry)
            throws IOException {
        return new SqlRenderer(spec, run, registry).render();
    }

    private SqlScript render() throws IOException {
        setup.add("SET 'table.local-time-zone' = 'UTC';");
        // a watermark at every advance, as Sluice's generator emits them
        setup.add("SET 'pipeline.auto-watermark-interval' = '0';");
        setup.add("SET 'parallelism.default' = '" + spec.runtime().parallelism() + "';");
        Duration interval = spec.runtime().checkpointInterval();
        if (interval != null) {
            setup.add("SET 'execution.checkpointing.interval' = '" + interval.toMillis() + "ms';");
        }
        for (PipelineSpec p : spec.pipelines()) {
            pipeline(p);
        }
        for (SinkSpec k : spec.sinks()) {
            if (sinkColumns.containsKey(k.id())) {
                sinkTable(k, sinkColumns.get(k.id()));
            }
        }
        if (interval == null
                && renderedSources.stream().anyMatch(s -> !"file".equals(spec.source(s).type()))
                && sinkColumns.keySet().stream()
                        .anyMatch(k -> "file".equals(spec.sink(k).type()))) {
            note(
                    spec.pipelines().get(0).pos(),
                    "runtime.checkpoint-interval",
                    "Flink's file sink commits files at checkpoints: with an endless source and no"
                            + " checkpoint-interval the SQL job's files stay in progress; set"
                            + " runtime.checkpoint-interval");
        }
        List<String> statements = new ArrayList<>();
        statements.addAll(setup);
        statements.addAll(tables);
        statements.addAll(views);
        if (!inserts.isEmpty()) {
            StringBuilder set = new StringBuilder("EXECUTE STATEMENT SET\nBEGIN\n");
            for (String i : inserts) {
                set.append(i).append("\n");
            }
            set.append("END;");
            statements.add(set.toString());
        }
        StringBuilder text = new StringBuilder();
        text.append("-- Flink SQL for spec '")
                .append(spec.name())
                .append("' (")
                .append(spec.file())
                .append("), spec hash ")
                .append(spec.hash())
                .append(".\n-- Written by 'sluice render sql'; runs on Flink 2.2 with the")
                .append(" filesystem, kafka, jdbc, csv and json connectors.\n");
        if (problems.isEmpty()) {
            text.append("-- Complete: the script expresses every part of the spec.\n");
        } else {
            text.append("-- NOT RENDERED (").append(problems.size()).append("):\n");
            for (Problem p : problems) {
                text.append("--   ").append(oneLine(p.toString())).append("\n");
            }
        }
        for (String s : statements) {
            text.append("\n").append(s).append("\n");
        }
        return new SqlScript(text.toString(), statements, problems);
    }

    // ---- pipelines ----

    private void pipeline(PipelineSpec p) throws IOException {
        SourceSpec source = spec.source(p.source());
        Rel rel = source(source, p);
        if (rel == null) {
            return;
        }
        note(
                p.pos(),
                path(p) + ".dead-letters",
                "dead letters are not rendered: rows Sluice would send to '"
                        + p.deadLetters()
                        + "' (bad values, failed validation, CEL errors, late rows) are dropped by"
                        + " the SQL job, or kept with NULL where CEL fails and SQL yields NULL");
        for (int i = 0; i < p.steps().size(); i++) {
            StepSpec s = p.steps().get(i);
            Rel next = step(p, i, s, rel);
            if (next == null) {
                if (i + 1 < p.steps().size()) {
                    note(
                            p.steps().get(i + 1).pos(),
                            p.steps().get(i + 1).options().path(),
                            "not rendered: it follows step '"
                                    + s.id()
                                    + "', which has no SQL form (nor do the steps after it)");
                }
                break;
            }
            rel = next;
        }
        if (p.routes() != null) {
            note(
                    p.pos(),
                    path(p) + ".routes",
                    "live routes are read from a config store at run time: SQL has no form for"
                            + " them");
        }
        if (p.scenarios() != null) {
            note(
                    p.pos(),
                    path(p) + ".scenarios",
                    "recommendation scenarios are read from a config store at run time: SQL has"
                            + " no form for them");
        }
    }

    private String path(PipelineSpec p) {
        return "pipelines[" + spec.pipelines().indexOf(p) + "]";
    }

    // ---- sources ----

    /** The source table (once) and the pipeline's decoded view. */
    private Rel source(SourceSpec s, PipelineSpec p) throws IOException {
        String type = s.type();
        if (!type.equals("file") && !type.equals("kafka")) {
            note(
                    s.pos(),
                    s.options().path() + ".type",
                    "a '"
                            + type
                            + "' source has no SQL connector: pipeline '"
                            + p.id()
                            + "' is not rendered (read the same rows from a file or Kafka)");
            return null;
        }
        String format = s.format().type();
        List<String> columns;
        boolean header;
        if (format.equals("csv")) {
            columns = ((SourceFactory) registry.find(PluginKind.SOURCE, type)).csvHeader(s, run);
            if (columns == null) {
                note(
                        s.pos(),
                        s.options().path(),
                        "a CSV source without 'columns' and without a header line to read them"
                                + " from: not rendered");
                return null;
            }
            header = s.options().get("columns") == null;
        } else {
            columns = new ArrayList<>();
            for (FieldMapping m : s.fields()) {
                if (!m.recordTimestamp() && !columns.contains(m.column())) {
                    columns.add(m.column());
                }
            }
            header = false;
        }
        for (FieldMapping m : s.fields()) {
            if (m.recordTimestamp()) {
                note(
                        m.pos(),
                        s.options().path() + ".fields[" + s.fields().indexOf(m) + "]",
                        "the record's own timestamp has no SQL form here: pipeline '"
                                + p.id()
                                + "' is not rendered");
                return null;
            }
            if (!columns.contains(m.column())) {
                note(
                        m.pos(),
                        s.options().path() + ".fields[" + s.fields().indexOf(m) + "]",
                        "column '" + m.column() + "' is not among the input's " + columns);
                return null;
            }
            if (!format.equals("csv") && m == s.fields().get(0)) {
                note(
                        s.pos(),
                        s.options().path() + ".format",
                        "SQL reads JSON members as text: a number written as a string (\"12\") is"
                                + " taken where Sluice rejects it, and a line that is not JSON is"
                                + " dropped");
            }
            if (m.type() == FieldType.JSON) {
                note(
                        m.pos(),
                        s.options().path() + ".fields[" + s.fields().indexOf(m) + "]",
                        "json fields are kept as text in SQL, not in Sluice's compact form");
            }
            if (m.type() == FieldType.TIMESTAMP && m.pattern() == null && m.unit() == null) {
                note(
                        m.pos(),
                        s.options().path() + ".fields[" + s.fields().indexOf(m) + "]",
                        "ISO-8601 text is rendered for 'yyyy-MM-ddTHH:mm:ss[.SSS]' in the field's"
                                + " zone only; an offset in the text (Z, +02:00) makes the row"
                                + " invalid in SQL; give a 'pattern'");
            }
        }

        boolean csv = format.equals("csv");
        String eventTime = s.eventTime() == null ? null : s.eventTime().field();
        String table = id(s.id());
        if (csv) {
            note(
                    s.pos(),
                    s.options().path() + ".format",
                    "SQL splits each CSV line at the delimiter, without quoting (a malformed quote"
                            + " must not swallow the lines after it): a line holding a quote"
                            + " character (\") is dropped, where Sluice reads RFC 4180 quoted"
                            + " cells");
        }
        if (renderedSources.add(s.id())) {
            StringBuilder ddl = new StringBuilder();
            ddl.append("-- source '").append(s.id()).append("' (").append(s.pos()).append(")\n");
            ddl.append("CREATE TABLE ").append(table).append(" (\n");
            if (csv) {
                // each line as text: invalid UTF-8 becomes U+FFFD instead of failing the job
                ddl.append("  ").append(id("line")).append(" STRING,\n");
            } else {
                for (String c : columns) {
                    // the JSON format matches columns to members by name
                    ddl.append("  ").append(id(c)).append(" STRING,\n");
                }
            }
            if (eventTime != null) {
                FieldMapping m = mapping(s, eventTime);
                cell = csv ? c -> split(s, columns, c) : SqlRenderer::member;
                ddl.append("  -- the event time of rows that decode; epoch 0 (no watermark")
                        .append(" advance) for the others,\n  -- which Sluice sends to dead")
                        .append(" letters and the view below drops\n");
                ddl.append("  ")
                        .append(id("$event_time"))
                        .append(" AS CASE WHEN ")
                        .append(String.join("\n      AND ", valid(s, columns, header)))
                        .append("\n    THEN ")
                        .append(timestamp(m))
                        .append(" ELSE TO_TIMESTAMP_LTZ(0, 3) END,\n");
                ddl.append("  WATERMARK FOR ")
                        .append(id("$event_time"))
                        .append(" AS ")
                        .append(id("$event_time"))
                        .append(" - ")
                        .append(interval(s.eventTime().maxOutOfOrderness().plusMillis(1)))
                        .append("\n");
            } else {
                ddl.setLength(ddl.length() - 2);
                ddl.append("\n");
            }
            ddl.append(") WITH (\n").append(connector(s)).append("\n);");
            tables.add(ddl.toString());
            if (s.eventTime() != null && s.eventTime().idleTimeout() != null) {
                setup.add(
                        "SET 'table.exec.source.idle-timeout' = '"
                                + s.eventTime().idleTimeout().toMillis()
                                + "ms';");
            }
        }

        String from = table;
        if (csv) {
            // the cells of each line, by position in the header
            String cells = p.id() + "$cells";
            List<String> select = new ArrayList<>();
            select.add("  " + id("line"));
            for (String c : columns) {
                select.add("  " + split(s, columns, c) + " AS " + id("raw_" + c));
            }
            if (eventTime != null) {
                select.add("  " + id("$event_time"));
            }
            views.add(
                    "-- pipeline '"
                            + p.id()
                            + "' ("
                            + p.pos()
                            + ")\nCREATE TEMPORARY VIEW "
                            + id(cells)
                            + " AS\nSELECT\n"
                            + String.join(",\n", select)
                            + "\nFROM "
                            + table
                            + ";");
            from = id(cells);
        }
        cell = csv ? c -> id("raw_" + c) : SqlRenderer::member;
        StringBuilder view = new StringBuilder();
        String name = p.id() + "$decoded";
        view.append("-- rows that decode; Sluice sends the others to dead letters\n");
        view.append("CREATE TEMPORARY VIEW ").append(id(name)).append(" AS\nSELECT\n");
        List<String> select = new ArrayList<>();
        for (Field f : s.schema().fields()) {
            FieldMapping m = mapping(s, f.name());
            String e = f.name().equals(eventTime) ? id("$event_time") : typed(m);
            select.add("  " + e + " AS " + id(f.name()));
        }
        view.append(String.join(",\n", select)).append("\nFROM ").append(from).append("\nWHERE ");
        view.append(String.join("\n  AND ", valid(s, columns, header)));
        view.append(";");
        views.add(view.toString());
        return new Rel(name, s.schema(), Set.of(), eventTime);
    }

    /** A JSON member as text; an absent member (NULL) is a missing value, like empty text. */
    private static String member(String column) {
        return "COALESCE(" + id(column) + ", '')";
    }

    /** A CSV cell: the line split at the delimiter, by the column's position. */
    private static String split(SourceSpec s, List<String> columns, String column) {
        return "SPLIT_INDEX("
                + id("line")
                + ", "
                + string(String.valueOf(s.format().delimiter()))
                + ", "
                + columns.indexOf(column)
                + ")";
    }

    /** What makes a row decode cleanly, as {@code RowDecoder} decides, over {@link #cell}s. */
    private List<String> valid(SourceSpec s, List<String> columns, boolean header) {
        List<String> valid = new ArrayList<>();
        if (s.format().type().equals("csv")) {
            String d = string(String.valueOf(s.format().delimiter()));
            String line = id("line");
            valid.add(
                    "CHAR_LENGTH("
                            + line
                            + ") - CHAR_LENGTH(REPLACE("
                            + line
                            + ", "
                            + d
                            + ", '')) = "
                            + (columns.size() - 1));
            valid.add("POSITION('\"' IN " + line + ") = 0");
            valid.add("POSITION('\uFFFD' IN " + line + ") = 0");
            if (header) {
                valid.add(
                        line
                                + " <> "
                                + string(
                                        String.join(
                                                String.valueOf(s.format().delimiter()), columns)));
            }
        }
        for (FieldMapping m : s.fields()) {
            String check = parses(m);
            if (check != null) {
                valid.add(check);
            }
        }
        if (s.eventTime() != null) {
            // a row without its event time is a dead letter
            valid.add(raw(mapping(s, s.eventTime().field()).column()) + " <> ''");
        }
        return valid;
    }

    private static FieldMapping mapping(SourceSpec s, String field) {
        for (FieldMapping m : s.fields()) {
            if (m.name().equals(field)) {
                return m;
            }
        }
        throw new IllegalStateException("no mapping for " + field);
    }

    /** How a column's text is read where the SQL stands: a cell of the line, or a column. */
    private java.util.function.Function<String, String> cell = c -> id("raw_" + c);

    private String raw(String column) {
        return cell.apply(column);
    }

    /** The text of a field's column, stripped; empty text is a missing value. */
    private String text(FieldMapping m) {
        return "TRIM(" + raw(m.column()) + ")";
    }

    /** A predicate true when the field's text parses (or is empty), as ValueParser decides. */
    private String parses(FieldMapping m) {
        String t = text(m);
        String empty = raw(m.column()) + " = ''";
        String ok =
                switch (m.type()) {
                    case STRING, JSON -> null;
                    case LONG ->
                            "REGEXP("
                                    + t
                                    + ", '^[+-]?[0-9]+$') AND TRY_CAST("
                                    + t
                                    + " AS BIGINT) IS NOT NULL";
                    case DOUBLE ->
                            "REGEXP("
                                    + t
                                    + ", '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$')"
                                    + " AND ABS(TRY_CAST("
                                    + t
                                    + " AS DOUBLE)) <= "
                                    + MAX_DOUBLE;
                    case BOOLEAN -> "LOWER(" + t + ") IN ('true', 'false')";
                    case TIMESTAMP -> timestamp(m) + " IS NOT NULL";
                };
        return ok == null ? null : "(" + empty + " OR " + ok + ")";
    }

    /** The field's typed value (NULL for empty text); only for text that {@link #parses}. */
    private String typed(FieldMapping m) {
        String t = text(m);
        String value =
                switch (m.type()) {
                    case STRING, JSON -> raw(m.column());
                    case LONG -> "CAST(" + t + " AS BIGINT)";
                    case DOUBLE -> "CAST(" + t + " AS DOUBLE)";
                    case BOOLEAN -> "LOWER(" + t + ") = 'true'";
                    case TIMESTAMP -> timestamp(m);
                };
        return "CASE WHEN " + raw(m.column()) + " <> '' THEN " + value + " END";
    }

    private String timestamp(FieldMapping m) {
        String t = text(m);
        String zone = string(m.timeZone() == null ? "UTC" : m.timeZone());
        if (m.unit() != null) {
            return "TO_TIMESTAMP_LTZ(CASE WHEN REGEXP("
                    + t
                    + ", '^[+-]?[0-9]+$') THEN TRY_CAST("
                    + t
                    + " AS BIGINT) END, "
                    + (m.unit().equals("s") ? 0 : 3)
                    + ")";
        }
        String pattern =
                m.pattern() != null ? m.pattern() : "yyyy-MM-dd[ ]['T']HH:mm:ss[.SSS][.SS][.S]";
        return "TO_TIMESTAMP_LTZ(" + t + ", " + string(pattern) + ", " + zone + ")";
    }

    private String connector(SourceSpec s) {
        Map<String, String> w = new LinkedHashMap<>();
        Options o = s.options();
        if (s.type().equals("file")) {
            w.put("connector", "filesystem");
            w.put("path", run.specDir().resolve(o.string("path")).toUri().toString());
        } else {
            w.put("connector", "kafka");
            // Kafka takes the watermark into its source, which emits periodically unless told
            // otherwise; the interval 0 set above would turn that off
            w.put("scan.watermark.emit.strategy", "on-event");
            List<String> topics = o.list("topics");
            if (topics != null && !topics.isEmpty()) {
                w.put("topic", String.join(";", topics));
            } else if (o.string("topic-pattern") != null) {
                w.put("topic-pattern", o.string("topic-pattern"));
            }
            w.put("properties.bootstrap.servers", o.string("bootstrap-servers"));
            if (o.string("group-id") != null) {
                w.put("properties.group.id", o.string("group-id"));
            }
            w.put(
                    "scan.startup.mode",
                    switch (o.string("starting-offsets")) {
                        case "latest" -> "latest-offset";
                        case "committed" -> "group-offsets";
                        case "timestamp" -> "timestamp";
                        default -> "earliest-offset";
                    });
            if ("committed".equals(o.string("starting-offsets"))) {
                w.put("properties.auto.offset.reset", "earliest");
            }
            if (o.get("starting-timestamp") != null) {
                String at = String.valueOf(o.get("starting-timestamp"));
                try {
                    at = Long.toString(java.time.Instant.parse(at).toEpochMilli());
                } catch (java.time.format.DateTimeParseException e) {
                    // already milliseconds, or Flink says what is wrong
                }
                w.put("scan.startup.timestamp-millis", at);
            }
            if ("latest".equals(o.string("bounded"))) {
                w.put("scan.bounded.mode", "latest-offset");
            }
            Map<String, Object> props = o.map("properties");
            if (props != null) {
                props.forEach((k, v) -> w.put("properties." + k, String.valueOf(v)));
                if (!props.isEmpty()) {
                    note(
                            s.pos(),
                            s.options().path() + ".properties",
                            "client properties are written into the script as the spec gives them"
                                    + " (secrets from ${env:...} included): keep the script private"
                                    + " or replace them");
                }
            }
        }
        if (s.format().type().equals("csv")) {
            w.put("format", "raw");
        } else {
            w.put("format", "json");
            w.put("json.ignore-parse-errors", "true");
        }
        return with(w);
    }

    private static String with(Map<String, String> w) {
        List<String> out = new ArrayList<>();
        w.forEach((k, v) -> out.add("  " + string(k) + " = " + string(v)));
        return String.join(",\n", out);
    }

    // ---- steps ----

    /** The rows after step {@code s}; null when the step has no SQL form. */
    private Rel step(PipelineSpec p, int index, StepSpec s, Rel in) {
        String name = p.id() + "$" + s.id();
        Options o = s.options();
        Rel out =
                switch (s.processor()) {
                    case "validate" -> validate(name, s, in);
                    case "filter" -> filter(name, s, in);
                    case "derive" -> derive(name, s, in);
                    case "project" -> project(name, s, in);
                    case "emit" -> in;
                    case "window-aggregate" -> {
                        windowAggregate(s, in);
                        yield in;
                    }
                    default -> null;
                };
        if (out == null) {
            boolean branch =
                    List.of("zscore-alert", "rate-alert", "threshold-alert")
                            .contains(s.processor());
            String why =
                    switch (s.processor()) {
                        case "enrich" ->
                                "dimension enrichment is not rendered yet (its lookup mode would"
                                        + " be a lookup join FOR SYSTEM_TIME AS OF on a jdbc table)";
                        case "zscore-alert", "rate-alert", "threshold-alert" ->
                                "processor '"
                                        + s.processor()
                                        + "' keeps its own state per key and emits as rows"
                                        + " arrive: Flink SQL has no equivalent";
                        default -> "processor '" + s.processor() + "' has no Flink SQL rendering";
                    };
            note(
                    s.pos(),
                    o.path("processor"),
                    why
                            + (s.output() != null
                                    ? "; nothing is written to '" + s.output() + "'"
                                    : ""));
            if (branch) {
                return in; // the pipeline continues with its input rows
            }
            return null;
        }
        if (s.output() != null && !s.processor().equals("window-aggregate")) {
            insert(s.output(), out, s);
        }
        return out;
    }

    private Rel validate(String name, StepSpec s, Rel in) {
        Options o = s.options();
        List<String> where = new ArrayList<>();
        List<String> required = o.list("required");
        for (String f : required == null ? List.<String>of() : required) {
            where.add(id(f) + " IS NOT NULL");
        }
        List<Options> ranges = o.list("ranges");
        for (Options r : ranges == null ? List.<Options>of() : ranges) {
            String f = id(r.string("field"));
            Field rf = in.schema().field(r.string("field"));
            if (rf != null && rf.type() == FieldType.TIMESTAMP) {
                note(
                        r.pos(),
                        r.path("field"),
                        "a range on a timestamp (milliseconds in Sluice, TIMESTAMP_LTZ in SQL) is"
                                + " not rendered");
                continue;
            }
            List<String> bounds = new ArrayList<>();
            String[][] ops = {
                {"at-least", ">="}, {"greater-than", ">"}, {"at-most", "<="}, {"less-than", "<"}
            };
            for (String[] op : ops) {
                Double b = r.doubleOrNull(op[0]);
                if (b != null) {
                    bounds.add(
                            asDouble(in.schema(), r.string("field"))
                                    + " "
                                    + op[1]
                                    + " "
                                    + SqlText.doubleLiteral(b));
                }
            }
            if (!bounds.isEmpty()) {
                where.add("(" + f + " IS NULL OR " + String.join(" AND ", bounds) + ")");
            }
        }
        List<Options> checks = o.list("checks");
        List<String> comments = new ArrayList<>();
        for (Options c : checks == null ? List.<Options>of() : checks) {
            String sql = cel(c.expr("expr"), in.schema(), c.path("expr"), FieldType.BOOLEAN);
            if (sql == null) {
                comments.add("-- NOT RENDERED: check " + oneLine(c.expr("expr").text()));
            } else {
                where.add("(" + sql + ")");
            }
        }
        return where(name, s, in, where, comments);
    }

    private Rel filter(String name, StepSpec s, Rel in) {
        Expr cond = s.options().expr("condition");
        String sql = cel(cond, in.schema(), s.options().path("condition"), FieldType.BOOLEAN);
        if (sql == null) {
            return where(
                    name, s, in, List.of(), List.of("-- NOT RENDERED: " + oneLine(cond.text())));
        }
        return where(name, s, in, List.of("(" + sql + ")"), List.of());
    }

    private Rel where(String name, StepSpec s, Rel in, List<String> where, List<String> comments) {
        StringBuilder v = new StringBuilder();
        v.append("-- step '").append(s.id()).append("' (").append(s.pos()).append(")\n");
        comments.forEach(c -> v.append(c).append("\n"));
        v.append("CREATE TEMPORARY VIEW ").append(id(name)).append(" AS\nSELECT * FROM ");
        v.append(id(in.name()));
        if (!where.isEmpty()) {
            v.append("\nWHERE ").append(String.join("\n  AND ", where));
        }
        v.append(";");
        views.add(v.toString());
        return new Rel(name, s.result(), in.computed(), in.eventTime());
    }

    private Rel derive(String name, StepSpec s, Rel in) {
        List<Options> fields = s.options().list("fields");
        RowSchema schema = in.schema();
        Set<String> computed = new LinkedHashSet<>(in.computed());
        String from = in.name();
        StringBuilder v = new StringBuilder();
        v.append("-- step '").append(s.id()).append("' (").append(s.pos()).append(")\n");
        for (int i = 0; i < fields.size(); i++) {
            Options f = fields.get(i);
            String field = f.string("name");
            String expr = cel(f.expr("expr"), schema, f.path("expr"), null);
            String when =
                    f.expr("when") == null
                            ? null
                            : cel(f.expr("when"), schema, f.path("when"), FieldType.BOOLEAN);
            if (expr == null || (f.expr("when") != null && when == null)) {
                expr = "CAST(NULL AS " + sqlType(s.result().field(field).type()) + ")";
                v.append("-- NOT RENDERED: ").append(field).append(" (NULL instead)\n");
            } else if (when != null) {
                expr = "CASE WHEN " + when + " THEN " + expr + " END";
            }
            Field result = s.result().field(field);
            RowSchema next = schema.with(result);
            List<String> select = new ArrayList<>();
            for (Field x : next.fields()) {
                select.add(x.name().equals(field) ? expr + " AS " + id(field) : id(x.name()));
            }
            String view = i == fields.size() - 1 ? name : name + "$" + i;
            v.append("CREATE TEMPORARY VIEW ")
                    .append(id(view))
                    .append(" AS\nSELECT ")
                    .append(String.join(",\n  ", select))
                    .append("\nFROM ")
                    .append(id(from))
                    .append(";");
            if (i < fields.size() - 1) {
                v.append("\n");
            }
            if (result.type() == FieldType.DOUBLE) {
                computed.add(field);
            }
            schema = next;
            from = view;
        }
        views.add(v.toString());
        return new Rel(name, s.result(), computed, in.eventTime());
    }

    private Rel project(String name, StepSpec s, Rel in) {
        Options o = s.options();
        List<String> keep = o.list("fields");
        Map<String, Object> rename = o.map("rename");
        List<String> select = new ArrayList<>();
        Set<String> computed = new LinkedHashSet<>();
        String eventTime = null;
        for (String f : keep == null || keep.isEmpty() ? in.schema().names() : keep) {
            String to = rename == null || rename.get(f) == null ? f : (String) rename.get(f);
            select.add(f.equals(to) ? id(f) : id(f) + " AS " + id(to));
            if (in.computed().contains(f)) {
                computed.add(to);
            }
            if (f.equals(in.eventTime())) {
                eventTime = to;
            }
        }
        views.add(
                "-- step '"
                        + s.id()
                        + "' ("
                        + s.pos()
                        + ")\nCREATE TEMPORARY VIEW "
                        + id(name)
                        + " AS\nSELECT "
                        + String.join(", ", select)
                        + "\nFROM "
                        + id(in.name())
                        + ";");
        return new Rel(name, s.result(), computed, eventTime);
    }

    private void windowAggregate(StepSpec s, Rel in) {
        Options o = s.options();
        Options w = o.object("window");
        String type = w.string("type");
        List<String> key = o.list("key");
        if (in.eventTime() == null || in.schema().field(in.eventTime()) == null) {
            note(
                    s.pos(),
                    o.path("window"),
                    "windows need the event-time field, which an earlier"
                            + " step dropped: not rendered");
            return;
        }
        Duration lateness = o.duration("allowed-lateness");
        if (lateness != null && !lateness.isZero()) {
            note(
                    o.pos("allowed-lateness"),
                    o.path("allowed-lateness"),
                    "window table functions fire once: late rows within the allowed lateness do"
                            + " not update a fired window in SQL");
        }
        if (o.string("late-output") != null) {
            note(
                    o.pos("late-output"),
                    o.path("late-output"),
                    "rows too late for every window are dropped in SQL; nothing is written to '"
                            + o.string("late-output")
                            + "'");
        }
        if (type.equals("sliding")
                && w.duration("size").toMillis() % w.duration("slide").toMillis() != 0) {
            note(
                    w.pos("slide"),
                    w.path("slide"),
                    "Flink SQL's HOP needs the size to be a multiple of the slide: not rendered");
            return;
        }
        for (Options a : o.<Options>list("aggregates")) {
            Field af = a.string("field") == null ? null : in.schema().field(a.string("field"));
            if (af != null && af.type() == FieldType.TIMESTAMP && !"count".equals(a.string("fn"))) {
                note(
                        a.pos(),
                        a.path("field"),
                        "aggregating a timestamp (milliseconds in Sluice) is not rendered");
                return;
            }
        }
        String ts = id(in.eventTime());
        String source = "TABLE " + id(in.name());
        String keys = String.join(", ", key.stream().map(SqlText::id).toList());
        String tvf =
                switch (type) {
                    case "tumbling" ->
                            "TUMBLE("
                                    + source
                                    + ", DESCRIPTOR("
                                    + ts
                                    + "), "
                                    + interval(w.duration("size"))
                                    + ")";
                    case "sliding" ->
                            "HOP("
                                    + source
                                    + ", DESCRIPTOR("
                                    + ts
                                    + "), "
                                    + interval(w.duration("slide"))
                                    + ", "
                                    + interval(w.duration("size"))
                                    + ")";
                    case "cumulate" ->
                            "CUMULATE("
                                    + source
                                    + ", DESCRIPTOR("
                                    + ts
                                    + "), "
                                    + interval(w.duration("step"))
                                    + ", "
                                    + interval(w.duration("size"))
                                    + ")";
                    default ->
                            "SESSION("
                                    + source
                                    + " PARTITION BY "
                                    + keys
                                    + ", DESCRIPTOR("
                                    + ts
                                    + "), "
                                    + interval(w.duration("size"))
                                    + ")";
                };
        List<String> select = new ArrayList<>();
        List<Column> columns = new ArrayList<>();
        for (String k : key) {
            Field f = in.schema().field(k);
            select.add(as(out(f, in.computed().contains(k)), k));
            columns.add(new Column(k, sinkType(f.type())));
        }
        select.add(iso("window_start") + " AS " + id("window_start"));
        select.add(iso("window_end") + " AS " + id("window_end"));
        columns.add(new Column("window_start", "STRING"));
        columns.add(new Column("window_end", "STRING"));
        for (Options a : o.<Options>list("aggregates")) {
            String fn = a.string("fn");
            String f = a.string("field");
            String x = f == null ? null : asDouble(in.schema(), f);
            String agg =
                    switch (fn) {
                        case "count" -> f == null ? "COUNT(*)" : "COUNT(" + id(f) + ")";
                        case "sum" -> "SUM(" + x + ")";
                        case "avg" -> "AVG(" + x + ")";
                        case "min" -> "MIN(" + x + ")";
                        case "max" -> "MAX(" + x + ")";
                        // population standard deviation; never NaN from rounding below zero
                        default ->
                                "SQRT(GREATEST(0.0E0, (SUM("
                                        + x
                                        + " * "
                                        + x
                                        + ") - SUM("
                                        + x
                                        + ") * SUM("
                                        + x
                                        + ") / COUNT("
                                        + x
                                        + ")) / COUNT("
                                        + x
                                        + ")))";
                    };
            select.add(agg + " AS " + id(a.string("name")));
            columns.add(new Column(a.string("name"), fn.equals("count") ? "BIGINT" : "DOUBLE"));
        }
        select.add(string(spec.hash()) + " AS " + id("spec_hash"));
        select.add("CAST(0 AS BIGINT) AS " + id("config_version"));
        columns.add(new Column("spec_hash", "STRING"));
        columns.add(new Column("config_version", "BIGINT"));
        if (!sinkColumns(s.output(), columns, s)) {
            return;
        }
        inserts.add(
                "-- step '"
                        + s.id()
                        + "' ("
                        + s.pos()
                        + ")\nINSERT INTO "
                        + id(s.output())
                        + "\nSELECT "
                        + String.join(",\n  ", select)
                        + "\nFROM TABLE(\n  "
                        + tvf
                        + ")\nGROUP BY "
                        + (keys.isEmpty() ? "" : keys + ", ")
                        + "window_start, window_end;");
    }

    // ---- sinks ----

    /** The rows of {@code rel} into {@code sink}, as Sluice's JSON encoder writes them. */
    private void insert(String sink, Rel rel, StepSpec s) {
        List<String> select = new ArrayList<>();
        List<Column> columns = new ArrayList<>();
        for (Field f : rel.schema().fields()) {
            select.add(as(out(f, rel.computed().contains(f.name())), f.name()));
            columns.add(new Column(f.name(), sinkType(f.type())));
        }
        select.add(string(spec.hash()) + " AS " + id("spec_hash"));
        select.add("CAST(0 AS BIGINT) AS " + id("config_version"));
        columns.add(new Column("spec_hash", "STRING"));
        columns.add(new Column("config_version", "BIGINT"));
        if (!sinkColumns(sink, columns, s)) {
            return;
        }
        inserts.add(
                "-- step '"
                        + s.id()
                        + "' output ("
                        + s.pos()
                        + ")\nINSERT INTO "
                        + id(sink)
                        + "\nSELECT "
                        + String.join(",\n  ", select)
                        + "\nFROM "
                        + id(rel.name())
                        + ";");
    }

    /** Records the columns a sink receives; false (with a problem) when they differ per input. */
    private boolean sinkColumns(String sink, List<Column> columns, StepSpec s) {
        SinkSpec k = spec.sink(sink);
        if (!List.of("file", "console", "kafka", "jdbc").contains(k.type())) {
            note(
                    k.pos(),
                    k.options().path() + ".type",
                    "a '" + k.type() + "' sink has no Flink SQL connector: not rendered");
            return false;
        }
        if (k.type().equals("jdbc") && !postgres(k)) {
            note(
                    k.pos(),
                    k.options().path() + ".url",
                    "jdbc sinks on MariaDB/MySQL are not supported in SQL yet: no Flink 2.x MySQL"
                            + " dialect is published (PostgreSQL is)");
            return false;
        }
        List<Column> old = sinkColumns.putIfAbsent(sink, columns);
        if (old != null && !old.equals(columns)) {
            note(
                    s.pos(),
                    s.options().path("output"),
                    "sink '"
                            + sink
                            + "' already receives records of other fields; one SQL table has one"
                            + " schema: not rendered");
            return false;
        }
        return true;
    }

    private static boolean postgres(SinkSpec k) {
        String url = k.options().string("url");
        return url != null && url.startsWith("jdbc:postgresql:");
    }

    private void sinkTable(SinkSpec k, List<Column> columns) {
        StringBuilder ddl = new StringBuilder();
        ddl.append("-- sink '").append(k.id()).append("' (").append(k.pos()).append(")\n");
        ddl.append("CREATE TABLE ").append(id(k.id())).append(" (\n");
        List<String> cols = new ArrayList<>();
        for (Column c : columns) {
            cols.add("  " + id(c.name()) + " " + c.type());
        }
        Options o = k.options();
        Map<String, String> w = new LinkedHashMap<>();
        switch (k.type()) {
            case "file" -> {
                w.put("connector", "filesystem");
                w.put(
                        "path",
                        io.sluice.runtime.sink.FileSinkFactory.folder(k, run)
                                .toAbsolutePath()
                                .toUri()
                                .toString());
                w.put("format", "json");
            }
            case "console" -> w.put("connector", "print");
            case "kafka" -> {
                w.put("connector", "kafka");
                w.put("topic", o.string("topic"));
                w.put("properties.bootstrap.servers", o.string("bootstrap-servers"));
                w.put("format", "json");
                String guarantee = o.string("delivery-guarantee");
                w.put("sink.delivery-guarantee", guarantee);
                Map<String, Object> props = o.map("properties");
                if (props != null) {
                    props.forEach((pk, pv) -> w.put("properties." + pk, String.valueOf(pv)));
                }
                if (guarantee.equals("exactly-once")) {
                    w.put(
                            "sink.transactional-id-prefix",
                            o.string("transactional-id-prefix") != null
                                    ? o.string("transactional-id-prefix")
                                    : "sluice-sql-" + spec.name() + "-" + k.id());
                }
                List<String> key = o.list("key");
                if (key != null && !key.isEmpty()) {
                    note(
                            o.pos("key"),
                            k.options().path() + ".key",
                            "record keys (fields joined by '|') have no SQL form: records are"
                                    + " written without a key");
                }
            }
            default -> { // jdbc on PostgreSQL
                List<String> key = o.list("key");
                if (key != null && !key.isEmpty()) {
                    cols.add(
                            "  PRIMARY KEY ("
                                    + String.join(", ", key.stream().map(SqlText::id).toList())
                                    + ") NOT ENFORCED");
                }
                w.put("connector", "jdbc");
                w.put("url", o.string("url"));
                w.put("table-name", o.string("table"));
                if (o.string("user") != null) {
                    w.put("username", o.string("user"));
                }
                if (o.string("password") != null) {
                    w.put("password", "<the password of " + o.string("user") + ">");
                    note(
                            o.pos("password"),
                            k.options().path() + ".password",
                            "the password is not written into the script: replace the"
                                    + " placeholder");
                }
                if (o.get("delete-when") != null || o.get("soft-delete-column") != null) {
                    note(
                            k.pos(),
                            k.options().path() + ".delete-when",
                            "deletes by condition have no form in Flink SQL's jdbc sink: every"
                                    + " record is an upsert");
                }
            }
        }
        ddl.append(String.join(",\n", cols)).append("\n) WITH (\n").append(with(w)).append("\n);");
        tables.add(ddl.toString());
    }

    // ---- values ----

    /** A field as Sluice's JSON encoder writes it: timestamps ISO-8601, non-finite doubles null. */
    private static String out(Field f, boolean computed) {
        if (f.type() == FieldType.TIMESTAMP) {
            return iso(id(f.name()));
        }
        if (f.type() == FieldType.DOUBLE && computed) {
            return "CASE WHEN ABS("
                    + id(f.name())
                    + ") <= "
                    + MAX_DOUBLE
                    + " THEN "
                    + id(f.name())
                    + " END";
        }
        return id(f.name());
    }

    /** {@code expr AS name}, or the name alone when it is the expression. */
    private static String as(String expr, String name) {
        return expr.equals(id(name)) ? expr : expr + " AS " + id(name);
    }

    /** A numeric field as DOUBLE, as Sluice compares and aggregates them; no cast when it is. */
    private static String asDouble(RowSchema schema, String field) {
        Field f = schema.field(field);
        return f != null && f.type() == FieldType.DOUBLE
                ? id(field)
                : "CAST(" + id(field) + " AS DOUBLE)";
    }

    /** {@code 2024-01-01T06:00:00Z}, with {@code .SSS} when there are milliseconds. */
    private static String iso(String ts) {
        return "CASE WHEN DATE_FORMAT("
                + ts
                + ", 'SSS') = '000' THEN DATE_FORMAT("
                + ts
                + ", 'yyyy-MM-dd''T''HH:mm:ss''Z''') ELSE DATE_FORMAT("
                + ts
                + ", 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') END";
    }

    private static String sinkType(FieldType t) {
        return t == FieldType.TIMESTAMP ? "STRING" : sqlType(t);
    }

    private static String sqlType(FieldType t) {
        return switch (t) {
            case STRING, JSON -> "STRING";
            case LONG -> "BIGINT";
            case DOUBLE -> "DOUBLE";
            case BOOLEAN -> "BOOLEAN";
            case TIMESTAMP -> "TIMESTAMP_LTZ(3)";
        };
    }

    /** {@code INTERVAL '5' MINUTE} when a unit fits, else {@code DAY TO SECOND(3)}. */
    static String interval(Duration d) {
        long ms = d.toMillis();
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] names = {"DAY", "HOUR", "MINUTE", "SECOND"};
        for (int i = 0; i < units.length; i++) {
            if (ms % units[i] == 0 && ms / units[i] >= 1 && ms / units[i] <= 99) {
                return "INTERVAL '" + ms / units[i] + "' " + names[i];
            }
        }
        long days = ms / 86_400_000L;
        long rest = ms % 86_400_000L;
        return String.format(
                "INTERVAL '%d %02d:%02d:%02d.%03d' DAY TO SECOND(3)",
                days, rest / 3_600_000L, rest / 60_000L % 60, rest / 1000 % 60, rest % 1000);
    }

    /** The SQL of a CEL expression, or null with a problem at the expression. */
    private String cel(Expr e, RowSchema schema, String path, FieldType expected) {
        Problems checking = new Problems();
        CelSupport.Checked c = CelSupport.check(e, schema, path, checking, expected);
        if (c == null) {
            note(e.pos(), path, "the expression does not check against the rows here");
            return null;
        }
        try {
            return CelToSql.translate(c.ast(), schema);
        } catch (CelToSql.Unsupported u) {
            note(
                    e.pos(),
                    path,
                    "not expressible in Flink SQL: " + u.getMessage() + " in '" + e.text() + "'");
            return null;
        }
    }

    /** Text for a {@code --} comment: one line. */
    private static String oneLine(String text) {
        return text.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private void note(Pos pos, String path, String message) {
        problems.add(new Problem(pos, path, message));
    }
}
