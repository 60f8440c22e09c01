package io.sluice.control.api;

import static io.sluice.control.api.AdminServerITCase.ADMIN;
import static io.sluice.control.api.AdminServerITCase.EDITOR;
import static io.sluice.control.api.AdminServerITCase.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.control.api.ApiClient.Response;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigValidator;
import io.sluice.control.store.StoreLocation;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import io.sluice.spec.routes.ScenarioSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recommendation scenarios through the admin API, checked by the job's own validator: one scenario
 * is read, changed and deleted by (tenant, scenario); an invalid one is rejected with its located
 * problems and nothing is written; an editor changes only its tenants' scenarios, and the other
 * tenants' scenarios stay exactly as they were.
 */
class AdminScenariosITCase {
    static final String V1 =
            """
            description: Scenarios under test
            scenarios:
              - tenant: acme
                scenario: feed
                hot-score: {top-n: 50}
              - tenant: globex
                scenario: feed
                metrics: {window: {size: 1h}}
            """;

    static final RouteCatalog CATALOG =
            new RouteCatalog(
                    new RowSchema(List.of(new Field("tenant_id", FieldType.STRING, true))),
                    null,
                    null,
                    null,
                    List.of(),
                    true,
                    false,
                    true);

    @TempDir Path dir;
    ConfigStore store;
    AdminServer server;
    ApiClient api;
    final RoutesLoader loader = new RoutesLoader(PluginRegistry.load());

    @BeforeEach
    void start() {
        ConfigValidator validator = (file, text) -> loader.validate(file, text, CATALOG);
        store = ConfigStores.open(StoreLocation.parse(dir.resolve("config").toString()), validator);
        store.commit(V1, 0, "setup", "first");
        TokenConfig tokens =
                TokenConfig.parse("tokens.yaml", TokenConfigTest.resource("tokens.yaml"));
        server = AdminServer.builder(store, validator, tokens).build().start();
        api = new ApiClient(server.url());
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    Response put(String token, String path, String json) {
        return api.request("PUT", path).token(token).ifMatch(store.latest()).json(json).send();
    }

    ScenarioSpec current(String tenant, String scenario) {
        return loader.load("routes.yaml", store.current().orElseThrow().text(), CATALOG, 0)
                .scenario(tenant, scenario);
    }

    @Test
    void oneScenarioIsReadChangedAndDeleted() {
        Response all = api.get("/api/scenarios").token(VIEWER).send();
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.json()).hasSize(2);
        JsonNode acme = api.get("/api/scenarios/acme/feed").token(VIEWER).send().json();
        assertThat(acme.get("hot-score").get("top-n").asInt()).isEqualTo(50);

        ScenarioSpec globexBefore = current("globex", "feed");
        Response r =
                put(
                        EDITOR,
                        "/api/scenarios/acme/feed",
                        "{\"hot-score\": {\"weights\": {\"view\": 5}, \"top-n\": 20}}");
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(store.latest()).isEqualTo(2);
        ScenarioSpec acmeAfter = current("acme", "feed");
        assertThat(acmeAfter.hotScore().weights()).containsEntry("view", 5.0);
        assertThat(acmeAfter.hotScore().topN()).isEqualTo(20);
        assertThat(current("globex", "feed"))
                .usingRecursiveComparison()
                .ignoringFields("pos")
                .isEqualTo(globexBefore);
        assertThat(store.history(1).get(0).comment()).isEqualTo("set scenario acme/feed");

        // a new scenario of the editor's tenant, then deleted again
        assertThat(put(EDITOR, "/api/scenarios/acme/video", "{}").status()).isEqualTo(200);
        assertThat(current("acme", "video").hotScore().topN()).isEqualTo(100);
        Response d =
                api.request("DELETE", "/api/scenarios/acme/video")
                        .token(EDITOR)
                        .ifMatch(store.latest())
                        .send();
        assertThat(d.status()).isEqualTo(200);
        assertThat(current("acme", "video")).isNull();
        Response missing = api.get("/api/scenarios/acme/video").token(VIEWER).send();
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").asText())
                .isEqualTo(
                        "no scenario acme/video in version 4 (its scenarios: acme/feed, globex/feed)");
    }

    @Test
    void anInvalidScenarioIsRejectedWithItsProblemsAndNothingIsWritten() {
        Response r = put(ADMIN, "/api/scenarios/globex/feed", "{\"hot-score\": {\"top-n\": 0}}");
        assertThat(r.status()).as("%s", r).isEqualTo(422);
        assertThat(r.json().toString())
                .contains("scenarios[1].hot-score.top-n: must be 1 to 10000");
        assertThat(store.latest()).isEqualTo(1);
        Response mismatch = put(ADMIN, "/api/scenarios/globex/feed", "{\"tenant\": \"acme\"}");
        assertThat(mismatch.status()).isEqualTo(400);
        assertThat(mismatch.json().get("error").asText())
                .contains("the body's tenant \"acme\" differs from the URL's 'globex'");
    }

    @Test
    void anEditorChangesOnlyItsTenantsScenarios() {
        Response r = put(EDITOR, "/api/scenarios/globex/feed", "{\"hot-score\": {\"top-n\": 5}}");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().get("error").asText())
                .startsWith("'ed' edits only routes of tenant acme: ")
                .contains("scenario globex/feed (tenant globex) cannot be changed");
        Response add = put(EDITOR, "/api/scenarios/initech/feed", "{}");
        assertThat(add.status()).isEqualTo(403);
        assertThat(add.json().get("error").asText())
                .contains("scenario initech/feed (tenant initech) cannot be added");
        assertThat(store.latest()).isEqualTo(1);
        assertThat(put(ADMIN, "/api/scenarios/initech/feed", "{}").status()).isEqualTo(200);
    }
}
