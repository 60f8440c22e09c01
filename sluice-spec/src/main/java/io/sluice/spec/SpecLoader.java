package io.sluice.spec;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.EventTime;
import io.sluice.spec.model.Spec.FieldMapping;
import io.sluice.spec.model.Spec.Format;
import io.sluice.spec.model.Spec.PipelineSpec;
import io.sluice.spec.model.Spec.RoutesSpec;
import io.sluice.spec.model.Spec.RuntimeSpec;
import io.sluice.spec.model.Spec.ScenariosSpec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.model.Spec.StateSettings;
import io.sluice.spec.model.Spec.StepSpec;
import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsBinder;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.plugin.PluginCheck;
import io.sluice.spec.plugin.PluginDescriptor;
import io.sluice.spec.plugin.PluginKind;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.plugin.ProcessorDescriptor;
import io.sluice.spec.plugin.RecordTimestamps;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.yaml.Pos;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Loads a spec file: YAML with positions, structural checks from the declared schemas (unknown and
 * missing keys, types), then semantic checks (references between sections, each plugin's own
 * checks, expressions type-checked against the rows they will see). Every problem is collected; the
 * spec is returned only when there are none.
 */
public final class SpecLoader {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

    static final OptionsSchema RUNTIME =
            OptionsSchema.builder()
                    .optional("parallelism", OptionType.INT, 2L, "parallel tasks per operator")
                    .optional(
                            "checkpoint-interval",
                            OptionType.DURATION,
                            null,
                            "checkpoint every; off when absent")
                    .optional(
                            "restart-attempts",
                            OptionType.INT,
                            0L,
                            "restarts after a failure before the run fails")
                    .optional(
                            "buffer-timeout",
                            OptionType.DURATION,
                            null,
                            "longest a record waits in a network buffer (lower: less latency, more"
                                    + " overhead); Flink's default 100ms when absent")
                    .optional(
                            "state-backend",
                            OptionType.oneOf("heap", "rocksdb"),
                            null,
                            "where keyed state lives: heap (fast, bounded by memory) or rocksdb"
                                    + " (on local disk, for large state)")
                    .optional(
                            "incremental-checkpoints",
                            OptionType.BOOLEAN,
                            null,
                            "with rocksdb: checkpoints upload only what changed since the last")
                    .optional(
                            "checkpoint-mode",
                            OptionType.oneOf("exactly-once", "at-least-once"),
                            null,
                            "at-least-once skips barrier alignment: lower latency, state may"
                                    + " count a record twice after a restart")
                    .optional(
                            "checkpoint-retention",
                            OptionType.oneOf("delete", "retain"),
                            null,
                            "whether the last checkpoint is kept when the job is cancelled (to"
                                    + " start again from it)")
                    .optional(
                            "retained-checkpoints",
                            OptionType.INT,
                            null,
                            "completed checkpoints kept")
                    .optional(
                            "checkpoint-dir",
                            OptionType.STRING,
                            null,
                            "where checkpoints are written: a folder (relative to the spec) or a"
                                    + " URI such as s3://bucket/path")
                    .optional(
                            "savepoint-dir",
                            OptionType.STRING,
                            null,
                            "where savepoints go by default: a folder (relative to the spec) or a"
                                    + " URI")
                    .optional(
                            "checkpoint-timeout",
                            OptionType.DURATION,
                            null,
                            "a checkpoint taking longer is given up")
                    .optional(
                            "min-pause",
                            OptionType.DURATION,
                            null,
                            "least time between the end of a checkpoint and the start of the next")
                    .build();

