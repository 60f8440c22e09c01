package io.sluice.runtime.route;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.ScenarioSpec;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Stage 2 of recommendation scenarios for user profiles, keyed by (tenant, scenario, user). Time is
 * cut into update-interval buckets; at the end T of each bucket in which the user had events (when
 * the watermark reaches it), the profile is recomputed: interest in a category is {@code Σ w(a) ·
 * 2^(−(T − t) / half-life)} over all the user's events so far, and the top categories are emitted
 * (ties: smaller category id first).
 *
 * <p>Versions: a bucket opens with the params of the version stamped on its first event (interval,
 * weights, half-life) and finishes with them; the kept interests are decayed with the half-life of
 * the bucket being closed. Under one version this is exactly the formula above.
 *
 * <p>State per user: the interests as of the last update ({@code categories}, {@code interests}:
 * as-of time, event count, then one value per category), the open buckets ({@code [start, end,
 * version]} triples) and their pending sums per category ({@code "end|category"}, and the event
 * count under {@code "end|"}). A bucket's sums are removed when it closes. When a timer finds the
 * scenario's profiles disabled or removed in the newest version, all of the user's state is
 * released.
 */
public final class ScenarioProfiles extends KeyedProcessFunction<String, RoutedEvent, EventRow> {
    private static final long serialVersionUID = 1L;

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final Scenarios.Fields fields;
    private final String step;

    private transient Scenarios.Versions versions;
    private transient ValueState<String[]> categories;
    private transient ValueState<double[]> interests;
    private transient ValueState<long[]> buckets;
    private transient MapState<String, Double> pending;
    private transient LongCounter late;
    private transient LongCounter scenarioDead;
    private transient com.fasterxml.jackson.core.JsonFactory json;

    public ScenarioProfiles(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            Scenarios.Fields fields,
            String step) {
        this.catalog = catalog;
        this.store = store;
        this.keep = keep;
        this.fields = fields;
        this.step = step;
    }

