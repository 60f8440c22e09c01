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
import io.sluice.spec.routes.RouteSpec;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one event of one route through the route's logic on one task, for either stage that runs
 * routes: the keyed stage ({@link RunRoutes}) and, for stateless routes, the routing stage ({@link
 * RouteEvents}). It owns what both need: the task's circuit breaker, the encoders of the route's
 * outputs, dead letters with route, processor and version, the alert of a suspended route, and the
 * counters. Keyed state and timers are reached through {@link Keyed}, which only the keyed stage
 * has.
 */
public final class RouteRunner {
    private static final Logger LOG = LoggerFactory.getLogger(RouteRunner.class);

    /** What an alert about a route carries. */
    static final RowSchema ALERT_SCHEMA =
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

    /** What the stages running routes are configured with (the same for both). */
    public record Settings(
            String specHash,
            String step,
            Map<String, OutputTag<SinkRecord>> outputs,
            Map<String, List<String>> keyFields,
            String alertsOutput,
            int breakerFailures,
            Duration breakerWindow)
            implements Serializable {}

    /** Side outputs of either context kind. */
    interface Outputs {
        <X> void output(OutputTag<X> tag, X value);
    }

    /** The keyed state of the current (route, key): only the keyed stage has it. */
    interface Keyed {
        WindowSet windows();

        void windows(WindowSet windows);

        double[] stats();

        void stats(double[] stats);
    }

    private final Settings settings;
    private final RouteTables tables;
    private final Keyed keyed;
    private final int task;
    private final Breaker breaker;
    private final Map<String, JsonEncoder> encoders = new HashMap<>();
    private final Map<String, LongCounter> outCounters = new HashMap<>();
    private final LongCounter failures;
    private final LongCounter suspensions;
    private final LongCounter routeDead;
    final Scope scope = new Scope();

    /**
     * @param keyed the keyed state of the current key, or null in the routing stage
     */
    RouteRunner(Settings settings, RouteTables tables, Keyed keyed, RuntimeContext ctx) {
        this.settings = settings;
        this.tables = tables;
        this.keyed = keyed;
        this.task = ctx.getTaskInfo().getIndexOfThisSubtask();
        this.breaker = new Breaker(settings.breakerFailures(), settings.breakerWindow().toMillis());
        this.failures = ctx.getLongCounter(Counters.ROUTE_FAILURES);
        this.suspensions = ctx.getLongCounter(Counters.ROUTES_SUSPENDED);
        this.routeDead = ctx.getLongCounter(Counters.ROUTE_DEAD_LETTERS);
        for (String o : settings.outputs().keySet()) {
            outCounters.put(o, ctx.getLongCounter(Counters.OUT_PREFIX + o));
        }
        ctx.getMetricGroup()
                .gauge("suspendedRoutes", (Gauge<Integer>) () -> breaker.suspendedCount());
    }

    /**
     * Runs {@code row} through {@code route} as of {@code compiled}: to dead letters when the route
     * is suspended on this task; a logic that throws sends the event to dead letters and counts
     * towards the breaker.
     */
    void run(
            RouteTables.Compiled compiled,
            RouteSpec route,
            EventRow row,
            Long timestamp,
            Outputs out,
            long watermark,
            TimerService timers,
            LongSupplier clock) {
        scope.bind(compiled, route, out, watermark, timers);
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
            compiled.logic(route).process(row, timestamp, scope);
        } catch (Exception ex) {
            failed(route, row, ex, clock.getAsLong());
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
            LOG.warn(
                    "route '{}' suspended on task {} after {} failures within {}: {}",
                    route.id(),
                    task,
                    settings.breakerFailures(),
                    settings.breakerWindow(),
                    ex.toString());
            if (settings.alertsOutput() != null) {
                EventRow alert =
                        EventRow.of(
                                "route-suspended",
                                route.id(),
                                route.processor(),
                                (long) task,
                                (long) settings.breakerFailures(),
                                settings.breakerWindow().toMillis(),
                                ex.toString(),
                                now);
                alert.configVersion(scope.version());
                scope.emitTo(settings.alertsOutput(), alert, ALERT_SCHEMA);
            }
        }
    }

    /** Counts a failure outside {@link #run} (a timer). */
    void countFailure() {
        failures.add(1);
    }

    /** The scope handed to route logic, rebound per event or timer. */
    final class Scope implements RouteScope {
        private RouteTables.Compiled compiled;
        private RouteSpec route;
        private Outputs out;
        private long watermark;
        private TimerService timers;

        void bind(
                RouteTables.Compiled compiled,
                RouteSpec route,
                Outputs out,
                long watermark,
                TimerService timers) {
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
            // the route's encoders as of this version, found without building a name per record
            JsonEncoder[] encs = compiled.encoders.get(route.id());
            if (encs == null) {
                List<String> outs = route.outputs();
                encs = new JsonEncoder[outs.size()];
                for (int i = 0; i < encs.length; i++) {
                    encs[i] = encoder(outs.get(i), route.result(), route.id(), result);
                }
                compiled.encoders.put(route.id(), encs);
            }
            List<String> outs = route.outputs();
            for (int i = 0; i < encs.length; i++) {
                send(outs.get(i), encs[i], result);
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
                send(o, encoder(o, r.result(), r.id(), result), result);
            }
        }

        @Override
        public void emitTo(String output, EventRow row, RowSchema schema) {
            if (row.configVersion() == 0) {
                row.configVersion(compiled.version());
            }
            send(output, encoder(output, schema, route.id(), row), row);
        }

        private JsonEncoder encoder(String output, RowSchema schema, String routeId, EventRow row) {
            // not per version: the encoder writes each row's own version, and keeping one per
            // version would grow with every config change
            String id = output + "|" + routeId + "|" + schema.hashCode();
            JsonEncoder enc = encoders.get(id);
            if (enc == null) {
                enc =
                        new JsonEncoder(
                                schema,
                                settings.specHash(),
                                output,
                                keyIndexes(output, schema),
                                routeId);
                encoders.put(id, enc);
            }
            return enc;
        }

        private void send(String output, JsonEncoder enc, EventRow row) {
            try {
                out.output(
                        settings.outputs().get(output),
                        new SinkRecord(enc.key(row), enc.encode(row), row.configVersion()));
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
            outCounters.get(output).add(1);
        }

        private int[] keyIndexes(String output, RowSchema schema) {
            List<String> key = settings.keyFields().getOrDefault(output, List.of());
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
                            settings.step() + "." + route.id() + " (" + route.processor() + ")"));
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
            keyed();
            timers.registerEventTimeTimer(time);
        }

        @Override
        public WindowSet windows() {
            return keyed().windows();
        }

        @Override
        public void windows(WindowSet set) {
            keyed().windows(set);
        }

        @Override
        public double[] stats() {
            return keyed().stats();
        }

        @Override
        public void stats(double[] s) {
            keyed().stats(s);
        }

        private Keyed keyed() {
            if (keyed == null) {
                throw new IllegalStateException(
                        "route '"
                                + route.id()
                                + "' runs in the routing stage, which has no keyed state or"
                                + " timers: its logic says it is stateless but uses them");
            }
            return keyed;
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
