package io.sluice.runtime.route;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.codec.BadValue;
import io.sluice.runtime.codec.CompactJson;
import io.sluice.runtime.codec.ValueParser;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RouteSpec;
import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Stage 1 of live routing: matches each event against the routing table and forks it once per
 * matching route, with the route's payload fields and state key, stamped with the version whose
 * table matched it. Events no route takes go to the unrouted output; a broken envelope, or a
 * payload field a route cannot read, goes to dead letters.
 *
 * <p>Composed with {@link RouteRunner.Settings}, it also runs every route whose logic at that
 * version is {@linkplain RouteLogic#stateless() stateless} right here, on the matched event: its
 * results go to the route's outputs (side outputs of this operator), with the same dead letters,
 * circuit breaker (per task of this stage), counters and stamps as the keyed stage would give them.
 * Only events of stateful routes are forked to the keyed stage, so a stateless route costs no
 * shuffle.
 *
 * <p>The table in force is loaded from the store when the task opens (or taken from restored
 * broadcast state), so no event meets an empty config and the input is never blocked; it then
 * follows the control stream. State: the broadcast state of recent versions, never cleared but
 * capped at {@code keep} versions.
 */
public final class RouteEvents
        extends BroadcastProcessFunction<EventRow, ConfigUpdate, RoutedEvent> {
    private static final char SEP = '\u001f';

    /** The broadcast state of routing: version number → document text. */
    public static final org.apache.flink.api.common.state.MapStateDescriptor<Long, String>
            VERSIONS = RouteTables.VERSIONS;

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final OutputTag<EventRow> unroutedTag;
    private final String step;
    private final String position;
    private final RouteRunner.Settings runHere;

    private transient RouteTables tables;
    private transient RouteRunner runner;
    private transient boolean restoredChecked;
    private transient ObjectMapper json;
    private transient CompactJson compact;
    private transient com.fasterxml.jackson.core.JsonFactory fastJson;
    private transient int typeIndex;
    private transient int tenantIndex;
    private transient int payloadIndex;
    private transient LongCounter routed;
    private transient LongCounter unrouted;
    private transient LongCounter routeDead;

    public RouteEvents(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            OutputTag<EventRow> unroutedTag,
            String step,
            String position) {
        this(catalog, store, keep, unroutedTag, step, position, null);
    }

    /**
     * @param runHere how to run stateless routes in this stage (their outputs, breaker, stamps), or
     *     null to fork every matched event to the keyed stage
     */
    public RouteEvents(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            OutputTag<EventRow> unroutedTag,
            String step,
            String position,
            RouteRunner.Settings runHere) {
        this.runHere = runHere;
        this.catalog = catalog;
        this.store = store;
        this.keep = keep;
        this.unroutedTag = unroutedTag;
        this.step = step;
        this.position = position;
    }

    @Override
    public void open(OpenContext openContext) {
        tables = new RouteTables(catalog, store, keep, step + ".");
        tables.bootstrap();
        json = new ObjectMapper();
        compact = new CompactJson();
        fastJson = CompactJson.factory();
        typeIndex = catalog.input().indexOf(catalog.eventTypeField());
        tenantIndex = catalog.input().indexOf(catalog.tenantField());
        payloadIndex = catalog.input().indexOf(catalog.payloadField());
        routed = getRuntimeContext().getLongCounter(Counters.ROUTED);
        unrouted = getRuntimeContext().getLongCounter(Counters.UNROUTED);
        routeDead = getRuntimeContext().getLongCounter(Counters.ROUTE_DEAD_LETTERS);
        if (runHere != null) {
            runner = new RouteRunner(runHere, tables, null, getRuntimeContext());
        }
        getRuntimeContext()
                .getMetricGroup()
                .gauge(
                        "activeConfigVersion",
                        (org.apache.flink.metrics.Gauge<Long>) () -> tables.latest().version());
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public void processElement(EventRow row, ReadOnlyContext ctx, Collector<RoutedEvent> out)
            throws Exception {
        if (!restoredChecked) {
            tables.restore(ctx.getBroadcastState(RouteTables.VERSIONS).immutableEntries());
            restoredChecked = true;
        }
        RouteTables.Compiled table = tables.latest();
        long version = table.version();
        Object type = row.get(typeIndex);
        if (type == null) {
            dead(
                    ctx,
                    Reason.BAD_ENVELOPE,
                    catalog.eventTypeField() + " is missing",
                    catalog.eventTypeField(),
                    row,
                    version);
            return;
        }
        String tenant = tenantIndex < 0 ? null : (String) row.get(tenantIndex);
        List<RouteSpec> routes = table.table.match((String) type, tenant);
        if (routes.isEmpty()) {
            unrouted.add(1);
            row.configVersion(version);
            ctx.output(unroutedTag, row);
            return;
        }
        JsonNode payload = null;
        boolean payloadRead = false;
        for (RouteSpec r : routes) {
            ValueParser[] parsers = table.parsers(r.id());
            EventRow routeRow = row.widen(r.input().size());
            routeRow.configVersion(version);
            if (parsers.length > 0 && !readFieldsFast(r, parsers, row, routeRow)) {
                if (!payloadRead) {
                    payload = payload(row);
                    payloadRead = true;
                }
                if (payload == null) {
                    dead(
                            ctx,
                            Reason.BAD_ENVELOPE,
                            "route '"
                                    + r.id()
                                    + "' reads fields from "
                                    + catalog.payloadField()
                                    + ", which is missing or not a JSON object",
                            catalog.payloadField(),
                            row,
                            version);
                    continue;
                }
                if (!readFields(r, parsers, payload, routeRow, ctx, row, version)) {
                    continue;
                }
            }
            routed.add(1);
            if (runner != null && runsHere(table, r)) {
                runner.run(
                        table,
                        r,
                        routeRow,
                        ctx.timestamp(),
                        ctx::output,
                        ctx.currentWatermark(),
                        null,
                        ctx::currentProcessingTime);
            } else {
                out.collect(new RoutedEvent(r.id(), version, key(r, routeRow), routeRow));
            }
        }
    }

    /**
     * Whether the route's logic at this version is stateless, so this stage runs it. A logic that
     * cannot even be built is left to the keyed stage, which turns that into the route's dead
     * letters and breaker as it always did.
     */
    private static boolean runsHere(RouteTables.Compiled table, RouteSpec r) {
        try {
            return table.logic(r).stateless();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Reads the route's fields in one pass over the payload text, without a tree; false when the
     * payload or a field is anything but plain (missing, not an object, malformed, a value the
     * field rejects), so that the tree path reads it or says what is wrong with it.
     */
    private boolean readFieldsFast(
            RouteSpec r, ValueParser[] parsers, EventRow row, EventRow routeRow) {
        Object text = payloadIndex < 0 ? null : row.get(payloadIndex);
        if (!(text instanceof String payload)) {
            return false;
        }
        int base = catalog.input().size();
        List<RouteSpec.PayloadField> fields = r.fields();
        try (JsonParser p = fastJson.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                boolean read = false;
                for (int i = 0; i < parsers.length; i++) {
                    if (fields.get(i).column().equals(name)) {
                        Object v = parsers[i].fromToken(p, compact);
                        if (v == ValueParser.UNSURE) {
                            return false;
                        }
                        routeRow.set(base + i, v);
                        read = true;
                    }
                }
                if (!read) {
                    p.skipChildren();
                }
            }
            return p.currentToken() == JsonToken.END_OBJECT;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private JsonNode payload(EventRow row) {
        Object text = payloadIndex < 0 ? null : row.get(payloadIndex);
        if (text == null) {
            return null;
        }
        try {
            JsonNode node = json.readTree((String) text);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private boolean readFields(
            RouteSpec r,
            ValueParser[] parsers,
            JsonNode payload,
            EventRow routeRow,
            ReadOnlyContext ctx,
            EventRow row,
            long version) {
        int base = catalog.input().size();
        for (int i = 0; i < parsers.length; i++) {
            try {
                routeRow.set(
                        base + i, parsers[i].fromJson(payload.get(r.fields().get(i).column())));
            } catch (BadValue e) {
                EventRow d =
                        DeadLetters.of(
                                Reason.BAD_VALUE,
                                "route '" + r.id() + "': " + e.getMessage(),
                                e.field(),
                                row.raw(),
                                r.fields().get(i).pos().fileLine(),
                                row.origin(),
                                step + "." + r.id());
                d.configVersion(version);
                routeDead.add(1);
                ctx.output(DeadLetters.TAG, d);
                return false;
            }
        }
        return true;
    }

    /** Route id and key values: each route keeps its own state, even for equal key values. */
    static String key(RouteSpec r, EventRow row) {
        StringBuilder sb = new StringBuilder(r.id());
        for (String k : r.key()) {
            sb.append(SEP);
            Object v = row.get(r.input().indexOf(k));
            if (v != null) {
                sb.append(v);
            }
        }
        return sb.toString();
    }

    /** The route id a stage-2 key belongs to. */
    static String routeOf(String key) {
        int i = key.indexOf(SEP);
        return i < 0 ? key : key.substring(0, i);
    }

    private void dead(
            ReadOnlyContext ctx,
            Reason reason,
            String message,
            String field,
            EventRow row,
            long version) {
        EventRow d =
                DeadLetters.of(reason, message, field, row.raw(), position, row.origin(), step);
        d.configVersion(version);
        routeDead.add(1);
        ctx.output(DeadLetters.TAG, d);
    }

    @Override
    public void processBroadcastElement(ConfigUpdate u, Context ctx, Collector<RoutedEvent> out)
            throws Exception {
        BroadcastState<Long, String> state = ctx.getBroadcastState(RouteTables.VERSIONS);
        remember(state, u, keep);
        tables.offer(u.version, u.text);
    }

    /** Keeps the newest {@code keep} versions in broadcast state. */
    static void remember(BroadcastState<Long, String> state, ConfigUpdate u, int keep)
            throws Exception {
        state.put(u.version, u.text);
        java.util.TreeSet<Long> versions = new java.util.TreeSet<>();
        for (java.util.Map.Entry<Long, String> e : state.entries()) {
            versions.add(e.getKey());
        }
        while (versions.size() > keep) {
            state.remove(versions.pollFirst());
        }
    }
}
