package io.sluice.runtime.route;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.sink.JsonEncoder;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RouteSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2 of live routing, keyed by (route, key): runs each event through its route's processor
 * with the params of the version stamped on it, so a record never mixes two versions; results go to
 * the route's outputs stamped with that version. A processor that throws sends the event to dead
 * letters (route, processor, version, error, payload) and counts towards the route's circuit
 * breaker on this task; other routes carry on.
 *
 * <p>State: per (route, key) the open windows and running statistics of the route's processor. They
 * survive new versions of the route (new params, same id). They are released when a timer of the
 * key fires and the newest version no longer has the route enabled, and otherwise by state TTL
 * after {@code stateTtl} without writes: no scan over all keys.
 */
public final class RunRoutes
        extends KeyedBroadcastProcessFunction<String, RoutedEvent, ConfigUpdate, SinkRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(RunRoutes.class);

    /** What an alert about a route carries. */
    public static final RowSchema ALERT_SCHEMA =
            new RowSchema(
                    List.of(
                            new Field("alert", FieldType.STRING, false),
                            new Field("route", FieldType.STRING, false),
                            new Field("processor", FieldType.STRING, false),
                            new Field("task", FieldType.LONG, false),
                            new Field("failures", FieldType.LONG, false),
                            new Field("within_ms", FieldType.LONG, false),
                            new Field("error", FieldType.STRING, true),
                            new Field("at", FieldType.TIMESTAMP, false)));

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final String specHash;
    private final String step;
    private final Map<String, OutputTag<SinkRecord>> outputs;
    private final Map<String, int[]> noKeys = Map.of();
    private final Map<String, List<String>> keyFields;
    private final String alertsOutput;
    private final int breakerFailures;
    private final Duration breakerWindow;
    private final Duration stateTtl;

    private transient RouteTables tables;
    private transient boolean restoredChecked;
    private transient Breaker breaker;
    private transient ValueState<WindowSet> windows;
    private transient ValueState<double[]> stats;
    private transient Map<String, JsonEncoder> encoders;
    private transient Scope scope;
    private transient LongCounter failures;
    private transient LongCounter suspensions;
    private transient LongCounter routeDead;
    private transient Map<String, LongCounter> outCounters;
    private transient JsonEncoder alertEncoder;

    public RunRoutes(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            String specHash,
            String step,
            Map<String, OutputTag<SinkRecord>> outputs,
            Map<String, List<String>> keyFields,
            String alertsOutput,
            int breakerFailures,
            Duration breakerWindow,
            Duration stateTtl) {
        this.catalog = catalog;
        this.store = store;
        this.keep = keep;
        this.specHash = specHash;
        this.step = step;
        this.outputs = outputs;
        this.keyFields = keyFields;
        this.alertsOutput = alertsOutput;
        this.breakerFailures = breakerFailures;
        this.breakerWindow = breakerWindow;
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        tables = new RouteTables(catalog, store, keep, step + ".");
        tables.bootstrap();
        breaker = new Breaker(breakerFailures, breakerWindow.toMillis());
        StateTtlConfig ttl =
                StateTtlConfig.newBuilder(stateTtl)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build();
        ValueStateDescriptor<WindowSet> w =
                new ValueStateDescriptor<>("route-windows", WindowSet.TYPE);
        w.enableTimeToLive(ttl);
        windows = getRuntimeContext().getState(w);
        ValueStateDescriptor<double[]> s =
                new ValueStateDescriptor<>(
                        "route-stats", PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO);
        s.enableTimeToLive(ttl);
        stats = getRuntimeContext().getState(s);
        encoders = new HashMap<>();
        scope = new Scope();
        failures = getRuntimeContext().getLongCounter(Counters.ROUTE_FAILURES);
        suspensions = getRuntimeContext().getLongCounter(Counters.ROUTES_SUSPENDED);
        routeDead = getRuntimeContext().getLongCounter(Counters.ROUTE_DEAD_LETTERS);
        outCounters = new HashMap<>();
        for (String o : outputs.keySet()) {
            outCounters.put(o, getRuntimeContext().getLongCounter(Counters.OUT_PREFIX + o));
        }
        getRuntimeContext()
                .getMetricGroup()
                .gauge("activeConfigVersion", (Gauge<Long>) () -> tables.latest().version());
        getRuntimeContext()
                .getMetricGroup()
                .gauge("suspendedRoutes", (Gauge<Integer>) () -> breaker.suspendedCount());
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public void processElement(RoutedEvent e, ReadOnlyContext ctx, Collector<SinkRecord> out)
            throws Exception {
        ReadOnlyBroadcastState<Long, String> state = ctx.getBroadcastState(RouteTables.VERSIONS);
        if (!restoredChecked) {
            tables.restore(state.immutableEntries());
            restoredChecked = true;
        }
        RouteTables.Compiled c = tables.get(e.version(), state);
        EventRow row = e.row();
        if (c == null || c.table.route(e.route()) == null) {
            EventRow d =
                    DeadLetters.of(
                            Reason.VERSION_EXPIRED,
                            "config version "
                                    + e.version()
                                    + " of route '"
                                    + e.route()
                                    + "' is no longer available",
                            null,
                            row.raw(),
                            null,
                            row.origin(),
                            step + "." + e.route());
            d.configVersion(e.version());
            routeDead.add(1);
            ctx.output(DeadLetters.TAG, d);
            return;
        }
        RouteSpec route = c.table.route(e.route());
        scope.bind(c, route, ctx::output, ctx.currentWatermark(), ctx.timerService());
        if (breaker.isSuspended(route.id(), route.fingerprint())) {
            scope.deadLetter(
                    Reason.ROUTE_SUSPENDED,
                    "route '"
                            + route.id()
                            + "' is suspended on this task after repeated failures;"
                            + " a config version that changes the route resumes it",
                    null,
                    row);
            return;
        }
        try {
            c.logic(route).process(row, ctx.timestamp(), scope);
        } catch (Exception ex) {
            failed(route, row, ex, ctx.timerService().currentProcessingTime());
        }
    }

    private void failed(RouteSpec route, EventRow row, Exception ex, long now) {
        failures.add(1);
        scope.deadLetter(
                Reason.PROCESSOR_ERROR,
                "processor '" + route.processor() + "' of route '" + route.id() + "' failed: " + ex,
                null,
                row);
        if (breaker.fail(route.id(), route.fingerprint(), now)) {
            suspensions.add(1);
            int task = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            LOG.warn(
                    "route '{}' suspended on task {} after {} failures within {}: {}",
                    route.id(),
                    task,
                    breakerFailures,
                    breakerWindow,
                    ex.toString());
            if (alertsOutput != null) {
                EventRow alert =
                        EventRow.of(
                                "route-suspended",
                                route.id(),
                                route.processor(),
                                (long) task,
                                (long) breakerFailures,
                                breakerWindow.toMillis(),
                                ex.toString(),
                                now);
                alert.configVersion(scope.version());
                scope.emitTo(alertsOutput, alert, ALERT_SCHEMA);
            }
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SinkRecord> out)
            throws Exception {
        String routeId = RouteEvents.routeOf(ctx.getCurrentKey());
        RouteTables.Compiled latest = tables.latest();
        RouteSpec route = latest.table.route(routeId);
        if (route == null || !route.enabled()) {
            // the route is gone or disabled: release its state for this key
            windows.clear();
            stats.clear();
            return;
        }
        scope.bind(latest, route, ctx::output, ctx.currentWatermark(), ctx.timerService());
        RouteLogic logic = latest.logic(route);
        WindowSet open = windows.value();
        if (!logic.usesWindows() && open != null && !open.windows.isEmpty()) {
            // the route no longer aggregates; windows opened before finish with their logic
            RouteLogic opener = scope.logicAt(open.windows.get(0).version);
            if (opener != null) {
                logic = opener;
            }
        }
        try {
            logic.onTimer(timestamp, scope);
        } catch (Exception ex) {
            LOG.error("route '{}' failed on a timer", routeId, ex);
            failures.add(1);
        }
    }

    @Override
    public void processBroadcastElement(ConfigUpdate u, Context ctx, Collector<SinkRecord> out)
            throws Exception {
        RouteEvents.remember(ctx.getBroadcastState(RouteTables.VERSIONS), u, keep);
        tables.offer(u.version, u.text);
    }

    /** Side outputs of either context kind. */
    private interface Outputs {
        <X> void output(OutputTag<X> tag, X value);
    }

    /** The scope handed to route logic, rebound per event or timer. */
    private final class Scope implements RouteScope {
        private RouteTables.Compiled compiled;
        private RouteSpec route;
        private Outputs out;
        private long watermark;
        private org.apache.flink.streaming.api.TimerService timers;

        void bind(
                RouteTables.Compiled compiled,
                RouteSpec route,
                Outputs out,
                long watermark,
                org.apache.flink.streaming.api.TimerService timers) {
            this.compiled = compiled;
            this.route = route;
            this.out = out;
            this.watermark = watermark;
            this.timers = timers;
        }

        @Override
        public RouteSpec route() {
            return route;
        }

        @Override
        public long version() {
            return compiled.version();
        }

        @Override
        public long currentWatermark() {
            return watermark;
        }

        @Override
        public void emit(EventRow result) {
            result.configVersion(compiled.version());
            for (String o : route.outputs()) {
                send(o, result, route.result(), route.id());
            }
        }

        @Override
        public void emitAs(long version, EventRow result) {
            RouteSpec r = version == compiled.version() ? route : routeAt(version);
            if (r == null) {
                r = route;
            }
            result.configVersion(version);
            for (String o : r.outputs()) {
                send(o, result, r.result(), r.id());
            }
        }

        @Override
        public void emitTo(String output, EventRow row, RowSchema schema) {
            if (row.configVersion() == 0) {
                row.configVersion(compiled.version());
            }
            send(output, row, schema, route.id());
        }

        private void send(String output, EventRow row, RowSchema schema, String routeId) {
            String id =
                    output + "|" + routeId + "|" + row.configVersion() + "|" + schema.hashCode();
            JsonEncoder enc = encoders.get(id);
            if (enc == null) {
                enc =
                        new JsonEncoder(
                                schema, specHash, output, keyIndexes(output, schema), routeId);
                encoders.put(id, enc);
            }
            try {
                out.output(
                        outputs.get(output),
                        new SinkRecord(enc.key(row), enc.encode(row), row.configVersion()));
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
            outCounters.get(output).add(1);
        }

        private int[] keyIndexes(String output, RowSchema schema) {
            List<String> key = keyFields.getOrDefault(output, List.of());
            int[] idx = new int[key.size()];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = schema.indexOf(key.get(i));
                if (idx[i] < 0) {
                    // the route's results lack the sink's key field: records go unkeyed
                    return new int[0];
                }
            }
            return idx;
        }

        @Override
        public void deadLetter(Reason reason, String message, String field, EventRow event) {
            deadLetter(
                    DeadLetters.of(
                            reason,
                            message,
                            field,
                            event.raw(),
                            route.pos().fileLine(),
                            event.origin(),
                            step + "." + route.id() + " (" + route.processor() + ")"));
        }

        @Override
        public void deadLetter(EventRow deadLetter) {
            deadLetter.configVersion(compiled.version());
            // late rows are counted as late already (the summary keeps them apart)
            if (!Reason.LATE.id().equals(DeadLetters.reason(deadLetter))) {
                routeDead.add(1);
            }
            out.output(DeadLetters.TAG, deadLetter);
        }

        @Override
        public void registerTimer(long time) {
            timers.registerEventTimeTimer(time);
        }

        @Override
        public WindowSet windows() {
            try {
                return windows.value();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void windows(WindowSet set) {
            try {
                if (set == null || set.windows.isEmpty()) {
                    windows.clear();
                } else {
                    windows.update(set);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public double[] stats() {
            try {
                return stats.value();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void stats(double[] s) {
            try {
                stats.update(s);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public RouteLogic logicAt(long version) {
            RouteTables.Compiled c = compiledAt(version);
            RouteSpec r = c == null ? null : c.table.route(route.id());
            return r == null ? null : c.logic(r);
        }

        @Override
        public RouteSpec routeAt(long version) {
            RouteTables.Compiled c = compiledAt(version);
            return c == null ? null : c.table.route(route.id());
        }

        private RouteTables.Compiled compiledAt(long version) {
            try {
                return tables.get(version, null);
            } catch (Exception e) {
                return null;
            }
        }
    }
}
