package io.sluice.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators of an enrich step: {@link Unkeyed} (no key: runs where the events are, no shuffle,
 * so their order is kept) and {@link Keyed} (events of one key on one task, in order; a {@code
 * wait} dimension's missing row holds the event, and every later event of its key behind it, in
 * keyed state until the row is there or the wait is over). Both receive the broadcast dimensions'
 * changes; the rows are kept in broadcast state too, so a task restored while the database is down
 * still has them.
 */
final class EnrichFunctions {
    private static final Logger LOG = LoggerFactory.getLogger(EnrichFunctions.class);
    private static final char SEP = '\u001f';

    private EnrichFunctions() {}

    /** Broadcast dimension rows: dimension index U+001F key → JSON array of the values. */
    static final MapStateDescriptor<String, String> ROWS =
            new MapStateDescriptor<>("enrich-rows", Types.STRING, Types.STRING);

    /** What an alert about an event that stopped waiting carries. */
    static final RowSchema ALERT =
            RowSchema.of(
                    new Field("alert", FieldType.STRING, false),
                    new Field("step", FieldType.STRING, false),
                    new Field("dimension", FieldType.STRING, false),
                    new Field("dimension_key", FieldType.STRING, true),
                    new Field("event_key", FieldType.STRING, true),
                    new Field("waited_ms", FieldType.LONG, false),
                    new Field("at", FieldType.TIMESTAMP, false));

    static final OutputTag<EventRow> ALERTS =
            new OutputTag<>("enrich-alerts", new EventRowTypeInfo(ALERT));

    /**
     * Sets each row's timestamp from its event-time field. A keyed process function's timer erases
     * the timestamps of what it emits, so events let go after waiting would reach windows and
     * alerts downstream without event time. Watermarks pass through as they are: an event that
     * waited may arrive behind them, and downstream treats it as late.
     */
    static final class EventTime extends AbstractStreamOperator<EventRow>
            implements OneInputStreamOperator<EventRow, EventRow> {
        private final int field;

        EventTime(int field) {
            this.field = field;
        }

        @Override
        public void processElement(StreamRecord<EventRow> record) {
            if (record.getValue().get(field) instanceof Long millis) {
                record.setTimestamp(millis);
            }
            output.collect(record);
        }
    }

    /** The key of the keyed operator: the step's key values, from fields or the payload. */
    static final class Key implements KeySelector<EventRow, String> {
        private final Enricher.Settings s;
        private transient JsonFactory json;
        private transient String[] payloadKeys;

        Key(Enricher.Settings s) {
            this.s = s;
        }

