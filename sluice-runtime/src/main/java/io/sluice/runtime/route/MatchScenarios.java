package io.sluice.runtime.route;

import io.sluice.runtime.row.DeadLetters;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.run.Counters;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.ScenarioSpec;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Stage 1 of recommendation scenarios: looks up each behaviour event's (tenant, scenario) in the
 * config version in force and stamps the event with that version. Events of an enabled scenario go
 * on keyed by scenario (hot scores and metrics, main output) and by user (profiles, {@link
 * #PROFILES}); others go to the unmatched output. An event without tenant, scenario, user, item or
 * action goes to dead letters.
 *
 * <p>The version in force is loaded from the store when the task opens (or taken from restored
 * broadcast state), then follows the control stream. State: broadcast state of recent versions,
 * capped at {@code keep}.
 */
public final class MatchScenarios
        extends BroadcastProcessFunction<EventRow, ConfigUpdate, RoutedEvent> {
    /** Events for the profile stage, keyed by tenant, scenario and user. */
    public static final OutputTag<RoutedEvent> PROFILES =
            new OutputTag<>("scenario-profiles", RoutedEventSerializer.TYPE);

    static final String WINDOWS_PART = "scenario";
    static final String PROFILE_PART = "profile";

    private final RouteCatalog catalog;
    private final StoreVersions store;
    private final int keep;
    private final Scenarios.Fields fields;
    private final OutputTag<EventRow> unmatchedTag;
    private final String step;

    private transient RouteTables tables;
    private transient boolean restoredChecked;
    private transient LongCounter matched;
    private transient LongCounter unmatched;
    private transient LongCounter scenarioDead;
    private transient StringBuilder key;

    public MatchScenarios(
            RouteCatalog catalog,
            StoreVersions store,
            int keep,
            Scenarios.Fields fields,
            OutputTag<EventRow> unmatchedTag,
            String step) {
        this.catalog = catalog;
        this.store = store;
        this.keep = keep;
        this.fields = fields;
        this.unmatchedTag = unmatchedTag;
        this.step = step;
    }

    @Override
    public void open(OpenContext openContext) {
        tables = new RouteTables(catalog, store, keep, step + ".");
        tables.bootstrap();
        matched = getRuntimeContext().getLongCounter(Counters.SCENARIO_EVENTS);
        unmatched = getRuntimeContext().getLongCounter(Counters.SCENARIO_UNMATCHED);
        scenarioDead = getRuntimeContext().getLongCounter(Counters.SCENARIO_DEAD_LETTERS);
        key = new StringBuilder();
        getRuntimeContext()
                .getMetricGroup()
                .gauge("activeConfigVersion", (Gauge<Long>) () -> tables.latest().version());
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
        String missing = missing(row);
        if (missing != null) {
            EventRow d =
                    DeadLetters.of(
                            Reason.MISSING_FIELD,
                            missing + " is missing: a behaviour event needs it",
                            missing,
                            row.raw(),
                            null,
                            row.origin(),
                            step);
            d.configVersion(version);
            scenarioDead.add(1);
            ctx.output(DeadLetters.TAG, d);
            return;
        }
        String tenant = (String) row.get(fields.tenant());
        String scenario = (String) row.get(fields.scenario());
        ScenarioSpec s = table.table.scenario(tenant, scenario);
        row.configVersion(version);
        if (s == null || !(s.hotScoreOn() || s.metricsOn() || s.userProfileOn())) {
            unmatched.add(1);
            if (unmatchedTag != null) {
                ctx.output(unmatchedTag, row);
            }
            return;
        }
        matched.add(1);
        key.setLength(0);
        key.append(tenant).append(Scenarios.SEP).append(scenario);
        String scenarioKey = key.toString();
        if (s.hotScoreOn() || s.metricsOn()) {
            out.collect(new RoutedEvent(WINDOWS_PART, version, scenarioKey, row));
        }
        if (s.userProfileOn()) {
            key.append(Scenarios.SEP).append((String) row.get(fields.user()));
            ctx.output(PROFILES, new RoutedEvent(PROFILE_PART, version, key.toString(), row));
        }
    }

    private String missing(EventRow row) {
        if (row.get(fields.tenant()) == null) {
            return catalog.input().fields().get(fields.tenant()).name();
        }
        if (row.get(fields.scenario()) == null) {
            return catalog.input().fields().get(fields.scenario()).name();
        }
        if (row.get(fields.user()) == null) {
            return catalog.input().fields().get(fields.user()).name();
        }
        if (row.get(fields.item()) == null) {
            return catalog.input().fields().get(fields.item()).name();
        }
        if (row.get(fields.action()) == null) {
            return catalog.input().fields().get(fields.action()).name();
        }
        return null;
    }

    @Override
    public void processBroadcastElement(ConfigUpdate u, Context ctx, Collector<RoutedEvent> out)
            throws Exception {
        BroadcastState<Long, String> state = ctx.getBroadcastState(RouteTables.VERSIONS);
        RouteEvents.remember(state, u, keep);
        tables.offer(u.version, u.text);
    }
}
