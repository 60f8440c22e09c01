package io.sluice.spec.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScenariosLoaderTest {
    static final RouteCatalog SCENARIOS_ONLY =
            new RouteCatalog(
                    new RowSchema(
                            List.of(
                                    new Field("tenant_id", FieldType.STRING, true),
                                    new Field("scenario_id", FieldType.STRING, true))),
                    null,
                    null,
                    null,
                    List.of(),
                    true,
                    false,
                    true);

    final RoutesLoader loader = new RoutesLoader(PluginRegistry.load());

    @Test
    void absentPartsTakeTheDefaultsAndGivenWeightsMergeOverThem() {
        RoutingTable t =
                loader.load(
                        "routes.yaml",
                        """
                        scenarios:
                          - {tenant: acme, scenario: feed}
                          - tenant: acme
                            scenario: video
                            hot-score: {weights: {view: 2.5, cart: 1}, top-n: 5}
                            metrics: {measures: [ctr]}
                        """,
                        SCENARIOS_ONLY,
                        7);
        ScenarioSpec feed = t.scenario("acme", "feed");
        assertThat(feed.hotScore().weights())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "impression",
                                0.5,
                                "view",
                                1.0,
                                "click",
                                2.0,
                                "like",
                                3.0,
                                "favorite",
                                4.0,
                                "comment",
                                5.0,
                                "share",
                                6.0,
                                "purchase",
                                10.0));
        assertThat(feed.hotScore().decayLambda()).isEqualTo(0.1);
        assertThat(feed.hotScore().size()).isEqualTo(3_600_000);
        assertThat(feed.hotScore().slide()).isEqualTo(900_000);
        assertThat(feed.hotScore().topN()).isEqualTo(100);
        assertThat(feed.userProfile().weights())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("view", 1.0, "like", 3.0, "favorite", 5.0, "purchase", 10.0));
        assertThat(feed.userProfile().halfLife()).isEqualTo(30L * 24 * 3_600_000);
        assertThat(feed.userProfile().updateInterval()).isEqualTo(300_000);
        assertThat(feed.userProfile().topCategories()).isEqualTo(20);
        assertThat(feed.metrics().size()).isEqualTo(1_800_000);
        assertThat(feed.metrics().measures()).containsExactly("ctr", "cvr", "watch-time");
        assertThat(feed.hotScoreOn() && feed.userProfileOn() && feed.metricsOn()).isTrue();

        ScenarioSpec video = t.scenario("acme", "video");
        assertThat(video.hotScore().weights())
                .containsEntry("view", 2.5)
                .containsEntry("cart", 1.0);
        assertThat(video.hotScore().weights()).containsEntry("purchase", 10.0);
        assertThat(video.hotScore().topN()).isEqualTo(5);
        assertThat(video.metrics().measures()).containsExactly("ctr");
        assertThat(t.scenario("globex", "feed")).isNull();
        assertThat(t.version()).isEqualTo(7);
    }

    @Test
    void everyProblemIsLocated() {
        List<String> problems =
                loader
                        .validate(
                                "routes.yaml",
                                """
                                scenarios:
                                  - tenant: acme
                                    scenario: feed
                                    hot-score:
                                      weights: {view: -1}
                                      window: {size: 1h, slide: 7m}
                                      top_n: 5
                                  - tenant: acme
                                    scenario: feed
                                    metrics: {measures: [ctr, ctv]}
                                    user-profile: {update-interval: 0s}
                                routes:
                                  - id: x
                                """,
                                SCENARIOS_ONLY)
                        .list()
                        .stream()
                        .map(Problem::toString)
                        .toList();
        assertThat(problems)
                .anyMatch(
                        p ->
                                p.startsWith(
                                                "routes.yaml:7:7: scenarios[0].hot-score.top_n: unknown key 'top_n'")
                                        && p.contains("did you mean 'top-n'"))
                .anyMatch(
                        p ->
                                p.startsWith(
                                        "routes.yaml:5:16: scenarios[0].hot-score.weights.view: must be 0 to 1000000"))
                .anyMatch(
                        p ->
                                p.startsWith(
                                        "routes.yaml:6:33: scenarios[0].hot-score.window.slide: must be at least 1s and divide the window size"))
                .anyMatch(
                        p ->
                                p.contains(
                                        "scenarios[1].scenario: tenant 'acme' already has scenario 'feed' (at scenarios[0])"))
                .anyMatch(p -> p.contains("scenarios[1].metrics.measures[1]") && p.contains("ctv"))
                .anyMatch(
                        p ->
                                p.contains(
                                        "scenarios[1].user-profile.update-interval: must be at least 1s"))
                .anyMatch(p -> p.contains("routes: this job runs no live routes"));
    }
}