        @Override
        public String getKey(EventRow row) {
            if (json == null) {
                json = new JsonFactory();
                payloadKeys =
                        s.key().stream()
                                .map(v -> v.field() >= 0 ? null : v.payloadKey())
                                .toArray(String[]::new);
            }
            String[] payload =
                    Enricher.readPayload(
                            json,
                            s.payloadField() < 0 ? null : row.get(s.payloadField()),
                            payloadKeys);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < payloadKeys.length; i++) {
                Enricher.ValueAt v = s.key().get(i);
                Object value = v.field() >= 0 ? row.get(v.field()) : payload[i];
                if (i > 0) {
                    sb.append(SEP);
                }
                if (value != null) {
                    sb.append(value);
                }
            }
            return sb.toString();
        }
    }

    /** What both operators share: the enricher, its table loading and dead letters. */
    private static final class Core {
        final Enricher.Settings s;
        final Enricher enricher;
        final LongCounter held;
        boolean ready;

        Core(Enricher.Settings s, RuntimeContext ctx) {
            this.s = s;
            this.enricher = new Enricher(s, ctx);
            this.held = ctx.getLongCounter(Counters.ENRICH_HELD);
            try {
                enricher.loadBroadcast();
                ready = true;
            } catch (java.sql.SQLException e) {
                LOG.warn(
                        "step {}: cannot load its broadcast dimensions ({}); using the rows kept"
                                + " in state, or retrying",
                        s.step(),
                        e.toString());
            }
        }

        /** Before the first event: the rows kept in broadcast state, else the database again. */
        void ensureReady(ReadOnlyBroadcastState<String, String> state) throws Exception {
            if (ready) {
                return;
            }
            boolean any = false;
            for (Map.Entry<String, String> e : state.immutableEntries()) {
                int sep = e.getKey().indexOf(SEP);
                int d = Integer.parseInt(e.getKey().substring(0, sep));
                enricher.put(d, e.getKey().substring(sep + 1), decode(d, e.getValue()));
                any = true;
            }
            if (!any && enricher.hasBroadcast()) {
                enricher.loadBroadcastRetrying();
            }
            ready = true;
        }

        private Object[] decode(int d, String values) throws java.io.IOException {
            return DimensionUpdates.values(
                    enricher.json.readTree(values), 0, s.dims().get(d).fields());
        }

        void broadcast(String message, BroadcastState<String, String> state) throws Exception {
            DimensionUpdates.Update u = enricher.apply(message);
            if (u.whole()) {
                List<String> drop = new ArrayList<>();
                for (Map.Entry<String, String> e : state.entries()) {
                    if (e.getKey().startsWith(u.dimension() + String.valueOf(SEP))) {
                        drop.add(e.getKey());
                    }
                }
                for (String k : drop) {
                    state.remove(k);
                }
            }
            for (int i = 0; i < u.keys().size(); i++) {
                state.put(
                        u.dimension() + String.valueOf(SEP) + u.keys().get(i),
                        enricher.json.writeValueAsString(u.values().get(i)));
            }
        }

        EventRow deadLetter(EventRow in, Enricher.Outcome o) {
            Dimension d = o.dead;
            return DeadLetters.of(
                    Reason.MISSING_DIMENSION,
                    d.describe()
                            + ": no row for "
                            + (o.deadKey == null ? "a missing " + d.on() : "'" + o.deadKey + "'"),
                    d.on(),
                    in.raw(),
                    s.position(),
                    in.origin(),
                    s.step());
        }
    }

    /** Without a key: enriches each event where it is; {@code wait} is not available. */
    static final class Unkeyed extends BroadcastProcessFunction<EventRow, String, EventRow> {
        private final Enricher.Settings s;
        private transient Core core;

        Unkeyed(Enricher.Settings s) {
            this.s = s;
        }

        @Override
        public void open(OpenContext openContext) {
            core = new Core(s, getRuntimeContext());
        }

        @Override
        public void close() {
            if (core != null) {
                core.enricher.close();
            }
        }

        @Override
        public void processElement(EventRow in, ReadOnlyContext ctx, Collector<EventRow> out)
                throws Exception {
            core.ensureReady(ctx.getBroadcastState(ROWS));
            Enricher.Outcome o = core.enricher.enrich(in, Long.MAX_VALUE);
            if (o.dead != null) {
                ctx.output(DeadLetters.TAG, core.deadLetter(in, o));
            } else {
                out.collect(o.row);
            }
        }

        @Override
        public void processBroadcastElement(String message, Context ctx, Collector<EventRow> out)
                throws Exception {
            core.broadcast(message, ctx.getBroadcastState(ROWS));
        }
    }

    /**
     * Keyed by the step's key: a {@code wait} dimension's missing row holds the event (and the
     * key's later events behind it) in keyed state; a processing-time timer tries again every
     * {@code retry} until the row is there or the dimension's {@code wait} is over, when the event
     * goes on with null fields and an alert.
     */
    static final class Keyed
            extends KeyedBroadcastProcessFunction<String, EventRow, String, EventRow> {
        private final Enricher.Settings s;
        private final RowSchema input;
        private final boolean boundedInput;
        private transient Core core;
        private transient ListState<EventRow> heldRows;
        private transient ListState<Long> heldSince;

        Keyed(Enricher.Settings s, RowSchema input, boolean boundedInput) {
            this.s = s;
            this.input = input;
            this.boundedInput = boundedInput;
        }

        @Override
        public void open(OpenContext openContext) {
            core = new Core(s, getRuntimeContext());
            heldRows =
                    getRuntimeContext()
                            .getListState(
                                    new ListStateDescriptor<>("held", new EventRowTypeInfo(input)));
            heldSince =
                    getRuntimeContext()
                            .getListState(new ListStateDescriptor<>("held-since", Types.LONG));
        }

        @Override
        public void close() {
            if (core != null) {
                core.enricher.close();
            }
        }

        @Override
        public void processElement(EventRow in, ReadOnlyContext ctx, Collector<EventRow> out)
                throws Exception {
            core.ensureReady(ctx.getBroadcastState(ROWS));
            long now = ctx.timerService().currentProcessingTime();
            if (heldSince.get().iterator().hasNext()) {
                hold(in, now, ctx);
                return;
            }
            Enricher.Outcome o = core.enricher.enrich(in, 0);
            if (o.hold) {
                hold(in, now, ctx);
                ctx.timerService().registerProcessingTimeTimer(now + s.retryMs());
                return;
            }
            emit(in, o, 0, ctx.getCurrentKey(), now, out, ctx::output);
        }

        private void hold(EventRow in, long now, ReadOnlyContext ctx) throws Exception {
            heldRows.add(in);
            heldSince.add(now);
            core.held.add(1);
            if (boundedInput) {
                // fires when the input ends (the watermark reaches the end of time), when
                // processing time timers no longer fire: it lets the held events go. Not with an
                // endless input, whose watermark can reach it too while the events' input is
                // idle (the dimension changes' watermark is at the end of time)
                ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
            }
        }

        @Override
        public void onTimer(long time, OnTimerContext ctx, Collector<EventRow> out)
                throws Exception {
            List<EventRow> rows = new ArrayList<>();
            heldRows.get().forEach(rows::add);
            List<Long> since = new ArrayList<>();
            heldSince.get().forEach(since::add);
            if (rows.isEmpty()) {
                return;
            }
            core.ensureReady(ctx.getBroadcastState(ROWS));
            long now = ctx.timerService().currentProcessingTime();
            boolean ending = ctx.timeDomain() == TimeDomain.EVENT_TIME;
            int done = 0;
            while (done < rows.size()) {
                EventRow in = rows.get(done);
                long waited = now - since.get(done);
                Enricher.Outcome o = core.enricher.enrich(in, ending ? Long.MAX_VALUE : waited);
                if (o.hold) {
                    break;
                }
                emit(in, o, waited, ctx.getCurrentKey(), now, out, ctx::output);
                done++;
            }
            if (done == rows.size()) {
                heldRows.clear();
                heldSince.clear();
                return;
            }
            if (done > 0) {
                heldRows.update(rows.subList(done, rows.size()));
                heldSince.update(since.subList(done, since.size()));
            }
            ctx.timerService().registerProcessingTimeTimer(now + s.retryMs());
        }

        interface Side {
            void output(OutputTag<EventRow> tag, EventRow row);
        }

        private void emit(
                EventRow in,
                Enricher.Outcome o,
                long waited,
                String key,
                long now,
                Collector<EventRow> out,
                Side side) {
            if (o.dead != null) {
                side.output(DeadLetters.TAG, core.deadLetter(in, o));
                return;
            }
            for (String[] gone : o.gaveUp) {
                EventRow alert =
                        EventRow.of(
                                "dimension-row-missing",
                                s.step(),
                                gone[0],
                                gone[1],
                                key,
                                waited,
                                now);
                alert.configVersion(in.configVersion());
                side.output(ALERTS, alert);
            }
            out.collect(o.row);
        }

        @Override
        public void processBroadcastElement(String message, Context ctx, Collector<EventRow> out)
                throws Exception {
            core.broadcast(message, ctx.getBroadcastState(ROWS));
        }
    }
}
