package io.sluice.runtime.route;

import io.sluice.runtime.processor.KeptWatermark;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.ScenarioSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.typeutils.base.array.DoublePrimitiveArraySerializer;
import org.apache.flink.api.common.typeutils.base.array.LongPrimitiveArraySerializer;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2 of recommendation scenarios, keyed by (tenant, scenario): item hot scores over sliding
 * windows and metrics over tumbling windows, each window with the parameters of the config version
 * that opened it.
 *
 * <p>Windows: an event stamped with version v opens, for each part v enables, the windows of v's
 * size and slide that cover its time and are not open yet, and updates every open window covering
 * it whatever version opened that one. So windows that open after a new version reaches the task
 * use its params, and windows already open finish with theirs; results carry the version that
 * opened their window. A window fires when the watermark reaches its end (no allowed lateness); an
 * event no open or new window takes is late (dead letter {@code late}).
 *
 * <p>Hot scores are kept in panes of one slide: a pane of version u holds per item {@code Σ w_u(a)
 * · exp(−λ_u · (pane end − t))} and the event count, so a window's score of an item is the sum of
 * its panes' values times {@code exp(−λ_u · (window end − pane end))}: one update per event instead
 * of one per window. Panes and metric accumulators are combined on the heap per key first and
 * written to keyed state when the watermark reaches a window they belong to, before a checkpoint
 * barrier, or when the buffer is full; a RocksDB backend sees about one read and write per (item,
 * pane) rather than per event.
 *
 * <p>State per key: the open windows ({@code ValueState<long[]>}), hot panes ({@code MapState<item,
 * [score, events]>} per pane) and metric accumulators ({@code ValueState<double[]>} per window). A
 * window's accumulators are removed when it fires; a pane when the last window that can cover it
 * ends (by a timer of its own, whichever windows opened). When a timer finds the scenario (or the
 * part) disabled or removed in the newest version, the key's windows and their state are released
 * without results.
 */
