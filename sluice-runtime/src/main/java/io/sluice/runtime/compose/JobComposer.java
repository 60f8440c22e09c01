package io.sluice.runtime.compose;

import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.codec.RowDecoder;
import io.sluice.runtime.processor.ProcessorFactory;
import io.sluice.runtime.processor.StepResult;
import io.sluice.runtime.route.ConfigUpdate;
import io.sluice.runtime.route.ControlSource;
import io.sluice.runtime.route.MatchScenarios;
import io.sluice.runtime.route.RouteEvents;
import io.sluice.runtime.route.RouteRunner;
import io.sluice.runtime.route.RoutedEvent;
import io.sluice.runtime.route.RoutedEventSerializer;
import io.sluice.runtime.route.RunRoutes;
import io.sluice.runtime.route.ScenarioProfiles;
import io.sluice.runtime.route.ScenarioWindows;
import io.sluice.runtime.route.Scenarios;
import io.sluice.runtime.route.StoreVersions;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.run.WatermarkAccumulator;
import io.sluice.runtime.sink.JsonEncoder;
import io.sluice.runtime.sink.RejectingSink;
import io.sluice.runtime.sink.RejectingWriterOperator;
import io.sluice.runtime.sink.SinkFactory;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.runtime.source.SourceFactory;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec;
import io.sluice.spec.model.Spec.PipelineSpec;
import io.sluice.spec.model.Spec.RoutesSpec;
import io.sluice.spec.model.Spec.ScenariosSpec;
import io.sluice.spec.model.Spec.SinkSpec;
import io.sluice.spec.model.Spec.SourceSpec;
import io.sluice.spec.model.Spec.StepSpec;
import io.sluice.spec.plugin.PluginKind;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.plugin.ProcessorDescriptor.Shape;
import io.sluice.spec.routes.RouteCatalog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Turns a spec into a Flink job. Per pipeline:
 *
 * <pre>
 * source ─► decode ─► watermarks ─► step ─► step ─► ... ─► (accepted rows counted)
 *             │                      │ transform: rows continue (and go to 'output' if named)
 *             │                      │ branch: results go to 'output', the input rows continue
 *             └──────── dead letters ┴──► dead-letters sink
 * </pre>
 *
 * Every stream bound for a sink is encoded as JSON with its schema, then all streams of one sink
 * are united into one Sink V2. Sources and sinks come from {@link Connectors}, so tests and
 * benchmarks can bring their own. Operator uids derive from pipeline and step ids.
 */
public final class JobComposer {

    /** Where sources' raw lines come from and where encoded records go. */
    public interface Connectors {
        DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec spec)
                throws IOException;

        List<String> csvHeader(SourceSpec spec) throws IOException;

        Sink<SinkRecord> sink(Spec job, SinkSpec spec);

        /** Whether the source ends by itself (then live routing's control stream ends too). */
        default boolean bounded(SourceSpec spec) {
            return true;
        }

        /** Fields forming the record key of a sink (see {@link SinkFactory#keyFields}). */
        default List<String> keyFields(SinkSpec spec) {
            return List.of();
        }