    @Override
    public void open(OpenContext openContext) {
        versions = new Scenarios.Versions(catalog, store, keep, step + ".");
        versions.open();
        categories =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "profile-categories",
                                        BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO));
        interests =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "profile-interests",
                                        PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO));
        buckets =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "profile-buckets",
                                        PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
        pending =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "profile-pending",
                                        BasicTypeInfo.STRING_TYPE_INFO,
                                        BasicTypeInfo.DOUBLE_TYPE_INFO));
        late = getRuntimeContext().getLongCounter(Counters.SCENARIO_LATE);
        scenarioDead = getRuntimeContext().getLongCounter(Counters.SCENARIO_DEAD_LETTERS);
        json = new com.fasterxml.jackson.core.JsonFactory();
    }

    @Override
    public void close() {
        if (versions != null) {
            versions.close();
        }
    }

    @Override
    public void processElement(RoutedEvent e, Context ctx, Collector<EventRow> out)
            throws Exception {
        EventRow row = e.row();
        Long ts = ctx.timestamp();
        String key = ctx.getCurrentKey();
        ScenarioSpec s = versions.at(e.version(), key.substring(0, key.lastIndexOf(Scenarios.SEP)));
        if (ts == null || s == null) {
            dead(
                    ctx,
                    ts == null ? Reason.MISSING_FIELD : Reason.VERSION_EXPIRED,
                    ts == null
                            ? "the event has no event time"
                            : "config version " + e.version() + " is no longer available",
                    row,
                    e.version());
            return;
        }
        long t = ts;
        long wm = ctx.timerService().currentWatermark();
        long[] open = buckets.value();
        long end = -1;
        long version = e.version();
        if (open != null) {
            for (int i = 0; i < open.length; i += 3) {
                if (open[i] <= t && t < open[i + 1]) {
                    end = open[i + 1];
                    version = open[i + 2];
                    break;
                }
            }
        }
        if (end < 0) {
            if (!s.userProfileOn()) {
                return;
            }
            long interval = s.userProfile().updateInterval();
            long start = t - Math.floorMod(t, interval);
            end = start + interval;
            double[] kept = interests.value();
            // the watermark is not kept across restores: the profile's own time is
            if (end - 1 <= wm || (kept != null && end <= (long) kept[0])) {
                late.add(1);
                dead(ctx, Reason.LATE, "too late for its profile update", row, e.version());
                return;
            }
            long[] grown = open == null ? new long[3] : Arrays.copyOf(open, open.length + 3);
            grown[grown.length - 3] = start;
            grown[grown.length - 2] = end;
            grown[grown.length - 1] = version;
            buckets.update(grown);
            ctx.timerService().registerEventTimeTimer(end - 1);
        }
        ScenarioSpec sb = version == e.version() ? s : versions.at(version, scenarioKey(key));
        String pendingEvents = end + "|";
        Double n = pending.get(pendingEvents);
        pending.put(pendingEvents, n == null ? 1.0 : n + 1);
        String category = fields.string(row, fields.category());
        Double w =
                sb == null
                        ? null
                        : sb.userProfile().weights().get((String) row.get(fields.action()));
        if (category == null || w == null || w == 0) {
            return;
        }
        double value = w * Math.pow(2, -(double) (end - t) / sb.userProfile().halfLife());
        String k = end + "|" + category;
        Double old = pending.get(k);
        pending.put(k, old == null ? value : old + value);
    }

    private static String scenarioKey(String key) {
        return key.substring(0, key.lastIndexOf(Scenarios.SEP));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<EventRow> out)
            throws Exception {
        String key = ctx.getCurrentKey();
        ScenarioSpec current = versions.latest().table.scenario(scenarioKey(key));
        if (current == null || !current.userProfileOn()) {
            categories.clear();
            interests.clear();
            buckets.clear();
            pending.clear();
            return;
        }
        long[] open = buckets.value();
        if (open == null) {
            return;
        }
        List<long[]> rest = new ArrayList<>();
        long end = timestamp + 1;
        long version = -1;
        for (int i = 0; i < open.length; i += 3) {
            if (open[i + 1] == end) {
                version = open[i + 2];
            } else {
                rest.add(new long[] {open[i], open[i + 1], open[i + 2]});
            }
        }
        if (version < 0) {
            return;
        }
        if (rest.isEmpty()) {
            buckets.clear();
        } else {
            long[] left = new long[rest.size() * 3];
            for (int i = 0; i < rest.size(); i++) {
                System.arraycopy(rest.get(i), 0, left, i * 3, 3);
            }
            buckets.update(left);
        }
        ScenarioSpec s = versions.at(version, scenarioKey(key));
        // the bucket's sums, taken out of the pending map
        Map<String, Double> add = new HashMap<>();
        double events = 0;
        String prefix = end + "|";
        Iterator<Map.Entry<String, Double>> it = pending.iterator();
        while (it.hasNext()) {
            Map.Entry<String, Double> en = it.next();
            if (en.getKey().startsWith(prefix)) {
                String category = en.getKey().substring(prefix.length());
                if (category.isEmpty()) {
                    events = en.getValue();
                } else {
                    add.put(category, en.getValue());
                }
                it.remove();
            }
        }
        if (s == null) {
            return;
        }
        String[] cats = categories.value();
        double[] vals = interests.value();
        Map<String, Double> profile = new HashMap<>();
        long total = (long) events;
        if (cats != null) {
            double decay =
                    Math.pow(2, -(double) (end - (long) vals[0]) / s.userProfile().halfLife());
            total += (long) vals[1];
            for (int i = 0; i < cats.length; i++) {
                profile.put(cats[i], vals[i + 2] * decay);
            }
        }
        add.forEach((c, v) -> profile.merge(c, v, Double::sum));
        String[] newCats = profile.keySet().toArray(new String[0]);
        Arrays.sort(newCats);
        double[] newVals = new double[newCats.length + 2];
        newVals[0] = end;
        newVals[1] = total;
        for (int i = 0; i < newCats.length; i++) {
            newVals[i + 2] = profile.get(newCats[i]);
        }
        categories.update(newCats);
        interests.update(newVals);
        out.collect(profileRow(key, end, total, newCats, newVals, s, version));
    }

    private EventRow profileRow(
            String key,
            long end,
            long events,
            String[] cats,
            double[] vals,
            ScenarioSpec s,
            long version)
            throws java.io.IOException {
        Integer[] order = new Integer[cats.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // by interest, ties by smaller category id (cats are sorted, so a stable sort keeps that)
        Arrays.sort(order, (a, b) -> Double.compare(vals[b + 2], vals[a + 2]));
        StringWriter w = new StringWriter();
        try (JsonGenerator g = json.createGenerator(w)) {
            g.writeStartArray();
            for (int i = 0; i < Math.min(order.length, s.userProfile().topCategories()); i++) {
                g.writeStartObject();
                g.writeStringField("category_id", cats[order[i]]);
                g.writeNumberField("interest", vals[order[i] + 2]);
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        EventRow row =
                EventRow.of(
                        Scenarios.tenant(key),
                        Scenarios.scenario(key),
                        Scenarios.user(key),
                        end,
                        events,
                        w.toString());
        row.configVersion(version);
        return row;
    }

    private void dead(Context ctx, Reason reason, String message, EventRow row, long version) {
        EventRow d = DeadLetters.of(reason, message, null, row.raw(), null, row.origin(), step);
        d.configVersion(version);
        if (reason != Reason.LATE) {
            scenarioDead.add(1);
        }
        ctx.output(DeadLetters.TAG, d);
    }
}