    static final OptionsSchema FIELD =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "field name used by steps (snake_case)")
                    .optional(
                            "column",
                            OptionType.STRING,
                            null,
                            "input column or JSON key; defaults to name")
                    .required("type", new OptionType.OneOf(FieldType.ids()), "field type")
                    .optional(
                            "pattern",
                            OptionType.STRING,
                            null,
                            "timestamp text pattern, e.g. MM/dd/yyyy hh:mm:ss a")
                    .optional(
                            "unit",
                            OptionType.oneOf("s", "ms"),
                            null,
                            "unit of a numeric timestamp")
                    .optional("time-zone", OptionType.STRING, "UTC", "zone of local date-times")
                    .optional(
                            "from",
                            OptionType.oneOf("column", "record-timestamp"),
                            "column",
                            "where the value comes from: the input column, or the timestamp the"
                                    + " source attached to the record (Kafka)")
                    .build();

    static final OptionsSchema EVENT_TIME =
            OptionsSchema.builder()
                    .required("field", OptionType.STRING, "timestamp field carrying event time")
                    .optional(
                            "max-out-of-orderness",
                            OptionType.DURATION,
                            Duration.ZERO,
                            "watermark delay")
                    .optional(
                            "idle-timeout",
                            OptionType.DURATION,
                            Duration.ofSeconds(5),
                            "a task without rows for this long stops holding back the watermark"
                                    + " (e.g. a quiet Kafka partition); 0s: never")
                    .build();

    static final OptionsSchema SOURCE =
            OptionsSchema.builder()
                    .required("id", OptionType.STRING, "source id")
                    .required("type", OptionType.STRING, "source type")
                    .optional("format", OptionType.oneOf("csv", "json"), "csv", "input format")
                    .optional("delimiter", OptionType.STRING, ",", "CSV delimiter")
                    .required(
                            "fields", OptionType.listOf(OptionType.object(FIELD)), "field mapping")
                    .optional(
                            "event-time",
                            OptionType.object(EVENT_TIME),
                            null,
                            "event time and watermarks")
                    .build();

    static final OptionsSchema SINK =
            OptionsSchema.builder()
                    .required("id", OptionType.STRING, "sink id")
                    .required("type", OptionType.STRING, "sink type")
                    .build();

    static final OptionsSchema STEP =
            OptionsSchema.builder()
                    .required(
                            "id",
                            OptionType.STRING,
                            "step id, stable across edits (operator uids derive from it)")
                    .required("processor", OptionType.STRING, "processor identifier")
                    .optional(
                            "output",
                            OptionType.STRING,
                            null,
                            "sink receiving what this step emits")
                    .build();

    static final OptionsSchema BREAKER =
            OptionsSchema.builder()
                    .optional(
                            "failures",
                            OptionType.INT,
                            5L,
                            "failures of one route on one task that suspend it")
                    .optional(
                            "within",
                            OptionType.DURATION,
                            Duration.ofSeconds(10),
                            "the time span those failures are counted in")
                    .build();

    static final OptionsSchema ROUTES =
            OptionsSchema.builder()
                    .required(
                            "store",
                            OptionType.STRING,
                            "config store: a folder (relative to the spec) or a JDBC URL")
                    .required(
                            "outputs",
                            OptionType.listOf(OptionType.STRING),
                            "sinks routes may send results to")
                    .required(
                            "unrouted",
                            OptionType.STRING,
                            "sink receiving events that no route takes")
                    .optional(
                            "alerts",
                            OptionType.STRING,
                            null,
                            "sink receiving alerts about routes (e.g. a route suspended)")
                    .optional(
                            "event-type-field",
                            OptionType.STRING,
                            "event_type",
                            "field holding the event type routes match")
                    .optional(
                            "tenant-field",
                            OptionType.STRING,
                            "tenant_id",
                            "field holding the tenant a route may be scoped to")
                    .optional(
                            "payload-field",
                            OptionType.STRING,
                            "payload",
                            "JSON field routes read their fields from")
                    .optional(
                            "breaker",
                            OptionType.object(BREAKER),
                            null,
                            "when a failing route is suspended")
                    .optional(
                            "poll-interval",
                            OptionType.DURATION,
                            Duration.ofMillis(50),
                            "how often the job asks the store for a new version")
                    .optional(
                            "keep-versions",
                            OptionType.INT,
                            4L,
                            "recent versions each task keeps for rows stamped with them")
                    .optional(
                            "state-ttl",
                            OptionType.DURATION,
                            Duration.ofHours(24),
                            "a route's keyed state not written for this long is released")
                    .build();

    static final OptionsSchema SCENARIOS =
            OptionsSchema.builder()
                    .required(
                            "store",
                            OptionType.STRING,
                            "config store: a folder (relative to the spec) or a JDBC URL")
                    .optional(
                            "hot-items",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "sinks receiving hot item rankings")
                    .optional(
                            "profiles",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "sinks receiving user interest profiles")
                    .optional(
                            "metrics",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "sinks receiving CTR, CVR and watch-time metrics")
                    .optional(
                            "rankings",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "sinks receiving each window's whole ranking as one record (e.g. redis)")
                    .optional(
                            "unmatched",
                            OptionType.STRING,
                            null,
                            "sink receiving events of no configured scenario")
                    .optional("tenant-field", OptionType.STRING, "tenant_id", "tenant field")
                    .optional("scenario-field", OptionType.STRING, "scenario_id", "scenario field")
                    .optional("user-field", OptionType.STRING, "user_id", "user field")
                    .optional("item-field", OptionType.STRING, "item_id", "item field")
                    .optional("category-field", OptionType.STRING, "category_id", "category field")
                    .optional("action-field", OptionType.STRING, "action", "action field")
                    .optional(
                            "watch-time-field",
                            OptionType.STRING,
                            null,
                            "field with watch time in ms (default watch_time_ms when present)")
                    .optional(
                            "poll-interval",
                            OptionType.DURATION,
                            Duration.ofMillis(50),
                            "how often the job asks the store for a new version")
                    .optional(
                            "keep-versions",
                            OptionType.INT,
                            4L,
                            "recent versions each task keeps for events stamped with them")
                    .build();

    static final OptionsSchema PIPELINE =
            OptionsSchema.builder()
                    .required("id", OptionType.STRING, "pipeline id")
                    .required("source", OptionType.STRING, "source id")
                    .required(
                            "dead-letters",
                            OptionType.STRING,
                            "sink receiving rejected rows with their reason")
                    .optional(
                            "steps",
                            new OptionType.Raw(
                                    "a list of steps",
                                    new OptionType.Plugins(
                                            PluginKind.PROCESSOR, "processor", STEP)),
                            null,
                            "processing steps in order")
                    .optional(
                            "routes",
                            OptionType.object(ROUTES),
                            null,
                            "live routes from a config store, after the steps")
                    .optional(
                            "scenarios",
                            OptionType.object(SCENARIOS),
                            null,
                            "recommendation scenarios from a config store, after the steps")
                    .build();

    /** Declared after the sections it refers to: static fields initialise in textual order. */
    static final OptionsSchema TOP =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "the job's name")
                    .optional("description", OptionType.STRING, "", "what the job is for")
                    .optional("runtime", OptionType.object(RUNTIME), null, "job-level settings")
                    .required(
                            "sources",
                            new OptionType.Raw(
                                    "a list of sources",
                                    new OptionType.Plugins(PluginKind.SOURCE, "type", SOURCE)),
                            "where rows come from")
                    .required(
                            "sinks",
                            new OptionType.Raw(
                                    "a list of sinks",
                                    new OptionType.Plugins(PluginKind.SINK, "type", SINK)),
                            "where outputs go")
                    .required(
                            "pipelines",
                            new OptionType.Raw(
                                    "a list of pipelines",
                                    OptionType.listOf(OptionType.object(PIPELINE))),
                            "source → steps → sinks")
                    .build();

    /**
     * The declared shape of a spec document, sections included (for JSON Schema); the loader checks
     * more than it says (ids, references, CEL).
     */
    public static OptionsSchema documentSchema() {
        return TOP;
    }

    private static final Pos SET = new Pos("--set", 1, 1);

    private final PluginRegistry registry;
    private final Function<String, String> env;
    private final Map<String, String> overrides;

    public SpecLoader(
            PluginRegistry registry, Function<String, String> env, Map<String, String> overrides) {
        this.registry = registry;
        this.env = env;
        this.overrides = Map.copyOf(overrides);
    }

    public SpecLoader(PluginRegistry registry, Function<String, String> env) {
        this(registry, env, Map.of());
    }

    /**
     * A loader that replaces source and sink options before validation, e.g. {@code trips.count ->
     * 1000} for {@code --set trips.count=1000}; the values are checked like the file's own.
     */
    public SpecLoader withOverrides(Map<String, String> overrides) {
        return new SpecLoader(registry, env, overrides);
    }

    public SpecLoader(PluginRegistry registry) {
        this(registry, System::getenv, Map.of());
    }

    public Spec load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return load(file.toString(), new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Loads spec text; {@code file} names it in problems. Throws SpecException listing them all.
     */
    public Spec load(String file, String text) {
        Problems problems = new Problems();
        YNode root = YamlReader.read(file, text, problems);
        if (root == null) {
            problems.throwIfAny();
        }
        OptionsBinder binder = new OptionsBinder(problems, env);
        Options top = binder.bind(root, TOP, "");
        Options rt = top.object("runtime");
        RuntimeSpec runtime = runtime(rt, problems);
        String name = top.string("name");
        if (name != null && !NAME.matcher(name).matches()) {
            problems.add(
                    top.pos("name"),
                    "name",
                    "the name is one word of letters, digits, '-' and '_' (it names the output"
                            + " folder); found '"
                            + name
                            + "'");
        }

        Set<String> overridden = new HashSet<>();
        List<SourceSpec> sources = new ArrayList<>();
        eachEntry(
                top,
                "sources",
                problems,
                (node, path) ->
                        source(binder, override(node, overridden), path, problems, sources));
        List<SinkSpec> sinks = new ArrayList<>();
        eachEntry(
                top,
                "sinks",
                problems,
                (node, path) ->
                        sink(binder, override(node, overridden), path, problems, sinks, runtime));
        for (String key : overrides.keySet()) {
            String id = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (!overridden.contains(id)) {
                List<String> ids = new ArrayList<>();
                sources.forEach(x -> ids.add(x.id()));
                sinks.forEach(x -> ids.add(x.id()));
                problems.add(
                        SET,
                        key,
                        "expected SOURCE-OR-SINK.OPTION=VALUE; "
                                + Suggest.unknown("source or sink", id, ids));
            }
        }
        uniqueIds(
                sources.stream().map(s -> new Named(s.id(), s.pos())).toList(),
                "sources",
                "source",
                problems);
        uniqueIds(
                sinks.stream().map(s -> new Named(s.id(), s.pos())).toList(),
                "sinks",
                "sink",
                problems);

        Map<String, SourceSpec> sourceById = new LinkedHashMap<>();
        sources.stream()
                .filter(s -> s.id() != null)
                .forEach(s -> sourceById.putIfAbsent(s.id(), s));
        Set<String> sinkIds = new HashSet<>();
        sinks.stream().filter(s -> s.id() != null).forEach(s -> sinkIds.add(s.id()));

        List<PipelineSpec> pipelines = new ArrayList<>();
        eachEntry(
                top,
                "pipelines",
                problems,
                (node, path) ->
                        pipeline(binder, node, path, problems, sourceById, sinkIds, pipelines));
        uniqueIds(
                pipelines.stream().map(p -> new Named(p.id(), p.pos())).toList(),
                "pipelines",
                "pipeline",
                problems);
        if (pipelines.isEmpty() && top.get("pipelines") instanceof YNode.YSeq) {
            problems.add(top.pos("pipelines"), "pipelines", "a spec needs at least one pipeline");
        }
        problems.throwIfAny();
        return new Spec(
                top.string("name"),
                top.string("description"),
                file,
                hash(text + new java.util.TreeMap<>(overrides)),
                runtime,
                sources,
                sinks,
                pipelines);
    }

    private static RuntimeSpec runtime(Options rt, Problems problems) {
        if (rt == null) {
            return new RuntimeSpec(2, null, 0, null);
        }
        long parallelism = rt.longValue("parallelism");
        if (parallelism < 1 || parallelism > 32_768) {
            problems.add(
                    rt.pos("parallelism"), "runtime.parallelism", "must be between 1 and 32768");
            parallelism = 1;
        }
        Duration checkpoints = rt.duration("checkpoint-interval");
        if (checkpoints != null && checkpoints.toMillis() < 10) {
            problems.add(
                    rt.pos("checkpoint-interval"),
                    "runtime.checkpoint-interval",
                    "checkpoints need an interval of at least 10ms; leave it out to turn them off");
        }
        long restarts = rt.longValue("restart-attempts");
        if (restarts < 0 || restarts > Integer.MAX_VALUE) {
            problems.add(
                    rt.pos("restart-attempts"), "runtime.restart-attempts", "must be 0 or more");
            restarts = 0;
        }
        String backend = rt.string("state-backend");
        Boolean incremental =
                rt.has("incremental-checkpoints") ? rt.bool("incremental-checkpoints") : null;
        if (Boolean.TRUE.equals(incremental) && !"rocksdb".equals(backend)) {
            problems.add(
                    rt.pos("incremental-checkpoints"),
                    "runtime.incremental-checkpoints",
                    "incremental checkpoints need state-backend: rocksdb");
        }
        Integer retained = null;
        if (rt.has("retained-checkpoints")) {
            long r = rt.longValue("retained-checkpoints");
            if (r < 1 || r > 1000) {
                problems.add(
                        rt.pos("retained-checkpoints"),
                        "runtime.retained-checkpoints",
                        "must be between 1 and 1000");
                r = 1;
            }
            retained = (int) r;
        }
        Duration timeout = rt.duration("checkpoint-timeout");
        if (timeout != null && timeout.toMillis() < 10) {
            problems.add(
                    rt.pos("checkpoint-timeout"),
                    "runtime.checkpoint-timeout",
                    "must be at least 10ms");
        }
        if (checkpoints == null) {
            for (String k :
                    List.of(
                            "checkpoint-mode",
                            "checkpoint-retention",
                            "retained-checkpoints",
                            "checkpoint-dir",
                            "checkpoint-timeout",
                            "min-pause",
                            "incremental-checkpoints")) {
                if (rt.has(k)) {
                    problems.add(
                            rt.pos(k),
                            "runtime." + k,
                            "has no effect without checkpoints: set runtime.checkpoint-interval");
                }
            }
        }
        return new RuntimeSpec(
                (int) parallelism,
                checkpoints,
                (int) restarts,
                rt.duration("buffer-timeout"),
                new StateSettings(
                        backend,
                        incremental,
                        rt.string("checkpoint-mode"),
                        rt.string("checkpoint-retention"),
                        retained,
                        rt.string("checkpoint-dir"),
                        rt.string("savepoint-dir"),
                        timeout,
                        rt.duration("min-pause")));
    }

    /** The entry with this run's {@code --set} values for its id in place of the file's. */
    private YNode override(YNode node, Set<String> overridden) {
        if (overrides.isEmpty()
                || !(node instanceof YNode.YMap map)
                || !(map.get("id") instanceof YNode.YScalar id)) {
            return node;
        }
        Map<String, YNode.YMap.Entry> entries = new LinkedHashMap<>(map.entries());
        String prefix = id.value() + ".";
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            if (o.getKey().startsWith(prefix) && o.getKey().length() > prefix.length()) {
                String key = o.getKey().substring(prefix.length());
                entries.put(key, new YNode.YMap.Entry(key, SET, overrideValue(o.getValue())));
                overridden.add(id.value());
            }
        }
        return new YNode.YMap(map.pos(), entries);
    }

    /** A {@code --set} value read as YAML, so lists work too: {@code --set s.topics=[a, b]}. */
    private static YNode overrideValue(String text) {
        YNode node = YamlReader.read("--set", text, new Problems());
        if (node instanceof YNode.YSeq || node instanceof YNode.YMap) {
            return node;
        }
        return new YNode.YScalar(SET, text, false, false, SET);
    }

    private interface EntryHandler {
        void handle(YNode node, String path);
    }

    private static void eachEntry(
            Options top, String key, Problems problems, EntryHandler handler) {
        Object raw = top.get(key);
        if (raw == null) {
            return;
        }
        if (!(raw instanceof YNode.YSeq seq)) {
            problems.add(
                    ((YNode) raw).pos(), key, "expected a list, found " + ((YNode) raw).kind());
            return;
        }
        for (int i = 0; i < seq.items().size(); i++) {
            handler.handle(seq.items().get(i), key + "[" + i + "]");
        }
    }

    private record Named(String id, Pos pos) {}

    private static void uniqueIds(List<Named> items, String path, String what, Problems problems) {
        Map<String, Named> seen = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Named n = items.get(i);
            if (n.id() == null) {
                continue;
            }
            Named first = seen.putIfAbsent(n.id(), n);
            if (first != null) {
                problems.add(
                        n.pos(),
                        path + "[" + i + "].id",
                        "duplicate "
                                + what
                                + " id '"
                                + n.id()
                                + "' (first at line "
                                + first.pos().line()
                                + ")");
            }
        }
    }

    private static void checkId(Options o, Problems problems) {
        String id = o.string("id");
        if (id != null && !ID.matcher(id).matches()) {
            problems.add(
                    o.pos("id"),
                    o.path("id"),
                    "ids are lower-case words joined by '-', e.g. area-stats; found '" + id + "'");
        }
    }

    /** Finds the plugin named by {@code type-key}, reporting an unknown one; null when absent. */
    private PluginDescriptor plugin(
            YNode node, String typeKey, PluginKind kind, String path, Problems problems) {
        if (!(node instanceof YNode.YMap map)
                || !(map.get(typeKey) instanceof YNode.YScalar s)
                || s.isNull()) {
            return null;
        }
        PluginDescriptor d = registry.find(kind, s.value());
        if (d == null) {
            problems.add(s.pos(), path + "." + typeKey, registry.unknownMessage(kind, s.value()));
        }
        return d;
    }

    /**
     * Binds a plugin entry: common keys plus the plugin's own; with an unknown plugin, common keys
     * only.
     */
    private static Options bindEntry(
            OptionsBinder binder,
            YNode node,
            OptionsSchema common,
            PluginDescriptor d,
            String path) {
        if (d != null) {
            return binder.bind(node, common.plus(d.options()), path);
        }
        if (node instanceof YNode.YMap map) {
            Map<String, YNode.YMap.Entry> known = new LinkedHashMap<>(map.entries());
            known.keySet().retainAll(common.names());
            return binder.bind(new YNode.YMap(map.pos(), known), common, path);
        }
        return binder.bind(node, common, path);
    }

    private void source(
            OptionsBinder binder,
            YNode node,
            String path,
            Problems problems,
            List<SourceSpec> out) {
        PluginDescriptor d = plugin(node, "type", PluginKind.SOURCE, path, problems);
        Options o = bindEntry(binder, node, SOURCE, d, path);
        checkId(o, problems);
        List<FieldMapping> mappings = new ArrayList<>();
        List<Field> fields = new ArrayList<>();
        List<Options> fieldOptions = o.list("fields");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < fieldOptions.size(); i++) {
            Options f = fieldOptions.get(i);
            if (f == null || f.string("name") == null || f.string("type") == null) {
                continue;
            }
            String name = f.string("name");
            if (!Field.isValidName(name)) {
                problems.add(
                        f.pos("name"),
                        f.path("name"),
                        "field names are snake_case identifiers (usable in expressions); found '"
                                + name
                                + "'");
            }
            if (!names.add(name)) {
                problems.add(f.pos("name"), f.path("name"), "duplicate field '" + name + "'");
            }
            FieldType type = FieldType.of(f.string("type"));
            if ("record-timestamp".equals(f.string("from"))) {
                if (type != FieldType.TIMESTAMP) {
                    problems.add(
                            f.pos("from"),
                            f.path("from"),
                            "a record timestamp is a timestamp field");
                } else if (d != null && !(d instanceof RecordTimestamps)) {
                    problems.add(
                            f.pos("from"),
                            f.path("from"),
                            "source type '"
                                    + d.identifier()
                                    + "' attaches no timestamps to records");
                }
            }
            checkTimeFormat(f, type, problems);
            mappings.add(
                    new FieldMapping(
                            name,
                            f.has("column") ? f.string("column") : name,
                            type,
                            f.string("pattern"),
                            f.string("unit"),
                            f.string("time-zone"),
                            "record-timestamp".equals(f.string("from")),
                            f.pos()));
            fields.add(new Field(name, type, true));
        }
        if (fieldOptions.isEmpty() && o.get("fields") != null) {
            problems.add(o.pos("fields"), o.path("fields"), "a source needs at least one field");
        }
        RowSchema schema = new RowSchema(fields);
        EventTime eventTime = null;
        Options et = o.object("event-time");
        if (et != null && et.string("field") != null) {
            String f = et.string("field");
            Field field = schema.field(f);
            if (field == null) {
                problems.add(
                        et.pos("field"),
                        et.path("field"),
                        Suggest.unknown("field", f, schema.names()));
            } else if (field.type() != FieldType.TIMESTAMP) {
                problems.add(
                        et.pos("field"),
                        et.path("field"),
                        "event time needs a timestamp field; '" + f + "' is " + field.type().id());
            }
            eventTime =
                    new EventTime(
                            f,
                            et.duration("max-out-of-orderness"),
                            Duration.ZERO.equals(et.duration("idle-timeout"))
                                    ? null
                                    : et.duration("idle-timeout"),
                            et.pos());
        }
        String delimiter = o.string("delimiter");
        if (delimiter != null && delimiter.length() != 1) {
            problems.add(
                    o.pos("delimiter"),
                    o.path("delimiter"),
                    "the delimiter is one character, found '" + delimiter + "'");
        }
        if (d instanceof PluginCheck check) {
            check.check(o, problems);
        }
        out.add(
                new SourceSpec(
                        o.string("id"),
                        o.string("type"),
                        o.pos(),
                        o,
                        new Format(
                                o.string("format"),
                                delimiter == null || delimiter.isEmpty()
                                        ? ','
                                        : delimiter.charAt(0)),
                        mappings,
                        eventTime,
                        schema));
    }

    private static void checkTimeFormat(Options f, FieldType type, Problems problems) {
        if (f.has("pattern")) {
            if (type != FieldType.TIMESTAMP) {
                problems.add(
                        f.pos("pattern"),
                        f.path("pattern"),
                        "a pattern applies to timestamp fields only");
            } else {
                try {
                    DateTimeFormatter.ofPattern(f.string("pattern"));
                } catch (IllegalArgumentException e) {
                    problems.add(
                            f.pos("pattern"),
                            f.path("pattern"),
                            "not a date-time pattern: " + e.getMessage());
                }
            }
        }
        if (f.has("unit") && type != FieldType.TIMESTAMP) {
            problems.add(f.pos("unit"), f.path("unit"), "a unit applies to timestamp fields only");
        }
        if (f.has("time-zone")) {
            try {
                ZoneId.of(f.string("time-zone"));
            } catch (RuntimeException e) {
                problems.add(
                        f.pos("time-zone"),
                        f.path("time-zone"),
                        "unknown time zone '"
                                + f.string("time-zone")
                                + "' (e.g. UTC, America/Chicago)");
            }
        }
    }

    private void sink(
            OptionsBinder binder,
            YNode node,
            String path,
            Problems problems,
            List<SinkSpec> out,
            RuntimeSpec runtime) {
        PluginDescriptor d = plugin(node, "type", PluginKind.SINK, path, problems);
        Options o = bindEntry(binder, node, SINK, d, path);
        checkId(o, problems);
        if (d instanceof PluginCheck check) {
            check.check(o, problems);
            check.check(o, runtime, problems);
        }
        out.add(new SinkSpec(o.string("id"), o.string("type"), o.pos(), o));
    }

    private void pipeline(
            OptionsBinder binder,
            YNode node,
            String path,
            Problems problems,
            Map<String, SourceSpec> sources,
            Set<String> sinkIds,
            List<PipelineSpec> out) {
        Options o = binder.bind(node, PIPELINE, path);
        checkId(o, problems);
        SourceSpec source = null;
        if (o.string("source") != null) {
            source = sources.get(o.string("source"));
            if (source == null) {
                problems.add(
                        o.pos("source"),
                        o.path("source"),
                        Suggest.unknown("source", o.string("source"), sources.keySet()));
            }
        }
        checkSinkRef(o, "dead-letters", sinkIds, problems);
        RowSchema schema = source == null ? new RowSchema(List.of()) : source.schema();
        List<StepSpec> steps = new ArrayList<>();
        List<Named> stepIds = new ArrayList<>();
        Object raw = o.get("steps");
        if (raw instanceof YNode.YSeq seq) {
            for (int i = 0; i < seq.items().size(); i++) {
                String stepPath = o.path("steps") + "[" + i + "]";
                // without a known source there is no schema: field checks would only echo that
                // problem
                Problems semantic = source == null ? new Problems() : problems;
                StepSpec step =
                        step(
                                binder,
                                seq.items().get(i),
                                stepPath,
                                schema,
                                sinkIds,
                                problems,
                                semantic,
                                stepIds);
                if (step != null
                        && source != null
                        && source.eventTime() == null
                        && ((ProcessorDescriptor)
                                        registry.find(PluginKind.PROCESSOR, step.processor()))
                                .needsEventTime()) {
                    semantic.add(
                            step.pos(),
                            stepPath + ".processor",
                            "'"
                                    + step.processor()
                                    + "' works in event time: declare 'event-time' on source '"
                                    + source.id()
                                    + "'");
                }
                if (step != null) {
                    steps.add(step);
                    ProcessorDescriptor d =
                            (ProcessorDescriptor)
                                    registry.find(PluginKind.PROCESSOR, step.processor());
                    if (d.shape() == ProcessorDescriptor.Shape.TRANSFORM) {
                        schema = step.result();
                    }
                }
            }
            if (seq.items().isEmpty()
                    && o.object("routes") == null
                    && o.object("scenarios") == null) {
                problems.add(seq.pos(), o.path("steps"), "a pipeline needs at least one step");
            }
        } else if (raw != null) {
            problems.add(
                    ((YNode) raw).pos(),
                    o.path("steps"),
                    "expected a list of steps, found " + ((YNode) raw).kind());
        }
        uniqueIds(stepIds, o.path("steps"), "step", problems);
        RoutesSpec routes = null;
        if (o.object("routes") != null) {
            routes = routes(o.object("routes"), schema, sinkIds, problems);
        }
        ScenariosSpec scenarios = null;
        if (o.object("scenarios") != null) {
            scenarios = scenarios(o.object("scenarios"), schema, sinkIds, problems);
            if (source != null && source.eventTime() == null) {
                problems.add(
                        o.object("scenarios").pos(),
                        o.path("scenarios"),
                        "scenarios work in event time: declare 'event-time' on source '"
                                + source.id()
                                + "'");
            }
            if (routes != null && !routes.store().equals(scenarios.store())) {
                problems.add(
                        o.object("scenarios").pos("store"),
                        o.object("scenarios").path("store"),
                        "routes and scenarios of a pipeline share one config store: use '"
                                + routes.store()
                                + "'");
            }
        }
        if (raw == null && routes == null && scenarios == null) {
            problems.add(
                    o.pos(), o.path("steps"), "a pipeline needs 'steps', 'routes', 'scenarios'");
        }
        out.add(
                new PipelineSpec(
                        o.string("id"),
                        o.string("source"),
                        o.string("dead-letters"),
                        o.pos(),
                        steps,
                        routes,
                        scenarios));
    }

    private static ScenariosSpec scenarios(
            Options r, RowSchema input, Set<String> sinkIds, Problems problems) {
        for (String key : List.of("hot-items", "profiles", "metrics", "rankings")) {
            List<String> sinks = r.list(key);
            for (int i = 0; i < sinks.size(); i++) {
                if (sinks.get(i) != null && !sinkIds.contains(sinks.get(i))) {
                    problems.add(
                            r.pos(key, i),
                            r.path(key) + "[" + i + "]",
                            Suggest.unknown("sink", sinks.get(i), sinkIds));
                }
            }
        }
        checkSinkRef(r, "unmatched", sinkIds, problems);
        String watch = r.string("watch-time-field");
        if (!input.fields().isEmpty()) {
            for (String key :
                    List.of(
                            "tenant-field",
                            "scenario-field",
                            "user-field",
                            "item-field",
                            "category-field",
                            "action-field")) {
                routingField(r, key, input, FieldType.STRING, problems);
            }
            if (watch != null) {
                routingField(r, "watch-time-field", input, FieldType.LONG, problems);
            } else if (input.field("watch_time_ms") != null
                    && input.field("watch_time_ms").type() == FieldType.LONG) {
                watch = "watch_time_ms";
            }
        }
        long keep = r.longValue("keep-versions");
        if (keep < 2 || keep > 100) {
            problems.add(r.pos("keep-versions"), r.path("keep-versions"), "must be 2 to 100");
            keep = 4;
        }
        Duration poll = r.duration("poll-interval");
        if (poll != null && poll.toMillis() < 10) {
            problems.add(r.pos("poll-interval"), r.path("poll-interval"), "at least 10ms");
        }
        return new ScenariosSpec(
                r.string("store"),
                r.list("hot-items"),
                r.list("profiles"),
                r.list("metrics"),
                r.list("rankings"),
                r.string("unmatched"),
                r.string("tenant-field"),
                r.string("scenario-field"),
                r.string("user-field"),
                r.string("item-field"),
                r.string("category-field"),
                r.string("action-field"),
                watch,
                poll,
                (int) keep,
                r.pos(),
                input);
    }

    private static RoutesSpec routes(
            Options r, RowSchema input, Set<String> sinkIds, Problems problems) {
        List<String> outputs = r.list("outputs");
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i) != null && !sinkIds.contains(outputs.get(i))) {
                problems.add(
                        r.pos("outputs", i),
                        r.path("outputs") + "[" + i + "]",
                        Suggest.unknown("sink", outputs.get(i), sinkIds));
            }
        }
        checkSinkRef(r, "unrouted", sinkIds, problems);
        checkSinkRef(r, "alerts", sinkIds, problems);
        if (!input.fields().isEmpty()) {
            routingField(r, "event-type-field", input, FieldType.STRING, problems);
            routingField(r, "tenant-field", input, FieldType.STRING, problems);
            routingField(r, "payload-field", input, FieldType.JSON, problems);
        }
        Options b = r.object("breaker");
        long failures = b == null ? 5 : b.longValue("failures");
        Duration within = b == null ? Duration.ofSeconds(10) : b.duration("within");
        if (failures < 1 || failures > Integer.MAX_VALUE) {
            problems.add(b.pos("failures"), b.path("failures"), "must be at least 1");
            failures = 5;
        }
        long keep = r.longValue("keep-versions");
        if (keep < 2 || keep > 100) {
            problems.add(r.pos("keep-versions"), r.path("keep-versions"), "must be 2 to 100");
            keep = 4;
        }
        Duration poll = r.duration("poll-interval");
        if (poll != null && poll.toMillis() < 10) {
            problems.add(r.pos("poll-interval"), r.path("poll-interval"), "at least 10ms");
        }
        return new RoutesSpec(
                r.string("store"),
                outputs,
                r.string("unrouted"),
                r.string("alerts"),
                r.string("event-type-field"),
                r.string("tenant-field"),
                r.string("payload-field"),
                (int) failures,
                within,
                poll,
                (int) keep,
                r.duration("state-ttl"),
                r.pos(),
                input);
    }

    private static void routingField(
            Options r, String key, RowSchema input, FieldType type, Problems problems) {
        String name = r.string(key);
        if (name == null) {
            return;
        }
        Field f = input.field(name);
        if (f == null) {
            problems.add(r.pos(key), r.path(key), Suggest.unknown("field", name, input.names()));
        } else if (f.type() != type) {
            problems.add(
                    r.pos(key),
                    r.path(key),
                    "'" + name + "' must be a " + type.id() + " field; it is " + f.type().id());
        }
    }

    private StepSpec step(
            OptionsBinder binder,
            YNode node,
            String path,
            RowSchema input,
            Set<String> sinkIds,
            Problems problems,
            Problems semantic,
            List<Named> ids) {
        PluginDescriptor d = plugin(node, "processor", PluginKind.PROCESSOR, path, problems);
        Options o = bindEntry(binder, node, STEP, d, path);
        checkId(o, problems);
        ids.add(new Named(o.string("id"), o.pos()));
        if (!(d instanceof ProcessorDescriptor p)) {
            return null;
        }
        checkSinkRef(o, "output", sinkIds, problems);
        for (String key : p.sinkOptions()) {
            checkSinkRef(o, key, sinkIds, problems);
        }
        if (p.shape() == ProcessorDescriptor.Shape.BRANCH && o.string("output") == null) {
            problems.add(
                    o.pos(),
                    o.path("output"),
                    "processor '"
                            + p.identifier()
                            + "' emits results: name the sink they go to with 'output'");
        }
        RowSchema result = p.check(o, input, semantic);
        return new StepSpec(
                o.string("id"), p.identifier(), o.pos(), o, o.string("output"), input, result);
    }

    private static void checkSinkRef(
            Options o, String key, Set<String> sinkIds, Problems problems) {
        String ref = o.string(key);
        if (ref != null && !sinkIds.contains(ref)) {
            problems.add(o.pos(key), o.path(key), Suggest.unknown("sink", ref, sinkIds));
        }
    }

    static String hash(String text) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
