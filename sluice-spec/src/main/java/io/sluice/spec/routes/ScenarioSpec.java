package io.sluice.spec.routes;

import io.sluice.spec.yaml.Pos;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One tenant's recommendation scenario in a config version: the parameters of its item hot scores,
 * user interest profiles and metrics. Durations are in milliseconds. {@code fingerprint} changes
 * exactly when the scenario's text does.
 */
public record ScenarioSpec(
        String tenant,
        String scenario,
        boolean enabled,
        HotScore hotScore,
        UserProfile userProfile,
        Metrics metrics,
        Pos pos,
        String fingerprint)
        implements Serializable {

    /**
     * Hot score of an item in window [end − size, end): {@code Σ weight(action) · exp(−decayLambda
     * · (end − event_time) in hours)}; each window emits the {@code topN} items by score.
     */
    public record HotScore(
            boolean enabled,
            Map<String, Double> weights,
            double decayLambda,
            long size,
            long slide,
            int topN)
            implements Serializable {}

    /**
     * Interest of a user in a category at T: {@code Σ weight(action) · 2^(−(T − event_time) /
     * halfLife)}, recomputed at the end of each update interval in which the user had events.
     */
    public record UserProfile(
            boolean enabled,
            Map<String, Double> weights,
            long halfLife,
            long updateInterval,
            int topCategories)
            implements Serializable {}

    /** Counts, CTR, CVR and watch time per tumbling window of {@code size}. */
    public record Metrics(boolean enabled, long size, List<String> measures)
            implements Serializable {}

    /** The key a scenario is found by: tenant and scenario id. */
    public static String key(String tenant, String scenario) {
        return tenant + '\u001f' + scenario;
    }

    public String key() {
        return key(tenant, scenario);
    }

    /** Whether the part is on: the scenario and the part both enabled. */
    public boolean hotScoreOn() {
        return enabled && hotScore.enabled();
    }

    public boolean userProfileOn() {
        return enabled && userProfile.enabled();
    }

    public boolean metricsOn() {
        return enabled && metrics.enabled();
    }
}