        /** See {@link SinkFactory#partitionedByKey}. */
        default boolean partitionedByKey(SinkSpec spec) {
            return false;
        }
    }

    /** Connectors from the registered source and sink plugins. */
    public static Connectors plugins(PluginRegistry registry, RunContext run) {
        return new Connectors() {
            @Override
            public DataStream<EventRow> source(StreamExecutionEnvironment env, SourceSpec spec)
                    throws IOException {
                return ((SourceFactory) registry.find(PluginKind.SOURCE, spec.type()))
                        .create(env, spec, run);
            }

            @Override
            public List<String> csvHeader(SourceSpec spec) throws IOException {
                return ((SourceFactory) registry.find(PluginKind.SOURCE, spec.type()))
                        .csvHeader(spec, run);
            }

            @Override
            public boolean bounded(SourceSpec spec) {
                return ((SourceFactory) registry.find(PluginKind.SOURCE, spec.type()))
                        .bounded(spec);
            }

            @Override
            public Sink<SinkRecord> sink(Spec job, SinkSpec spec) {
                return factory(spec).create(spec, job, run);
            }

            @Override
            public List<String> keyFields(SinkSpec spec) {
                return factory(spec).keyFields(spec);
            }

            @Override
            public boolean partitionedByKey(SinkSpec spec) {
                return factory(spec).partitionedByKey(spec);
            }

            private SinkFactory factory(SinkSpec spec) {
                return (SinkFactory) registry.find(PluginKind.SINK, spec.type());
            }
        };
    }

    private final PluginRegistry registry;
    private final RunContext run;
    private final Connectors connectors;

    public JobComposer(PluginRegistry registry, RunContext run, Connectors connectors) {
        this.registry = registry;
        this.run = run;
        this.connectors = connectors;
    }

    public JobComposer(PluginRegistry registry, RunContext run) {
        this(registry, run, plugins(registry, run));
    }

    /** Adds the spec's pipelines to {@code env}. */
    public void compose(Spec spec, StreamExecutionEnvironment env) throws IOException {
        env.setParallelism(spec.runtime().parallelism());
        if (spec.runtime().bufferTimeout() != null) {
            env.setBufferTimeout(spec.runtime().bufferTimeout().toMillis());
        }
        // state backend, checkpoints and savepoints: carried by the job, wherever it runs
        env.configure(
                org.apache.flink.configuration.Configuration.fromMap(
                        io.sluice.runtime.run.FlinkSettings.of(spec, run.specDir())));
        Map<String, List<DataStream<SinkRecord>>> bySink = new LinkedHashMap<>();
        Map<String, DataStream<EventRow>> sources = new LinkedHashMap<>();
        // sink id -> the dead-letters sink of the first pipeline writing to it
        Map<String, String> deadLettersOf = new LinkedHashMap<>();
        for (PipelineSpec p : spec.pipelines()) {
            Map<String, Integer> before = new LinkedHashMap<>();
            bySink.forEach((k, v) -> before.put(k, v.size()));
            composePipeline(spec, p, env, bySink, sources);
            bySink.forEach(
                    (k, v) -> {
                        if (v.size() > before.getOrDefault(k, 0) && !k.equals(p.deadLetters())) {
                            deadLettersOf.putIfAbsent(k, p.deadLetters());
                        }
                    });
        }
        checkSinkFolders(spec);
        Map<String, Sink<SinkRecord>> sinks = new LinkedHashMap<>();
        for (String id : bySink.keySet()) {
            sinks.put(id, connectors.sink(spec, spec.sink(id)));
        }
        // Encoded outputs ---> a sink refusing single rows ---> its refusals to dead letters
        for (String id : List.copyOf(bySink.keySet())) {
            String target = deadLettersOf.get(id);
            if (sinks.get(id) instanceof RejectingSink rejecting
                    && target != null
                    && !(sinks.get(target) instanceof RejectingSink)) {
                SinkSpec sink = spec.sink(id);
                DataStream<EventRow> refused =
                        sinkInput(sink, bySink.remove(id))
                                .transform(
                                        sink.id() + " (" + sink.type() + " sink)",
                                        DeadLetters.TYPE,
                                        new RejectingWriterOperator(
                                                rejecting, sink.id(), sink.pos().fileLine()))
                                .uid("sink." + sink.id());
                encodeTo(
                        spec,
                        bySink,
                        new Emitted(target, refused, DeadLetters.SCHEMA, "sink." + sink.id()));
            }
        }
        // Encoded outputs ---> one Sink V2 per sink id
        for (Map.Entry<String, List<DataStream<SinkRecord>>> e : bySink.entrySet()) {
            SinkSpec sink = spec.sink(e.getKey());
            sinkInput(sink, e.getValue())
                    .sinkTo(sinks.get(sink.id()))
                    .uid("sink." + sink.id())
                    .name(sink.id() + " (" + sink.type() + " sink)");
        }
    }

    /** The encoded records of one sink, united, and partitioned by key where the sink wants it. */
    private DataStream<SinkRecord> sinkInput(SinkSpec sink, List<DataStream<SinkRecord>> streams) {
        DataStream<SinkRecord> all = streams.get(0);
        for (DataStream<SinkRecord> s : streams.subList(1, streams.size())) {
            all = all.union(s);
        }
        if (connectors.partitionedByKey(sink)) {
            // one key's records to one writer, in the order they were produced
            all = all.keyBy(SinkRecord::keyText, Types.STRING);
        }
        return all;
    }

    private void composePipeline(
            Spec spec,
            PipelineSpec p,
            StreamExecutionEnvironment env,
            Map<String, List<DataStream<SinkRecord>>> bySink,
            Map<String, DataStream<EventRow>> sources)
            throws IOException {
        SourceSpec source = spec.source(p.source());
        List<String> header =
                "csv".equals(source.format().type()) ? connectors.csvHeader(source) : null;
        RowDecoder decoder = new RowDecoder(source, header);

        // Source ---> Decode
        SingleOutputStreamOperator<EventRow> decoded =
                rawLines(env, source, sources)
                        .process(new Decode(decoder), new EventRowTypeInfo(source.schema()))
                        .uid(p.id() + ".decode")
                        .name(p.id() + " decode (" + source.format().type() + ")");
        List<DataStream<EventRow>> deadLetters = new ArrayList<>();
        deadLetters.add(decoded.getSideOutput(DeadLetters.TAG));

        // Decode ---> Watermarks
        DataStream<EventRow> rows = decoded;
        if (source.eventTime() != null) {
            rows =
                    decoded.assignTimestampsAndWatermarks(
                                    RowWatermarks.strategy(
                                            source.schema().indexOf(source.eventTime().field()),
                                            source.eventTime().maxOutOfOrderness(),
                                            source.eventTime().idleTimeout()))
                            .uid(p.id() + ".watermarks")
                            .name(p.id() + " watermarks");
        }

        // Watermarks ---> Steps
        RowSchema schema = source.schema();
        for (StepSpec step : p.steps()) {
            ProcessorFactory factory =
                    (ProcessorFactory) registry.find(PluginKind.PROCESSOR, step.processor());
            StepContext ctx = new StepContext(spec, p, step, run, connectors.bounded(source));
            StepResult result = factory.apply(ctx, rows);
            if (result.deadLetters() != null) {
                deadLetters.add(result.deadLetters());
            }
            for (Emitted extra : result.extra()) {
                encodeTo(spec, bySink, extra);
            }
            if (factory.shape() == Shape.TRANSFORM) {
                rows = result.rows();
                schema = step.result();
            }
            if (step.output() != null) {
                encodeTo(
                        spec,
                        bySink,
                        new Emitted(step.output(), result.rows(), step.result(), ctx.uid("out")));
            }
        }

        // Steps ---> accepted rows counted (every input row is accepted or a dead letter)
        rows =
                rows.process(
                                new CountAccepted(p.routes() != null || p.scenarios() != null),
                                new EventRowTypeInfo(schema))
                        .uid(p.id() + ".accepted")
                        .name(p.id() + " accepted");

        if (p.routes() != null) {
            composeRoutes(spec, p, source, env, rows, schema, bySink, deadLetters);
        }
        if (p.scenarios() != null) {
            composeScenarios(spec, p, source, env, rows, schema, bySink, deadLetters);
        }

        // Dead letters ---> dead-letters sink
        DataStream<EventRow> dead = deadLetters.get(0);
        for (DataStream<EventRow> d : deadLetters.subList(1, deadLetters.size())) {
            dead = dead.union(d);
        }
        encodeTo(
                spec,
                bySink,
                new Emitted(p.deadLetters(), dead, DeadLetters.SCHEMA, p.id() + ".dead-letters"));
    }

    /**
     * Live routing: the control stream broadcast to both stages; stage 1 matches events to routes
     * and runs the stateless ones itself; it forks events of stateful routes to stage 2, keyed by
     * (route, key), which runs their processors; results of both go to the routes' outputs.
     *
     * <pre>
     * Config store ---> control (parallelism 1) ---broadcast---+--------------------+
     *                                                          v                    v
     * Rows ---> Route (stage 1: match, fork, run stateless routes) ---keyBy---> Run routes (stage 2)
     *             |  side outputs: results, dead letters, unrouted                   |
     *             +---> outputs' sinks <----------------- side outputs: results -----+
     * </pre>
     */
    private void composeRoutes(
            Spec spec,
            PipelineSpec p,
            SourceSpec source,
            StreamExecutionEnvironment env,
            DataStream<EventRow> rows,
            RowSchema schema,
            Map<String, List<DataStream<SinkRecord>>> bySink,
            List<DataStream<EventRow>> deadLetters) {
        RoutesSpec r = p.routes();
        RouteCatalog catalog = RouteCatalog.of(spec, p);
        StoreVersions store = new StoreVersions(storeLocation(r.store()), catalog);
        checkStore(store, catalog);

        // Config store ---> control stream, broadcast
        BroadcastStream<ConfigUpdate> control =
                control(
                        env,
                        store,
                        r.pollInterval(),
                        source,
                        p.id() + ".control",
                        p.id() + " config versions");

        Map<String, OutputTag<SinkRecord>> tags = new LinkedHashMap<>();
        Map<String, List<String>> keys = new LinkedHashMap<>();
        List<String> outs = new ArrayList<>(r.outputs());
        if (r.alerts() != null && !outs.contains(r.alerts())) {
            outs.add(r.alerts());
        }
        for (String o : outs) {
            tags.put(o, new OutputTag<>(p.id() + ".routes." + o, SinkRecord.TYPE));
            keys.put(o, connectors.keyFields(spec.sink(o)));
        }
        RouteRunner.Settings running =
                new RouteRunner.Settings(
                        spec.hash(),
                        p.id() + ".routes",
                        tags,
                        keys,
                        r.alerts(),
                        r.breakerFailures(),
                        r.breakerWindow());

        // Rows ---> Route (stage 1): fork per matching route, stamped with the version; stateless
        // routes run here, so their events skip the keyBy
        OutputTag<EventRow> unroutedTag =
                new OutputTag<>(p.id() + ".unrouted", new EventRowTypeInfo(schema));
        SingleOutputStreamOperator<RoutedEvent> routed =
                rows.connect(control)
                        .process(
                                new RouteEvents(
                                        catalog,
                                        store.forTasks(),
                                        r.keepVersions(),
                                        unroutedTag,
                                        p.id() + ".routes",
                                        r.pos().fileLine(),
                                        running),
                                RoutedEventSerializer.TYPE)
                        .uid(p.id() + ".route")
                        .name(p.id() + " route (match and fork)");
        deadLetters.add(routed.getSideOutput(DeadLetters.TAG));
        encodeTo(
                spec,
                bySink,
                new Emitted(
                        r.unrouted(),
                        routed.getSideOutput(unroutedTag),
                        schema,
                        p.id() + ".unrouted"));

        // Route ---> keyBy(route, key) ---> Run routes (stage 2): the stateful routes
        SingleOutputStreamOperator<SinkRecord> results =
                routed.keyBy(RoutedEvent::key, Types.STRING)
                        .connect(control)
                        .process(
                                new RunRoutes(
                                        catalog,
                                        store.forTasks(),
                                        r.keepVersions(),
                                        spec.hash(),
                                        p.id() + ".routes",
                                        tags,
                                        keys,
                                        r.alerts(),
                                        r.breakerFailures(),
                                        r.breakerWindow(),
                                        r.stateTtl()),
                                SinkRecord.TYPE)
                        .uid(p.id() + ".routes")
                        .name(p.id() + " routes (keyed)");
        deadLetters.add(results.getSideOutput(DeadLetters.TAG));
        // Route, Run routes ---> outputs: each output takes the results of both stages
        for (Map.Entry<String, OutputTag<SinkRecord>> t : tags.entrySet()) {
            List<DataStream<SinkRecord>> to =
                    bySink.computeIfAbsent(t.getKey(), k -> new ArrayList<>());
            to.add(routed.getSideOutput(t.getValue()));
            to.add(results.getSideOutput(t.getValue()));
        }
    }

    /**
     * Recommendation scenarios: stage 1 stamps each behaviour event with the config version in
     * force and forks it to the scenario's keyed stages, which compute hot items and metrics (keyed
     * by tenant and scenario) and user profiles (keyed by user).
     *
     * <pre>
     * Config store ---> control (parallelism 1) ---broadcast---+
     *                                                          v
     * Rows ---> Match scenarios ---keyBy(tenant, scenario)---> Hot items, metrics ---> sinks
     *             |  side outputs: unmatched, dead letters
     *             +---keyBy(tenant, scenario, user)---> Profiles ---> sinks
     * </pre>
     */
    private void composeScenarios(
            Spec spec,
            PipelineSpec p,
            SourceSpec source,
            StreamExecutionEnvironment env,
            DataStream<EventRow> rows,
            RowSchema schema,
            Map<String, List<DataStream<SinkRecord>>> bySink,
            List<DataStream<EventRow>> deadLetters) {
        ScenariosSpec sc = p.scenarios();
        RouteCatalog catalog = RouteCatalog.of(spec, p);
        StoreVersions store = new StoreVersions(storeLocation(sc.store()), catalog);
        checkStore(store, catalog);
        String step = p.id() + ".scenarios";

        // Config store ---> control stream, broadcast
        BroadcastStream<ConfigUpdate> control =
                control(
                        env,
                        store,
                        sc.pollInterval(),
                        source,
                        step + ".control",
                        p.id() + " scenario config versions");

        // Rows ---> Match scenarios: stamped with the version in force, forked per part
        Scenarios.Fields fields = Scenarios.Fields.of(sc);
        OutputTag<EventRow> unmatchedTag =
                sc.unmatched() == null
                        ? null
                        : new OutputTag<>(p.id() + ".unmatched", new EventRowTypeInfo(schema));
        SingleOutputStreamOperator<RoutedEvent> matched =
                rows.connect(control)
                        .process(
                                new MatchScenarios(
                                        catalog,
                                        store.forTasks(),
                                        sc.keepVersions(),
                                        fields,
                                        unmatchedTag,
                                        step),
                                RoutedEventSerializer.TYPE)
                        .uid(step + ".match")
                        .name(p.id() + " match scenarios");
        deadLetters.add(matched.getSideOutput(DeadLetters.TAG));
        if (unmatchedTag != null) {
            encodeTo(
                    spec,
                    bySink,
                    new Emitted(
                            sc.unmatched(),
                            matched.getSideOutput(unmatchedTag),
                            schema,
                            p.id() + ".unmatched"));
        }

        // Match ---> keyBy(tenant, scenario) ---> hot items and metrics
        SingleOutputStreamOperator<EventRow> windows =
                matched.keyBy(RoutedEvent::key, Types.STRING)
                        .transform(
                                p.id() + " scenarios: hot items, metrics",
                                DeadLetters.TYPE,
                                new ScenarioWindows(
                                        catalog,
                                        store.forTasks(),
                                        sc.keepVersions(),
                                        fields,
                                        step,
                                        !sc.rankings().isEmpty()))
                        .uid(step + ".windows");
        deadLetters.add(windows.getSideOutput(DeadLetters.TAG));
        for (String sink : sc.hotItems()) {
            encodeTo(
                    spec,
                    bySink,
                    new Emitted(
                            sink,
                            windows.getSideOutput(ScenarioWindows.HOT_ITEMS),
                            Scenarios.HOT_ITEMS,
                            step + ".hot-items"));
        }
        for (String sink : sc.rankings()) {
            encodeTo(
                    spec,
                    bySink,
                    new Emitted(
                            sink,
                            windows.getSideOutput(ScenarioWindows.RANKINGS),
                            Scenarios.RANKINGS,
                            step + ".rankings"));
        }
        for (String sink : sc.metrics()) {
            encodeTo(
                    spec,
                    bySink,
                    new Emitted(
                            sink,
                            windows.getSideOutput(ScenarioWindows.METRICS),
                            Scenarios.METRICS,
                            step + ".metrics"));
        }

        // Match ---> keyBy(tenant, scenario, user) ---> profiles
        SingleOutputStreamOperator<EventRow> profiles =
                matched.getSideOutput(MatchScenarios.PROFILES)
                        .keyBy(RoutedEvent::key, Types.STRING)
                        .process(
                                new ScenarioProfiles(
                                        catalog, store.forTasks(), sc.keepVersions(), fields, step),
                                new EventRowTypeInfo(Scenarios.PROFILES))
                        .uid(step + ".profiles")
                        .name(p.id() + " scenarios: user profiles");
        deadLetters.add(profiles.getSideOutput(DeadLetters.TAG));
        for (String sink : sc.profiles()) {
            encodeTo(
                    spec,
                    bySink,
                    new Emitted(sink, profiles, Scenarios.PROFILES, step + ".profiles"));
        }
    }

    /** The store's versions as a broadcast stream: one reading task, every version once. */
    private BroadcastStream<ConfigUpdate> control(
            StreamExecutionEnvironment env,
            StoreVersions store,
            java.time.Duration poll,
            SourceSpec source,
            String uid,
            String name) {
        return env.fromSource(
                        new ControlSource(store, poll, connectors.bounded(source)),
                        ControlSource.watermarks(),
                        name,
                        ConfigUpdate.TYPE)
                .setParallelism(1)
                .uid(uid)
                .broadcast(RouteEvents.VERSIONS);
    }

    /**
     * Fails before the job starts when the store is unreachable, empty, or its current version does
     * not fit this job: no event may meet an empty or foreign config.
     */
    private static void checkStore(StoreVersions store, RouteCatalog catalog) {
        try {
            store.importEdits();
            ConfigUpdate current =
                    store.current()
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    "config store "
                                                            + store.describe()
                                                            + " has no routes yet: write them with"
                                                            + " './sluice config set SPEC"
                                                            + " routes.yaml'"));
            io.sluice.spec.problem.Problems problems =
                    new io.sluice.spec.routes.RoutesLoader(
                                    io.sluice.spec.plugin.PluginRegistry.load())
                            .validate("routes.yaml", current.text, catalog);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(
                        "config version "
                                + current.version
                                + " in "
                                + store.describe()
                                + " does not fit this spec: "
                                + problems.list());
            }
        } catch (io.sluice.control.store.ConfigStoreException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            store.close();
        }
    }

    /**
     * The store named in the spec: a JDBC URL (with {@code SLUICE_STORE_USER} and {@code
     * SLUICE_STORE_PASSWORD} when set), or a folder relative to the spec's.
     */
    public StoreLocation storeLocation(String store) {
        return storeLocation(store, run);
    }

    /** Where a spec's {@code store} value points, file stores relative to the spec's folder. */
    public static StoreLocation storeLocation(String store, RunContext run) {
        if (store.startsWith("jdbc:")) {
            // credentials from the environment of the command that builds the job, if set
            String user = System.getenv("SLUICE_STORE_USER");
            String password = System.getenv("SLUICE_STORE_PASSWORD");
            StoreLocation loc = StoreLocation.parse(store);
            return user == null && password == null ? loc : loc.withCredentials(user, password);
        }
        String path = store.startsWith("file:") ? store.substring("file:".length()) : store;
        return StoreLocation.parse(
                run.specDir().resolve(path).toAbsolutePath().normalize().toString());
    }

    /** Two file sinks writing one folder would overwrite each other's parts. */
    private void checkSinkFolders(Spec spec) {
        Map<java.nio.file.Path, String> owners = new java.util.HashMap<>();
        for (SinkSpec sink : spec.sinks()) {
            if (!"file".equals(sink.type())) {
                continue;
            }
            java.nio.file.Path folder =
                    io.sluice.runtime.sink.FileSinkFactory.folder(sink, run)
                            .toAbsolutePath()
                            .normalize();
            String other = owners.putIfAbsent(folder, sink.id());
            if (other != null) {
                throw new IllegalArgumentException(
                        "sinks '"
                                + other
                                + "' and '"
                                + sink.id()
                                + "' both write to "
                                + folder
                                + ": give one of them another 'path'");
            }
        }
    }

    /** Where the sink's key fields stand in this stream's rows; every stream must have them. */
    private int[] keyIndexes(Spec spec, Emitted e) {
        List<String> key = connectors.keyFields(spec.sink(e.sinkId()));
        int[] out = new int[key.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = e.schema().indexOf(key.get(i));
            if (out[i] < 0) {
                throw new IllegalArgumentException(
                        "sink '"
                                + e.sinkId()
                                + "' keys records by '"
                                + key.get(i)
                                + "', which the rows from "
                                + e.producerUid()
                                + " do not have (they have: "
                                + String.join(", ", e.schema().names())
                                + ")");
            }
        }
        return out;
    }

    /** A source's lines, read once however many pipelines use it. */
    private DataStream<EventRow> rawLines(
            StreamExecutionEnvironment env,
            SourceSpec source,
            Map<String, DataStream<EventRow>> sources)
            throws IOException {
        DataStream<EventRow> lines = sources.get(source.id());
        if (lines == null) {
            lines = connectors.source(env, source);
            sources.put(source.id(), lines);
        }
        return lines;
    }

    private void encodeTo(Spec spec, Map<String, List<DataStream<SinkRecord>>> bySink, Emitted e) {
        DataStream<SinkRecord> encoded =
                e.stream()
                        .map(
                                new JsonEncoder(
                                        e.schema(), spec.hash(), e.sinkId(), keyIndexes(spec, e)))
                        .returns(SinkRecord.TYPE)
                        .uid(e.producerUid() + ".encode." + e.sinkId())
                        .name("encode → " + e.sinkId());
        bySink.computeIfAbsent(e.sinkId(), k -> new ArrayList<>()).add(encoded);
    }

    /** Stateless: decodes lines into rows, counting rows in; bad lines become dead letters. */
    static final class Decode extends ProcessFunction<EventRow, EventRow> {
        private final RowDecoder decoder;
        private transient LongCounter rowsIn;

        Decode(RowDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        public void open(OpenContext openContext) {
            rowsIn = getRuntimeContext().getLongCounter(Counters.ROWS_IN);
        }

        @Override
        public void processElement(EventRow line, Context ctx, Collector<EventRow> out) {
            rowsIn.add(1);
            EventRow row =
                    decoder.decode(
                            line.raw(),
                            line.origin(),
                            ctx.timestamp(),
                            dead -> ctx.output(DeadLetters.TAG, dead));
            if (row != null) {
                out.collect(row);
            }
        }
    }

    /**
     * Stateless terminal: counts rows that made it through every step, and tracks the watermark.
     */
    static final class CountAccepted extends ProcessFunction<EventRow, EventRow> {
        private final boolean forward;
        private transient LongCounter accepted;
        private transient WatermarkAccumulator watermark;

        /**
         * @param forward whether the rows continue (into live routing)
         */
        CountAccepted(boolean forward) {
            this.forward = forward;
        }

        @Override
        public void open(OpenContext openContext) {
            accepted = getRuntimeContext().getLongCounter(Counters.ACCEPTED);
            watermark = WatermarkAccumulator.of(getRuntimeContext());
        }

        @Override
        public void processElement(EventRow row, Context ctx, Collector<EventRow> out) {
            accepted.add(1);
            watermark.add(ctx.timerService().currentWatermark());
            if (forward) {
                out.collect(row);
            }
        }
    }
}
