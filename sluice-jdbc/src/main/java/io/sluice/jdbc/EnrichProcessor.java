package io.sluice.jdbc;

import io.sluice.runtime.compose.Emitted;
import io.sluice.runtime.compose.StepContext;
import io.sluice.runtime.processor.ProcessorFactory;
import io.sluice.runtime.processor.StepResult;
import io.sluice.runtime.route.ControlSource;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * {@code enrich}: adds columns of dimension tables kept in the business database (MariaDB/MySQL or
 * PostgreSQL) to each event, found by a value of the event: a field, a field an earlier dimension
 * added, or a key of its JSON payload. Each dimension is {@code broadcast} (the whole table on
 * every task, changed rows polled and broadcast within seconds; for small tables) or {@code lookup}
 * (rows queried per key through a bounded cache with a time to live; for large tables). A missing
 * row leaves the fields null, sends the event to dead letters, or ({@code wait}, with the step's
 * {@code key}) holds the event in keyed state until the row appears or the wait is over, then lets
 * it go on with nulls and an alert. Tables and columns are checked when the job starts.
 */
public final class EnrichProcessor implements ProcessorFactory {
    static final OptionsSchema FIELD =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "the field added to events (snake_case)")
                    .optional(
                            "column",
                            OptionType.STRING,
                            null,
                            "the table column it comes from; defaults to name")
                    .optional("type", new OptionType.OneOf(FieldType.ids()), "string", "field type")
                    .build();

    static final OptionsSchema DIMENSION =
            OptionsSchema.builder()
                    .required("id", OptionType.STRING, "names the dimension in messages")
                    .required(
                            "url",
                            OptionType.STRING,
                            "jdbc:mariadb://..., jdbc:mysql://... or jdbc:postgresql://...")
                    .optional("user", OptionType.STRING, null, "database user")
                    .optional(
                            "password",
                            OptionType.STRING,
                            null,
                            "database password, e.g. ${env:DB_PASSWORD}")
                    .required("table", OptionType.STRING, "the dimension table")
                    .required("key", OptionType.STRING, "the table's key column")
                    .required(
                            "on",
                            OptionType.STRING,
                            "the event value its key is matched with: a field, a field an earlier"
                                    + " dimension adds, or a key of the JSON payload")
                    .required(
                            "fields",
                            OptionType.listOf(OptionType.object(FIELD)),
                            "the columns added to events, as typed fields")
                    .optional(
                            "mode",
                            OptionType.oneOf("broadcast", "lookup"),
                            "broadcast",
                            "broadcast: the whole table on every task, changes polled (small"
                                    + " tables); lookup: per key through a bounded cache (large"
                                    + " tables)")
                    .optional(
                            "updated-column",
                            OptionType.STRING,
                            null,
                            "broadcast: a timestamp column set when a row changes, so that only"
                                    + " changed rows are read; without, the whole table is read"
                                    + " every poll")
                    .optional(
                            "poll-interval",
                            OptionType.DURATION,
                            Duration.ofSeconds(2),
                            "broadcast: how often changes are looked for")
                    .optional(
                            "cache-size",
                            OptionType.INT,
                            100_000L,
                            "lookup: rows cached per task at most")
                    .optional(
                            "cache-ttl",
                            OptionType.DURATION,
                            Duration.ofMinutes(1),
                            "lookup: a cached row is read again after this long")
                    .optional(
                            "missing",
                            OptionType.oneOf("null", "dead-letter", "wait"),
                            "null",
                            "a missing row: fields null; the event to dead letters; or hold the"
                                    + " event (under the step's key) until the row is there")
                    .optional(
                            "wait",
                            OptionType.DURATION,
                            Duration.ofSeconds(30),
                            "missing: wait — how long an event waits before it goes on with nulls"
                                    + " and an alert")
                    .optional(
                            "retry-for",
                            OptionType.DURATION,
                            Duration.ofMinutes(10),
                            "how long reads are retried while the database cannot be reached"
                                    + " before the job fails")
                    .build();

    static final OptionsSchema OPTIONS =
            OptionsSchema.builder()
                    .required(
                            "dimensions",
                            OptionType.listOf(OptionType.object(DIMENSION)),
                            "the dimension tables, looked up in order")
                    .optional(
                            "key",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "fields or payload keys: events of one key stay in order on one task"
                                    + " (needed by missing: wait); none: events are enriched where"
                                    + " they are")
                    .optional(
                            "payload",
                            OptionType.STRING,
                            null,
                            "the JSON field whose keys 'on' and 'key' may name; defaults to the"
                                    + " only json field")
                    .optional(
                            "retry",
                            OptionType.DURATION,
                            Duration.ofSeconds(1),
                            "how often waiting events look for their rows again")
                    .optional(
                            "alerts",
                            OptionType.STRING,
                            null,
                            "sink for alerts about events that stopped waiting for a row")
                    .build();

    @Override
    public String identifier() {
        return "enrich";
    }

    @Override
    public String description() {
        return "Adds columns of dimension tables in MariaDB/MySQL or PostgreSQL to events.";
    }

    @Override
    public OptionsSchema options() {
        return OPTIONS;
    }

    @Override
    public Shape shape() {
        return Shape.TRANSFORM;
    }

    @Override
    public List<String> sinkOptions() {
        return List.of("alerts");
    }

    @Override
    public RowSchema check(Options o, RowSchema input, Problems problems) {
        String payload = payloadField(o, input);
        if (o.string("payload") != null) {
            Field f = input.field(o.string("payload"));
            if (f == null || f.type() != FieldType.JSON) {
                problems.add(
                        o.pos("payload"),
                        o.path("payload"),
                        "'" + o.string("payload") + "' is not a json field of the rows here");
            }
        }
        RowSchema schema = input;
        Set<String> ids = new HashSet<>();
        boolean waits = false;
        List<Options> dims = o.list("dimensions");
        if (dims.isEmpty() && o.get("dimensions") != null) {
            problems.add(o.pos("dimensions"), o.path("dimensions"), "name at least one dimension");
        }
        for (Options d : dims) {
            if (d.string("id") != null && !ids.add(d.string("id"))) {
                problems.add(
                        d.pos("id"),
                        d.path("id"),
                        "dimension '" + d.string("id") + "' is declared twice in this step");
            }
            String url = d.string("url");
            if (url != null && JdbcDialect.of(url) == null) {
                problems.add(
                        d.pos("url"),
                        d.path("url"),
                        "expected jdbc:mariadb:, jdbc:mysql: or jdbc:postgresql:, found '"
                                + url
                                + "'");
            }
            String on = d.string("on");
            if (on != null && schema.field(on) == null && payload == null) {
                problems.add(
                        d.pos("on"),
                        d.path("on"),
                        "'"
                                + on
                                + "' is neither a field here ("
                                + String.join(", ", schema.names())
                                + ") nor readable from a json payload (there is no json field)");
            }
            if ("wait".equals(d.string("missing"))) {
                waits = true;
            }
            if ("lookup".equals(d.string("mode")) && d.string("updated-column") != null) {
                problems.add(
                        d.pos("updated-column"),
                        d.path("updated-column"),
                        "only broadcast dimensions poll for changes; a lookup dimension's rows"
                                + " are read again after cache-ttl");
            }
            long size = d.longValue("cache-size");
            if (size < 1 || size > 100_000_000) {
                problems.add(d.pos("cache-size"), d.path("cache-size"), "must be 1 to 100000000");
            }
            for (String t : List.of("poll-interval", "cache-ttl", "wait")) {
                if (d.duration(t).toMillis() < 1) {
                    problems.add(d.pos(t), d.path(t), "must be positive");
                }
            }
            List<Options> fields = d.list("fields");
            if (fields.isEmpty() && d.get("fields") != null) {
                problems.add(d.pos("fields"), d.path("fields"), "name at least one field");
            }
            for (Options f : fields) {
                String name = f.string("name");
                if (name == null) {
                    continue;
                }
                if (!Field.isValidName(name)) {
                    problems.add(
                            f.pos("name"),
                            f.path("name"),
                            "field names are snake_case identifiers; found '" + name + "'");
                } else if (schema.field(name) != null) {
                    problems.add(
                            f.pos("name"),
                            f.path("name"),
                            "the rows have a field '"
                                    + name
                                    + "' already; name the added one otherwise (column: keeps"
                                    + " the table's name)");
                } else {
                    schema = schema.with(new Field(name, FieldType.of(f.string("type")), true));
                }
            }
        }
        List<String> key = o.list("key");
        for (int i = 0; i < key.size(); i++) {
            if (input.field(key.get(i)) == null && payload == null) {
                problems.add(
                        o.pos("key", i),
                        o.path("key") + "[" + i + "]",
                        "'" + key.get(i) + "' is neither a field here nor a payload key");
            }
        }
        if (waits && key.isEmpty()) {
            problems.add(
                    o.pos("key"),
                    o.path("key"),
                    "missing: wait holds events under the step's key, which keeps one key's events"
                            + " in order: name it (e.g. key: [wrong_id])");
        }
        return schema;
    }

    private static String payloadField(Options o, RowSchema input) {
        if (o.string("payload") != null) {
            return o.string("payload");
        }
        for (Field f : input.fields()) {
            if (f.type() == FieldType.JSON) {
                return f.name();
            }
        }
        return null;
    }

    static List<Dimension> dimensions(Options o) {
        List<Dimension> out = new ArrayList<>();
        for (Options d : o.<Options>list("dimensions")) {
            List<Field> fields = new ArrayList<>();
            List<String> columns = new ArrayList<>();
            for (Options f : d.<Options>list("fields")) {
                fields.add(new Field(f.string("name"), FieldType.of(f.string("type")), true));
                columns.add(f.string("column") != null ? f.string("column") : f.string("name"));
            }
            out.add(
                    new Dimension(
                            d.string("id"),
                            d.string("url"),
                            d.string("user"),
                            d.string("password"),
                            d.string("table"),
                            d.string("key"),
                            d.string("on"),
                            fields,
                            columns,
                            "lookup".equals(d.string("mode"))
                                    ? Dimension.Mode.LOOKUP
                                    : Dimension.Mode.BROADCAST,
                            d.string("updated-column"),
                            d.duration("poll-interval").toMillis(),
                            d.longValue("cache-size"),
                            d.duration("cache-ttl").toMillis(),
                            Dimension.Missing.of(d.string("missing")),
                            d.duration("wait").toMillis(),
                            d.duration("retry-for").toMillis()));
        }
        return out;
    }

    /** The step's settings for its operators, with where each value is read from. */
    static Enricher.Settings settings(
            Options o, RowSchema input, RowSchema result, String step, String position) {
        List<Dimension> dims = dimensions(o);
        String payload = payloadField(o, input);
        int payloadIndex = payload == null ? -1 : input.indexOf(payload);
        List<Enricher.ValueAt> on = new ArrayList<>();
        RowSchema seen = input;
        for (Dimension d : dims) {
            on.add(at(seen, d.on()));
            for (Field f : d.fields()) {
                seen = seen.with(f);
            }
        }
        List<Enricher.ValueAt> key = new ArrayList<>();
        for (String k : o.<String>list("key")) {
            key.add(at(input, k));
        }
        return new Enricher.Settings(
                dims,
                on,
                key,
                payloadIndex,
                input.size(),
                result.size(),
                step,
                position,
                o.duration("retry").toMillis());
    }

    private static Enricher.ValueAt at(RowSchema schema, String name) {
        int i = schema.indexOf(name);
        return new Enricher.ValueAt(i, i < 0 ? name : null);
    }

    /**
     * Checks each dimension's table has its key, its columns and its updated column; fails naming
     * the dimension, the table and the columns it lacks.
     */
    static void describe(List<Dimension> dims) {
        for (Dimension d : dims) {
            JdbcTable t;
            try (Connection c = d.connect()) {
                t = JdbcTable.read(c, d.table());
            } catch (SQLException e) {
                throw new IllegalArgumentException(
                        d.describe()
                                + ": cannot read table '"
                                + d.table()
                                + "' in "
                                + JdbcTable.redacted(d.url())
                                + ": "
                                + e.getMessage(),
                        e);
            }
            if (t == null) {
                throw new IllegalArgumentException(
                        d.describe()
                                + ": table '"
                                + d.table()
                                + "' does not exist in "
                                + JdbcTable.redacted(d.url()));
            }
            List<String> wanted = new ArrayList<>();
            wanted.add(d.keyColumn());
            wanted.addAll(d.columns());
            if (d.updatedColumn() != null) {
                wanted.add(d.updatedColumn());
            }
            List<String> missing =
                    wanted.stream()
                            .filter(c -> !t.columns().containsKey(c.toLowerCase(Locale.ROOT)))
                            .toList();
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(
                        d.describe()
                                + ": table '"
                                + d.table()
                                + "' has no column "
                                + String.join(", ", missing)
                                + " (it has "
                                + String.join(", ", t.columns().keySet())
                                + ")");
            }
        }
    }

    @Override
    public StepResult apply(StepContext ctx, DataStream<EventRow> input) {
        Options o = ctx.step().options();
        RowSchema in = ctx.step().input();
        RowSchema result = ctx.step().result();
        Enricher.Settings s = settings(o, in, result, ctx.stepRef(), ctx.position());
        describe(s.dims());
        int[] broadcast =
                java.util.stream.IntStream.range(0, s.dims().size())
                        .filter(i -> s.dims().get(i).mode() == Dimension.Mode.BROADCAST)
                        .toArray();
        BroadcastStream<String> changes =
                input.getExecutionEnvironment()
                        .fromSource(
                                new DimensionSource(s.dims(), broadcast, ctx.boundedInput()),
                                ControlSource.<String>watermarks(),
                                ctx.name("dimension changes"),
                                Types.STRING)
                        .setParallelism(1)
                        .uid(ctx.uid("dimension-changes"))
                        .broadcast(EnrichFunctions.ROWS);
        EventRowTypeInfo type = new EventRowTypeInfo(result);
        SingleOutputStreamOperator<EventRow> out =
                s.key().isEmpty()
                        ? input.connect(changes).process(new EnrichFunctions.Unkeyed(s), type)
                        : input.keyBy(new EnrichFunctions.Key(s), Types.STRING)
                                .connect(changes)
                                .process(
                                        new EnrichFunctions.Keyed(s, in, ctx.boundedInput()), type);
        out.uid(ctx.uid("enrich")).name(ctx.name("enrich"));
        // events let go by a timer lost their timestamp there: give every event its event time
        // again, from the row (watermarks pass through unchanged)
        DataStream<EventRow> rows = out;
        var eventTime = ctx.spec().source(ctx.pipeline().source()).eventTime();
        int timeField = eventTime == null ? -1 : result.indexOf(eventTime.field());
        if (timeField >= 0 && !s.key().isEmpty()) {
            rows =
                    out.transform(
                                    ctx.name("event time"),
                                    type,
                                    new EnrichFunctions.EventTime(timeField))
                            .uid(ctx.uid("event-time"));
        }
        List<Emitted> extra = new ArrayList<>();
        if (o.string("alerts") != null) {
            extra.add(
                    new Emitted(
                            o.string("alerts"),
                            out.getSideOutput(EnrichFunctions.ALERTS),
                            EnrichFunctions.ALERT,
                            ctx.uid("alerts")));
        }
        return new StepResult(rows, out.getSideOutput(DeadLetters.TAG), extra);
    }
}