public final class ScenarioWindows extends AbstractStreamOperator<EventRow>
        implements OneInputStreamOperator<RoutedEvent, EventRow>,
                Triggerable<Object, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ScenarioWindows.class);

    public static final OutputTag<EventRow> HOT_ITEMS =
            new OutputTag<>("scenario-hot-items", new EventRowTypeInfo(Scenarios.HOT_ITEMS));
    public static final OutputTag<EventRow> RANKINGS =
            new OutputTag<>("scenario-rankings", new EventRowTypeInfo(Scenarios.RANKINGS));
    public static final OutputTag<EventRow> METRICS =
            new OutputTag<>("scenario-metrics", new EventRowTypeInfo(Scenarios.METRICS));

    static final int BUFFER_LIMIT = 50_000;
    private static final double HOUR = 3_600_000.0;
    private static final int HOT = 0;
    private static final int MET = 1;

    /** A pane of one version's hot scores; its "end" is when the last window covering it ends. */
    private static final int PANE = 2;

    /** Metric accumulator slots. */
    private static final int EVENTS = 0;

    private static final int IMPRESSIONS = 1;
    private static final int VIEWS = 2;
    private static final int CLICKS = 3;
    private static final int PURCHASES = 4;
    private static final int WATCH_SUM = 5;
    private static final int WATCH_COUNT = 6;

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final Scenarios.Fields fields;
    private final String step;
    private final boolean rankings;
    private long latestCheckMillis = 1000;

    private transient Scenarios.Versions versions;
    private transient ValueState<long[]> windowState;
    private transient MapStateDescriptor<String, double[]> paneDescriptor;
    private transient ValueStateDescriptor<double[]> metricDescriptor;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient Map<Object, Scn> cache;
    private transient int buffered;
    private transient long firstDue;
    private transient KeptWatermark watermark;
    private transient LongCounter late;
    private transient LongCounter scenarioDead;
    private transient long specVersion;
    private transient String specKey;
    private transient ScenarioSpec spec;

    public ScenarioWindows(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            Scenarios.Fields fields,
            String step) {
        this(catalog, store, keep, fields, step, false);
    }

    /**
     * @param rankings whether to emit each window's whole ranking as one record too ({@link
     *     #RANKINGS})
     */
    public ScenarioWindows(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            Scenarios.Fields fields,
            String step,
            boolean rankings) {
        this.catalog = catalog;
        this.store = store;
        this.keep = keep;
        this.fields = fields;
        this.step = step;
        this.rankings = rankings;
    }

    /** How often timers may ask the store for a newer version (tests: 0, every timer). */
    ScenarioWindows latestCheckEvery(long millis) {
        this.latestCheckMillis = millis;
        return this;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        watermark = new KeptWatermark();
        watermark.initialize(context);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        watermark.snapshot(timers.currentWatermark());
    }

    /** The watermark, or the one restored from a checkpoint while no newer one arrived. */
    private long watermark() {
        return watermark.current(timers.currentWatermark());
    }

    @Override
    public void open() throws Exception {
        super.open();
        versions = new Scenarios.Versions(catalog, store, keep, step + ".", latestCheckMillis);
        versions.open();
        windowState =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "scenario-windows", LongPrimitiveArraySerializer.INSTANCE));
        paneDescriptor =
                new MapStateDescriptor<>(
                        "hot-panes",
                        StringSerializer.INSTANCE,
                        DoublePrimitiveArraySerializer.INSTANCE);
        metricDescriptor =
                new ValueStateDescriptor<>("metrics", DoublePrimitiveArraySerializer.INSTANCE);
        timers =
                getInternalTimerService("scenario-windows", VoidNamespaceSerializer.INSTANCE, this);
        cache = new HashMap<>();
        firstDue = Long.MAX_VALUE;
        late = getRuntimeContext().getLongCounter(Counters.SCENARIO_LATE);
        scenarioDead = getRuntimeContext().getLongCounter(Counters.SCENARIO_DEAD_LETTERS);
    }

    @Override
    public void close() throws Exception {
        if (versions != null) {
            versions.close();
        }
        super.close();
    }

    /** The scenario at {@code version}, remembered for the next event of the same key. */
    private ScenarioSpec spec(long version, String key) throws Exception {
        if (version != specVersion || !key.equals(specKey)) {
            spec = versions.at(version, key);
            specVersion = version;
            specKey = key;
        }
        return spec;
    }

    @Override
    public void processElement(StreamRecord<RoutedEvent> element) throws Exception {
        RoutedEvent e = element.getValue();
        EventRow row = e.row();
        String key = (String) getCurrentKey();
        if (!element.hasTimestamp()) {
            dead(Reason.MISSING_FIELD, "the event has no event time", row, e.version());
            return;
        }
        long t = element.getTimestamp();
        long v = e.version();
        ScenarioSpec s = spec(v, key);
        if (s == null) {
            dead(Reason.VERSION_EXPIRED, "config version " + v + " is no longer available", row, v);
            return;
        }
        long wm = watermark();
        Scn scn = scn(key);
        if (s.hotScoreOn()) {
            open(scn, HOT, s.hotScore().size(), s.hotScore().slide(), v, t, wm);
        }
        if (s.metricsOn()) {
            open(scn, MET, s.metrics().size(), s.metrics().size(), v, t, wm);
        }
        if (!update(scn, key, row, t)) {
            late.add(1);
            dead(Reason.LATE, "too late for every window of its scenario", row, v);
        }
        if (buffered >= BUFFER_LIMIT) {
            flush();
            setCurrentKey(key);
        }
    }

    /** Opens the windows of one part covering t that are not open and have not fired. */
    private void open(Scn scn, int kind, long size, long slide, long v, long t, long wm) {
        long lastStart = t - Math.floorMod(t, slide);
        for (long start = lastStart; start > t - size; start -= slide) {
            long end = start + size;
            if (end - 1 <= wm || scn.find(kind, start, end) >= 0) {
                continue;
            }
            scn.add(kind, start, end, v);
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, end - 1);
        }
    }

    /** Adds the event to every open window covering it; false when there is none. */
    private boolean update(Scn scn, String key, EventRow row, long t) throws Exception {
        boolean taken = false;
        long[] done = null;
        int nDone = 0;
        String action = (String) row.get(fields.action());
        for (int i = 0; i < scn.n; i++) {
            int kind = (int) scn.w[i * 4];
            long start = scn.w[i * 4 + 1];
            long end = scn.w[i * 4 + 2];
            if (kind == PANE || t < start || t >= end) {
                continue;
            }
            taken = true;
            long u = scn.w[i * 4 + 3];
            firstDue = Math.min(firstDue, end - 1);
            if (kind == MET) {
                metric(scn, u, end, row, action);
                continue;
            }
            // one pane update per version, however the versions' windows interleave
            if (contains(done, nDone, u)) {
                continue;
            }
            if (done == null) {
                done = new long[4];
            } else if (nDone == done.length) {
                done = Arrays.copyOf(done, nDone * 2);
            }
            done[nDone++] = u;
            ScenarioSpec su = spec(u, key);
            if (su == null) {
                continue;
            }
            ScenarioSpec.HotScore h = su.hotScore();
            long paneEnd = t - Math.floorMod(t, h.slide()) + h.slide();
            if (scn.findPane(u, paneEnd) < 0) {
                // released when the last window that can cover it ends, whichever windows open
                long release = paneEnd - h.slide() + h.size();
                scn.add(PANE, paneEnd, release, u);
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, release - 1);
            }
            Double w = h.weights().get(action);
            double value =
                    w == null || w == 0 ? 0 : w * Math.exp(-h.decayLambda() * (paneEnd - t) / HOUR);
            if (scn.addPane(u, paneEnd, (String) row.get(fields.item()), value)) {
                buffered++;
            }
        }
        return taken;
    }

    private static boolean contains(long[] values, int n, long v) {
        for (int i = 0; i < n; i++) {
            if (values[i] == v) {
                return true;
            }
        }
        return false;
    }

    private void metric(Scn scn, long u, long end, EventRow row, String action) {
        double[] acc = scn.metric(u, end);
        if (acc[EVENTS]++ == 0) {
            buffered++;
        }
        switch (action) {
            case "impression" -> acc[IMPRESSIONS]++;
            case "view" -> acc[VIEWS]++;
            case "click" -> acc[CLICKS]++;
            case "purchase" -> acc[PURCHASES]++;
            default -> {}
        }
        if (fields.watchTime() >= 0) {
            Object wt = row.get(fields.watchTime());
            if (wt != null) {
                acc[WATCH_SUM] += ((Number) wt).doubleValue();
                acc[WATCH_COUNT]++;
            }
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (mark.getTimestamp() >= firstDue) {
            flush();
        }
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    /** Writes buffered windows, panes and metric accumulators to keyed state. */
    private void flush() throws Exception {
        for (Map.Entry<Object, Scn> en : cache.entrySet()) {
            setCurrentKey(en.getKey());
            Scn scn = en.getValue();
            if (scn.dirty) {
                if (scn.n == 0) {
                    windowState.clear();
                } else {
                    windowState.update(Arrays.copyOf(scn.w, scn.n * 4));
                }
            }
            for (Map.Entry<String, Map<String, double[]>> p : scn.panes.entrySet()) {
                MapState<String, double[]> st = panes(p.getKey());
                for (Map.Entry<String, double[]> item : p.getValue().entrySet()) {
                    double[] old = st.get(item.getKey());
                    double[] add = item.getValue();
                    if (old != null) {
                        add[0] += old[0];
                        add[1] += old[1];
                    }
                    st.put(item.getKey(), add);
                }
            }
            for (Map.Entry<String, double[]> m : scn.metrics.entrySet()) {
                ValueState<double[]> st = metricState(m.getKey());
                double[] old = st.value();
                double[] add = m.getValue();
                if (old != null) {
                    for (int i = 0; i < add.length; i++) {
                        add[i] += old[i];
                    }
                }
                st.update(add);
            }
        }
        cache.clear();
        buffered = 0;
        firstDue = Long.MAX_VALUE;
    }

    private MapState<String, double[]> panes(String namespace) throws Exception {
        return getPartitionedState(namespace, StringSerializer.INSTANCE, paneDescriptor);
    }

    private ValueState<double[]> metricState(String namespace) throws Exception {
        return getPartitionedState(namespace, StringSerializer.INSTANCE, metricDescriptor);
    }

    static String paneNamespace(long version, long paneEnd) {
        return "h:" + version + ":" + paneEnd;
    }

    static String metricNamespace(long version, long end) {
        return "m:" + version + ":" + end;
    }

    /** The key's open windows and buffered updates, read from state on first use. */
    private Scn scn(Object key) throws Exception {
        Scn scn = cache.get(key);
        if (scn == null) {
            long[] w = windowState.value();
            scn = new Scn(w == null ? new long[16] : Arrays.copyOf(w, Math.max(16, w.length)));
            scn.n = w == null ? 0 : w.length / 4;
            cache.put(key, scn);
        }
        return scn;
    }

    @Override
    public void onEventTime(InternalTimer<Object, VoidNamespace> timer) throws Exception {
        String key = (String) timer.getKey();
        long t = timer.getTimestamp();
        Scn scn = scn(key);
        ScenarioSpec current = versions.latest().table.scenario(key);
        boolean hotOn = current != null && current.hotScoreOn();
        boolean metricsOn = current != null && current.metricsOn();
        List<long[]> fire = new ArrayList<>();
        List<long[]> release = new ArrayList<>();
        for (int i = 0; i < scn.n; i++) {
            long[] e = Arrays.copyOfRange(scn.w, i * 4, i * 4 + 4);
            boolean on = e[0] == MET ? metricsOn : hotOn; // panes belong to the hot part
            if (!on) {
                release.add(e); // a disabled part is released at once, without results
            } else if (e[2] - 1 == t) {
                if (e[0] != PANE) {
                    fire.add(e);
                }
                release.add(e);
            }
        }
        if (release.isEmpty()) {
            return;
        }
        // windows fire first (reading their panes), then everything due is released
        for (long[] e : fire) {
            if (e[0] == HOT) {
                fireHot(key, e[1], e[2], e[3]);
            } else {
                fireMetrics(key, e[1], e[2], e[3]);
            }
        }
        for (long[] e : release) {
            scn.remove((int) e[0], e[1], e[2], e[3]);
            if (e[0] == PANE) {
                String ns = paneNamespace(e[3], e[1]);
                panes(ns).clear();
                scn.drop(ns);
            } else if (e[0] == MET) {
                String ns = metricNamespace(e[3], e[2]);
                metricState(ns).clear();
                scn.drop(ns);
            }
        }
        // the key's entries as they are now: no later flush may be needed to release them
        if (scn.n == 0) {
            windowState.clear();
        } else {
            windowState.update(Arrays.copyOf(scn.w, scn.n * 4));
        }
        scn.dirty = false;
    }

    private void fireHot(String key, long start, long end, long u) throws Exception {
        ScenarioSpec su = spec(u, key);
        if (su == null) {
            LOG.warn(
                    "hot-score window [{}, {}) of version {} has no result: the version is gone",
                    start,
                    end,
                    u);
            return;
        }
        long slide = su.hotScore().slide();
        double lambda = su.hotScore().decayLambda();
        Map<String, double[]> items = new HashMap<>();
        for (long p = start + slide; p <= end; p += slide) {
            double factor = Math.exp(-lambda * (end - p) / HOUR);
            for (Map.Entry<String, double[]> en : panes(paneNamespace(u, p)).entries()) {
                double[] v = en.getValue();
                double[] acc = items.computeIfAbsent(en.getKey(), k -> new double[2]);
                acc[0] += v[0] * factor;
                acc[1] += v[1];
            }
        }
        if (!items.isEmpty()) {
            emitRanking(key, start, end, u, su.hotScore().topN(), items);
        }
    }

    /** The top N items by score, ties by smaller item id, as rows ranked from 1. */
    private void emitRanking(
            String key, long start, long end, long u, int topN, Map<String, double[]> items) {
        java.util.Comparator<Map.Entry<String, double[]>> better =
                (a, b) -> {
                    int c = Double.compare(b.getValue()[0], a.getValue()[0]);
                    return c != 0 ? c : a.getKey().compareTo(b.getKey());
                };
        PriorityQueue<Map.Entry<String, double[]>> worstFirst =
                new PriorityQueue<>(Math.min(topN, items.size()) + 1, better.reversed());
        for (Map.Entry<String, double[]> en : items.entrySet()) {
            if (worstFirst.size() < topN) {
                worstFirst.add(en);
            } else if (better.compare(en, worstFirst.peek()) < 0) {
                worstFirst.poll();
                worstFirst.add(en);
            }
        }
        List<Map.Entry<String, double[]>> top = new ArrayList<>(worstFirst);
        top.sort(better);
        String tenant = Scenarios.tenant(key);
        String scenario = Scenarios.scenario(key);
        StreamRecord<EventRow> rec = new StreamRecord<>(null, end - 1);
        if (rankings) {
            EventRow whole = EventRow.of(tenant, scenario, start, end, rankingJson(top));
            whole.configVersion(u);
            output.collect(RANKINGS, new StreamRecord<>(whole, end - 1));
        }
        for (int r = 0; r < top.size(); r++) {
            double[] v = top.get(r).getValue();
            EventRow row =
                    EventRow.of(
                            tenant,
                            scenario,
                            start,
                            end,
                            (long) (r + 1),
                            top.get(r).getKey(),
                            v[0],
                            (long) v[1]);
            row.configVersion(u);
            output.collect(HOT_ITEMS, rec.replace(row, end - 1));
        }
    }

    private static String rankingJson(List<Map.Entry<String, double[]>> top) {
        java.io.StringWriter w = new java.io.StringWriter(top.size() * 64);
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON_FACTORY.createGenerator(w)) {
            g.writeStartArray();
            for (int r = 0; r < top.size(); r++) {
                double[] v = top.get(r).getValue();
                g.writeStartObject();
                g.writeNumberField("rank", r + 1);
                g.writeStringField("item_id", top.get(r).getKey());
                g.writeNumberField("score", v[0]);
                g.writeNumberField("events", (long) v[1]);
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return w.toString();
    }

    private static final com.fasterxml.jackson.core.JsonFactory JSON_FACTORY =
            new com.fasterxml.jackson.core.JsonFactory();

    private void fireMetrics(String key, long start, long end, long u) throws Exception {
        double[] acc = metricState(metricNamespace(u, end)).value();
        ScenarioSpec su = spec(u, key);
        if (acc == null || su == null) {
            return;
        }
        List<String> measures = su.metrics().measures();
        long impressions = (long) acc[IMPRESSIONS];
        long clicks = (long) acc[CLICKS];
        long purchases = (long) acc[PURCHASES];
        Double ctr =
                measures.contains("ctr") && impressions > 0 ? (double) clicks / impressions : null;
        Double cvr = measures.contains("cvr") && clicks > 0 ? (double) purchases / clicks : null;
        Double watch =
                measures.contains("watch-time") && acc[WATCH_COUNT] > 0
                        ? acc[WATCH_SUM] / acc[WATCH_COUNT]
                        : null;
        EventRow row =
                EventRow.of(
                        Scenarios.tenant(key),
                        Scenarios.scenario(key),
                        start,
                        end,
                        (long) acc[EVENTS],
                        impressions,
                        (long) acc[VIEWS],
                        clicks,
                        purchases,
                        ctr,
                        cvr,
                        watch);
        row.configVersion(u);
        output.collect(METRICS, new StreamRecord<>(row, end - 1));
    }

    @Override
    public void onProcessingTime(InternalTimer<Object, VoidNamespace> timer) {}

    private void dead(Reason reason, String message, EventRow row, long version) {
        EventRow d = DeadLetters.of(reason, message, null, row.raw(), null, row.origin(), step);
        d.configVersion(version);
        if (reason != Reason.LATE) {
            scenarioDead.add(1);
        }
        output.collect(DeadLetters.TAG, new StreamRecord<>(d));
    }

    /**
     * One key's open windows (kind, start, end, version; four longs each) and its updates not yet
     * written to state: hot panes by pane namespace and item, metric accumulators by namespace.
     */
    static final class Scn {
        long[] w;
        int n;
        boolean dirty;
        final Map<String, Map<String, double[]>> panes = new HashMap<>(4);
        final Map<String, double[]> metrics = new HashMap<>(2);
        private long lastVersion = Long.MIN_VALUE;
        private long lastPane = Long.MIN_VALUE;
        private Map<String, double[]> lastItems;
        private long lastMetricVersion = Long.MIN_VALUE;
        private long lastMetricEnd = Long.MIN_VALUE;
        private double[] lastMetric;

        Scn(long[] w) {
            this.w = w;
        }

        /** The open window of this kind and bounds, whatever version opened it; -1 if none. */
        int find(int kind, long start, long end) {
            for (int i = 0; i < n; i++) {
                if (w[i * 4] == kind && w[i * 4 + 1] == start && w[i * 4 + 2] == end) {
                    return i;
                }
            }
            return -1;
        }

        void add(int kind, long start, long end, long version) {
            if ((n + 1) * 4 > w.length) {
                w = Arrays.copyOf(w, w.length * 2);
            }
            w[n * 4] = kind;
            w[n * 4 + 1] = start;
            w[n * 4 + 2] = end;
            w[n * 4 + 3] = version;
            n++;
            dirty = true;
        }

        int findPane(long version, long paneEnd) {
            for (int i = 0; i < n; i++) {
                if (w[i * 4] == PANE && w[i * 4 + 1] == paneEnd && w[i * 4 + 3] == version) {
                    return i;
                }
            }
            return -1;
        }

        void remove(int kind, long start, long end, long version) {
            int i = -1;
            for (int j = 0; j < n && i < 0; j++) {
                if (w[j * 4] == kind
                        && w[j * 4 + 1] == start
                        && w[j * 4 + 2] == end
                        && w[j * 4 + 3] == version) {
                    i = j;
                }
            }
            if (i >= 0) {
                System.arraycopy(w, (i + 1) * 4, w, i * 4, (n - i - 1) * 4);
                n--;
                dirty = true;
            }
        }

        /** Forgets buffered updates of a released pane or metrics window. */
        void drop(String namespace) {
            panes.remove(namespace);
            metrics.remove(namespace);
            lastVersion = Long.MIN_VALUE;
            lastPane = Long.MIN_VALUE;
            lastItems = null;
            lastMetricVersion = Long.MIN_VALUE;
            lastMetricEnd = Long.MIN_VALUE;
            lastMetric = null;
        }

        /** Adds to an item's pane; says whether the (pane, item) entry is new. */
        boolean addPane(long version, long paneEnd, String item, double value) {
            if (version != lastVersion || paneEnd != lastPane) {
                lastItems =
                        panes.computeIfAbsent(
                                paneNamespace(version, paneEnd), k -> new HashMap<>());
                lastVersion = version;
                lastPane = paneEnd;
            }
            double[] acc = lastItems.get(item);
            boolean fresh = acc == null;
            if (fresh) {
                acc = new double[2];
                lastItems.put(item, acc);
            }
            acc[0] += value;
            acc[1] += 1;
            return fresh;
        }

        double[] metric(long version, long end) {
            if (version != lastMetricVersion || end != lastMetricEnd) {
                lastMetric =
                        metrics.computeIfAbsent(metricNamespace(version, end), k -> new double[7]);
                lastMetricVersion = version;
                lastMetricEnd = end;
            }
            return lastMetric;
        }
    }
}
