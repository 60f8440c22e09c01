package io.sluice.runtime.route;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.sink.SinkRecord;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RouteSpec;
import java.io.IOException;
import java.time.Duration;
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
import org.apache.flink.streaming.api.TimerService;
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
 * breaker on this task; other routes carry on. Routes whose logic is stateless are run by stage 1
 * ({@link RouteEvents}) and never reach this stage when the job is composed with them there.
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
    public static final RowSchema ALERT_SCHEMA = RouteRunner.ALERT_SCHEMA;

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final RouteRunner.Settings settings;
    private final Duration stateTtl;

    private transient RouteTables tables;
    private transient boolean restoredChecked;
    private transient ValueState<WindowSet> windows;
    private transient ValueState<double[]> stats;
    private transient RouteRunner runner;
    private transient LongCounter routeDead;

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
        this.settings =
                new RouteRunner.Settings(
                        specHash,
                        step,
                        outputs,
                        keyFields,
                        alertsOutput,
                        breakerFailures,
                        breakerWindow);
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        tables = new RouteTables(catalog, store, keep, settings.step() + ".");
        tables.bootstrap();
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
        routeDead = getRuntimeContext().getLongCounter(Counters.ROUTE_DEAD_LETTERS);
        runner = new RouteRunner(settings, tables, new KeyedState(), getRuntimeContext());
        getRuntimeContext()
                .getMetricGroup()
                .gauge("activeConfigVersion", (Gauge<Long>) () -> tables.latest().version());
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
                            settings.step() + "." + e.route());
            d.configVersion(e.version());
            routeDead.add(1);
            ctx.output(DeadLetters.TAG, d);
            return;
        }
        TimerService timers = ctx.timerService();
        runner.run(
                c,
                c.table.route(e.route()),
                row,
                ctx.timestamp(),
                ctx::output,
                ctx.currentWatermark(),
                timers,
                timers::currentProcessingTime);
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
        RouteRunner.Scope scope = runner.scope;
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
            runner.countFailure();
        }
    }

    @Override
    public void processBroadcastElement(ConfigUpdate u, Context ctx, Collector<SinkRecord> out)
            throws Exception {
        RouteEvents.remember(ctx.getBroadcastState(RouteTables.VERSIONS), u, keep);
        tables.offer(u.version, u.text);
    }

    /** The window and statistics state of the current (route, key). */
    private final class KeyedState implements RouteRunner.Keyed {
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
    }
}
