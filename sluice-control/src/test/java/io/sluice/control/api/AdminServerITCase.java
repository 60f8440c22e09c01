package io.sluice.control.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.control.api.ApiClient.Response;
import io.sluice.control.store.AuditEntry;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigVersion;
import io.sluice.control.store.StoreLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API over HTTP against a file store: reads, writes, ETags, auth, audit. */
class AdminServerITCase {
    // the tokens whose hashes test resource api/tokens.yaml holds
    static final String ADMIN = "admin-secret-token-0001"; // ann
    static final String EDITOR = "editor-acme-token-0002"; // ed: tenant acme
    static final String VIEWER = "viewer-token-0003"; // vic
    static final String GLOBEX = "editor-globex-token-0004"; // gil: tenants globex, initech

    static final String V1 = TokenConfigTest.resource("routes-v1.yaml");

    static final String V1_ROUTES =
            """
            [{"id": "acme-big", "event-types": ["order_created"], "tenant": "acme", "priority": 10,
              "processor": "filter", "params": {"condition": "amount > 100.0"},
              "outputs": ["big-orders"]},
             {"id": "globex-big", "event-types": ["order_created"], "tenant": "globex",
              "processor": "filter", "params": {"condition": "amount > 500.0"},
              "outputs": ["big-orders"]},
             {"id": "all-views", "event-types": ["page_view"], "processor": "project",
              "params": {"fields": ["event_id"]}, "outputs": ["views"]}]
            """;

    static final String ACME_NEW =
            """
            {"event-types": ["order_created"], "tenant": "acme", "processor": "filter",
             "params": {"condition": "amount > 1.0"}, "outputs": ["big-orders"]}
            """;

    @TempDir Path dir;
    final StubRoutesValidator validator = new StubRoutesValidator();
    ConfigStore store;
    AdminServer server;
    ApiClient api;

    @BeforeEach
    void start() {
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

    static JsonNode json(String text) {
        try {
            return ApiClient.JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static String v2() {
        return V1.replace("amount > 100.0", "amount > 150.0");
    }

    Response putDocument(String token, long ifMatch, String yaml) {
        return api.request("PUT", "/api/routes").token(token).ifMatch(ifMatch).yaml(yaml).send();
    }

    Response putRoute(String token, String id, String json) {
        return api.request("PUT", "/api/routes/" + id)
                .token(token)
                .ifMatch(store.latest())
                .json(json)
                .send();
    }

    Response deleteRoute(String token, String id) {
        return api.request("DELETE", "/api/routes/" + id)
                .token(token)
                .ifMatch(store.latest())
                .send();
    }

    Response rollback(String token, long to) {
        return api.request("POST", "/api/rollback")
                .token(token)
                .ifMatch(store.latest())
                .json("{\"to\": " + to + "}")
                .send();
    }

    /** The route as it is now, changed: {@code field} set to {@code value}. */
    String changed(String id, String field, Object value) {
        var route =
                (com.fasterxml.jackson.databind.node.ObjectNode)
                        api.get("/api/routes/" + id).token(ADMIN).send().json();
        route.set(field, ApiClient.JSON.valueToTree(value));
        return route.toString();
    }

    static void assertStatus(Response r, int status) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
    }

    /** A 4xx answer: the status, JSON with an error message, and nothing written. */
    void assertRefused(Response r, int status, long versionBefore) {
        assertStatus(r, status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.json().path("error").asText()).as("%s", r).isNotBlank();
        assertThat(store.latest()).as("nothing written by %s", r).isEqualTo(versionBefore);
    }

    // ---- reads

    @Test
    void theCurrentRoutesComeWithTheirVersionAsETag() {
        Response r = api.get("/api/routes").token(VIEWER).send();

        assertStatus(r, 200);
        assertThat(r.header("ETag")).isEqualTo("\"1\"");
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode body = r.json();
        assertThat(body.get("version").asLong()).isEqualTo(1);
        assertThat(body.get("author").asText()).isEqualTo("setup");
        assertThat(body.get("comment").asText()).isEqualTo("first");
        assertThat(body.get("time").asText())
                .isEqualTo(store.version(1).orElseThrow().time().toString());
        assertThat(body.get("text").asText()).isEqualTo(V1);
        assertThat(body.get("routes")).isEqualTo(json(V1_ROUTES));
    }

    @Test
    void oneRouteComesWithTheVersionItIsFrom() {
        Response r = api.get("/api/routes/globex-big").token(VIEWER).send();
        assertStatus(r, 200);
        assertThat(r.header("ETag")).isEqualTo("\"1\"");
        assertThat(r.json()).isEqualTo(json(V1_ROUTES).get(1));

        Response missing = api.get("/api/routes/nope").token(VIEWER).send();
        assertStatus(missing, 404);
        assertThat(missing.json().get("error").asText())
                .isEqualTo(
                        "no route 'nope' in version 1 (its routes: acme-big, globex-big, all-views)");
    }

    @Test
    void anEmptyStoreSaysHowToWriteTheFirstVersion(@TempDir Path other) {
        try (ConfigStore empty =
                        ConfigStores.open(StoreLocation.parse(other.toString()), validator);
                AdminServer s =
                        AdminServer.builder(
                                        empty,
                                        validator,
                                        TokenConfig.parse(
                                                "tokens.yaml",
                                                TokenConfigTest.resource("tokens.yaml")))
                                .build()
                                .start()) {
            ApiClient c = new ApiClient(s.url());
            Response r = c.get("/api/routes").token(ADMIN).send();
            assertStatus(r, 404);
            assertThat(r.json().get("error").asText())
                    .isEqualTo(
                            "the store holds no version yet: PUT /api/routes with If-Match: \"0\""
                                    + " writes the first");
            assertStatus(c.get("/api/routes/acme-big").token(ADMIN).send(), 404);
            assertThat(c.get("/api/versions").token(ADMIN).send().json())
                    .isEqualTo(json("{\"versions\": []}"));

            Response first =
                    c.request("PUT", "/api/routes").token(ADMIN).ifMatch(0).yaml(V1).send();
            assertStatus(first, 200);
            assertThat(first.header("ETag")).isEqualTo("\"1\"");
            assertThat(empty.current().orElseThrow().text()).isEqualTo(V1);
        }
    }

    // ---- writes

    @Test
    void aWholeYamlDocumentIsStoredAsWritten() {
        Response r =
                api.request("PUT", "/api/routes?comment=raise%20the%20bar")
                        .token(ADMIN)
                        .ifMatch(1)
                        .yaml(v2())
                        .send();

        assertStatus(r, 200);
        assertThat(r.header("ETag")).isEqualTo("\"2\"");
        ConfigVersion v = store.current().orElseThrow();
        assertThat(v.text()).isEqualTo(v2()); // comments and layout kept
        assertThat(v.author()).isEqualTo("ann");
        assertThat(v.comment()).isEqualTo("raise the bar");
        assertThat(r.json())
                .isEqualTo(
                        json(
                                "{\"version\": 2, \"author\": \"ann\", \"time\": \""
                                        + v.time()
                                        + "\", \"comment\": \"raise the bar\", \"sha256\": \""
                                        + ConfigVersion.sha256Of(v2())
                                        + "\"}"));
        assertThat(api.get("/api/routes").token(VIEWER).send().json().get("text").asText())
                .isEqualTo(v2());
    }

    @Test
    void aWholeJsonDocumentIsStoredAsYaml() {
        String doc = "{\"description\": \"from JSON\", \"routes\": " + V1_ROUTES + "}";
        Response r = api.request("PUT", "/api/routes").token(ADMIN).ifMatch(1).json(doc).send();

        assertStatus(r, 200);
        String text = store.current().orElseThrow().text();
        assertThat(text).startsWith("description: from JSON\nroutes:\n  - id: acme-big\n");
        JsonNode read = api.get("/api/routes").token(VIEWER).send().json();
        assertThat(read.get("routes")).isEqualTo(json(V1_ROUTES));
        assertThat(read.get("text").asText()).isEqualTo(text);

        Response broken =
                api.request("PUT", "/api/routes")
                        .token(ADMIN)
                        .ifMatch(2)
                        .json("{\"routes\": [")
                        .send();
        assertRefused(broken, 400, 2);
        assertThat(broken.json().get("error").asText())
                .startsWith("the body is not valid JSON at line 1, column ");
    }

    @Test
    void oneRouteIsAddedReplacedAndDeleted() {
        Response added = putRoute(ADMIN, "acme-new", ACME_NEW);
        assertStatus(added, 200);
        assertThat(added.header("ETag")).isEqualTo("\"2\"");
        assertThat(added.json().get("comment").asText()).isEqualTo("set route acme-new");
        JsonNode expected = json("{\"id\": \"acme-new\"}");
        ((com.fasterxml.jackson.databind.node.ObjectNode) expected)
                .setAll((com.fasterxml.jackson.databind.node.ObjectNode) json(ACME_NEW));
        assertThat(api.get("/api/routes/acme-new").token(VIEWER).send().json()).isEqualTo(expected);
        JsonNode routes = api.get("/api/routes").token(VIEWER).send().json().get("routes");
        assertThat(routes).hasSize(4);
        assertThat(routes.get(3)).isEqualTo(expected); // appended

        // YAML body, id given: replaced in place
        Response replaced =
                api.request("PUT", "/api/routes/globex-big")
                        .token(ADMIN)
                        .ifMatch(2)
                        .yaml(
                                "id: globex-big\nevent-types: [order_paid]\ntenant: globex\n"
                                        + "processor: project\noutputs: [views]\n")
                        .send();
        assertStatus(replaced, 200);
        routes = api.get("/api/routes").token(VIEWER).send().json().get("routes");
        assertThat(routes.get(1))
                .isEqualTo(
                        json(
                                "{\"id\": \"globex-big\", \"event-types\": [\"order_paid\"],"
                                        + " \"tenant\": \"globex\", \"processor\": \"project\","
                                        + " \"outputs\": [\"views\"]}"));

        Response deleted =
                api.request("DELETE", "/api/routes/acme-new?comment=not%20needed")
                        .token(ADMIN)
                        .ifMatch(3)
                        .send();
        assertStatus(deleted, 200);
        assertThat(deleted.header("ETag")).isEqualTo("\"4\"");
        assertThat(deleted.json().get("comment").asText()).isEqualTo("not needed");
        assertStatus(api.get("/api/routes/acme-new").token(VIEWER).send(), 404);

        assertRefused(deleteRoute(ADMIN, "acme-new"), 404, 4);
        Response mismatch =
                putRoute(ADMIN, "acme-big", "{\"id\": \"other\", \"processor\": \"filter\"}");
        assertRefused(mismatch, 400, 4);
        assertThat(mismatch.json().get("error").asText())
                .isEqualTo(
                        "the body's id \"other\" differs from the URL's 'acme-big': leave it out or"
                                + " make them equal (to rename a route, PUT the new id and DELETE"
                                + " the old one)");
        assertRefused(putRoute(ADMIN, "acme-big", "[1, 2]"), 400, 4);
        assertRefused(
                api.request("PUT", "/api/routes/x").token(ADMIN).ifMatch(4).yaml("a: [").send(),
                400,
                4);
        assertRefused(
                api.request("PUT", "/api/routes/x").token(ADMIN).ifMatch(4).yaml("").send(),
                400,
                4);
    }

    @Test
    void writesNeedTheCurrentVersionInIfMatch() {
        List<ApiClient.Request> writes =
                List.of(
                        api.request("PUT", "/api/routes").token(ADMIN).yaml(v2()),
                        api.request("PUT", "/api/routes/acme-new").token(ADMIN).json(ACME_NEW),
                        api.request("DELETE", "/api/routes/all-views").token(ADMIN),
                        api.request("POST", "/api/rollback").token(ADMIN).json("{\"to\": 1}"));
        for (ApiClient.Request w : writes) {
            Response r = w.send();
            assertRefused(r, 428, 1);
            assertThat(r.json().get("version").asLong()).isEqualTo(1);
            assertThat(r.json().get("error").asText())
                    .isEqualTo(
                            "If-Match is required: send the ETag of the version your change is"
                                    + " based on, e.g. If-Match: \"1\" (GET /api/routes answers"
                                    + " with it)");
        }
        assertStatus(putDocument(ADMIN, 1, v2()), 200);

        List<ApiClient.Request> stale =
                List.of(
                        api.request("PUT", "/api/routes").token(ADMIN).ifMatch(1).yaml(V1),
                        api.request("PUT", "/api/routes/acme-new")
                                .token(ADMIN)
                                .ifMatch(1)
                                .json(ACME_NEW),
                        api.request("DELETE", "/api/routes/all-views").token(ADMIN).ifMatch(1),
                        api.request("POST", "/api/rollback")
                                .token(ADMIN)
                                .ifMatch(1)
                                .json("{\"to\": 1}"),
                        api.request("PUT", "/api/routes").token(ADMIN).ifMatch(3).yaml(V1));
        for (ApiClient.Request w : stale) {
            Response r = w.send();
            assertRefused(r, 412, 2);
            assertThat(r.header("ETag")).isEqualTo("\"2\"");
            assertThat(r.json().get("version").asLong()).isEqualTo(2);
        }
        assertThat(store.current().orElseThrow().text()).isEqualTo(v2());

        for (String bad : List.of("W/\"2\"", "*", "\"2\", \"3\"", "two", "\"2")) {
            Response r =
                    api.request("PUT", "/api/routes")
                            .token(ADMIN)
                            .header("If-Match", bad)
                            .yaml(V1)
                            .send();
            assertRefused(r, 400, 2);
            assertThat(r.json().get("error").asText()).startsWith("If-Match must be the one ETag");
        }
        // the unquoted form is accepted too
        assertStatus(
                api.request("PUT", "/api/routes")
                        .token(ADMIN)
                        .header("If-Match", "2")
                        .yaml(V1)
                        .send(),
                200);
    }

    @Test
    void ofTwoWritersWithTheSameETagExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                long base = store.latest();
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<Response>> answers = new ArrayList<>();
                for (int writer = 0; writer < 2; writer++) {
                    String route = changed("acme-big", "priority", 100 * round + writer);
                    ApiClient.Request put =
                            api.request("PUT", "/api/routes/acme-big")
                                    .token(writer == 0 ? ADMIN : EDITOR)
                                    .ifMatch(base)
                                    .json(route);
                    answers.add(
                            pool.submit(
                                    () -> {
                                        together.await();
                                        return put.send();
                                    }));
                }
                Response a = answers.get(0).get();
                Response b = answers.get(1).get();
                assertThat(List.of(a.status(), b.status()))
                        .as("%s / %s", a, b)
                        .containsExactlyInAnyOrder(200, 412);
                assertThat(store.latest()).isEqualTo(base + 1);
                Response winner = a.status() == 200 ? a : b;
                int priority = a.status() == 200 ? 100 * round : 100 * round + 1;
                assertThat(winner.header("ETag")).isEqualTo("\"" + (base + 1) + "\"");
                assertThat(
                                api.get("/api/routes/acme-big")
                                        .token(VIEWER)
                                        .send()
                                        .json()
                                        .get("priority")
                                        .asInt())
                        .isEqualTo(priority);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static final String FITLER =
            """
            description: Test routes
            routes:
              - id: acme-big
                event-types: [order_created]
                processor: fitler
                outputs: [big-orders]
              - id: no-processor
                event-types: [page_view]
                outputs: [views]
            """;

    static final String FITLER_PROBLEMS =
            """
            [{"file": "routes.yaml", "line": 5, "column": 16, "path": "routes[0].processor",
              "message": "unknown processor 'fitler' (known: filter, project, window-aggregate); did you mean 'filter'?",
              "text": "routes.yaml:5:16: routes[0].processor: unknown processor 'fitler' (known: filter, project, window-aggregate); did you mean 'filter'?"},
             {"file": "routes.yaml", "line": 7, "column": 5, "path": "routes[1].processor",
              "message": "missing required key 'processor'",
              "text": "routes.yaml:7:5: routes[1].processor: missing required key 'processor'"}]
            """;

    @Test
    void aRejectedDocumentIsAnsweredWithEveryLocatedProblemAndNothingIsWritten() {
        Response r = putDocument(ADMIN, 1, FITLER);

        assertRefused(r, 422, 1);
        assertThat(r.json().get("problems")).isEqualTo(json(FITLER_PROBLEMS));
        assertThat(r.json().get("error").asText())
                .isEqualTo(
                        "the routes: 2 problems, nothing was written and version 1 stays current:"
                                + " routes.yaml:5:16: routes[0].processor: unknown processor"
                                + " 'fitler' (known: filter, project, window-aggregate); did you"
                                + " mean 'filter'?; routes.yaml:7:5: routes[1].processor: missing"
                                + " required key 'processor'");
        assertThat(r.json().has("document")).isFalse(); // the positions are in the body sent
        assertThat(store.current().orElseThrow().text()).isEqualTo(V1);

        // one route: the positions are in the document the server rendered, which it returns
        Response one = putRoute(ADMIN, "globex-big", "{\"processor\": \"fitler\"}");
        assertRefused(one, 422, 1);
        String document = one.json().get("document").asText();
        List<String> lines = document.lines().toList();
        JsonNode problem = one.json().get("problems").get(0);
        assertThat(one.json().get("problems")).hasSize(1);
        assertThat(problem.get("path").asText()).isEqualTo("routes[1].processor");
        assertThat(
                        lines.get(problem.get("line").asInt() - 1)
                                .substring(problem.get("column").asInt() - 1))
                .isEqualTo("fitler");

        // a document the API cannot even read is the validator's to explain
        Response syntax = putDocument(ADMIN, 1, "routes: [\n");
        assertRefused(syntax, 422, 1);
        assertThat(syntax.json().get("problems").get(0).get("message").asText())
                .startsWith("YAML syntax: ");
    }

    @Test
    void validateChecksADocumentWithoutWritingIt() {
        Response ok = api.request("POST", "/api/validate").token(VIEWER).yaml(v2()).send();
        assertStatus(ok, 200);
        assertThat(ok.json()).isEqualTo(json("{\"valid\": true}"));

        Response bad = api.request("POST", "/api/validate").token(VIEWER).yaml(FITLER).send();
        assertStatus(bad, 422);
        assertThat(bad.json().get("valid").asBoolean()).isFalse();
        assertThat(bad.json().get("problems")).isEqualTo(json(FITLER_PROBLEMS));
        assertThat(bad.json().get("error").asText())
                .startsWith("the document: 2 problems: routes.yaml:5:16:");

        assertThat(store.latest()).isEqualTo(1);
        assertThat(store.auditLog(100)).isEmpty();
    }

    @Test
    void versionsDiffAndRollback() {
        assertStatus(putDocument(ADMIN, 1, v2()), 200);

        JsonNode versions = api.get("/api/versions").token(VIEWER).send().json().get("versions");
        assertThat(versions).hasSize(2);
        assertThat(versions.get(0).get("version").asLong()).isEqualTo(2);
        assertThat(versions.get(0).get("author").asText()).isEqualTo("ann");
        assertThat(versions.get(0).has("text")).isFalse();
        assertThat(versions.get(1).get("version").asLong()).isEqualTo(1);
        assertThat(api.get("/api/versions?limit=1").token(VIEWER).send().json().get("versions"))
                .hasSize(1);
        assertRefused(api.get("/api/versions?limit=0").token(VIEWER).send(), 400, 2);
        assertRefused(api.get("/api/versions?limit=x").token(VIEWER).send(), 400, 2);

        Response one = api.get("/api/versions/1").token(VIEWER).send();
        assertStatus(one, 200);
        assertThat(one.json().get("text").asText()).isEqualTo(V1);
        assertThat(one.json().get("comment").asText()).isEqualTo("first");
        Response none = api.get("/api/versions/9").token(VIEWER).send();
        assertRefused(none, 404, 2);
        assertThat(none.json().get("error").asText())
                .isEqualTo("there is no config version 9 (versions are 1 to 2)");
        assertRefused(api.get("/api/versions/x").token(VIEWER).send(), 400, 2);

        String expected =
                """
                --- version 1
                +++ version 2
                @@ -6,7 +6,7 @@
                     tenant: acme
                     priority: 10
                     processor: filter
                -    params: {condition: "amount > 100.0"}
                +    params: {condition: "amount > 150.0"}
                     outputs: [big-orders]
                \s
                   - id: globex-big
                """;
        Response diff = api.get("/api/diff?from=1").token(VIEWER).send();
        assertStatus(diff, 200);
        assertThat(diff.header("Content-Type")).startsWith("text/plain");
        assertThat(diff.body()).isEqualTo(expected);
        assertThat(api.get("/api/diff?from=1&to=2").token(VIEWER).send().body())
                .isEqualTo(expected);
        assertRefused(api.get("/api/diff").token(VIEWER).send(), 400, 2);
        assertRefused(api.get("/api/diff?from=1&to=7").token(VIEWER).send(), 404, 2);

        Response back =
                api.request("POST", "/api/rollback")
                        .token(ADMIN)
                        .ifMatch(2)
                        .json("{\"to\": 1}")
                        .send();
        assertStatus(back, 200);
        assertThat(back.header("ETag")).isEqualTo("\"3\"");
        assertThat(back.json().get("comment").asText()).isEqualTo("rollback to version 1");
        assertThat(store.current().orElseThrow().text()).isEqualTo(V1);

        Response why =
                api.request("POST", "/api/rollback")
                        .token(ADMIN)
                        .ifMatch(3)
                        .json("{\"to\": 2, \"comment\": \"150 after all\"}")
                        .send();
        assertStatus(why, 200);
        assertThat(store.current().orElseThrow().comment()).isEqualTo("150 after all");

        assertRefused(rollback(ADMIN, 99), 404, 4);
        for (String body :
                List.of("{}", "{\"to\": \"1\"}", "{\"to\": 0}", "{\"to\": 1.5}", "[1]", "nope")) {
            assertRefused(
                    api.request("POST", "/api/rollback").token(ADMIN).ifMatch(4).json(body).send(),
                    400,
                    4);
        }

        // a version that the validator rejects by now is not brought back
        validator.known.remove("project");
        Response rejected = rollback(ADMIN, 1);
        assertRefused(rejected, 422, 4);
        assertThat(rejected.json().get("problems"))
                .isEqualTo(
                        json(
                                """
                                [{"file": "routes.yaml", "line": 21, "column": 16,
                                  "path": "routes[2].processor",
                                  "message": "unknown processor 'project' (known: filter, window-aggregate)",
                                  "text": "routes.yaml:21:16: routes[2].processor: unknown processor 'project' (known: filter, window-aggregate)"}]
                                """));
    }

    // ---- auth

    /** Every endpoint under /api, each with what makes it a well-formed request. */
    List<ApiClient.Request> everyApiRequest(String token) {
        long v = store.latest();
        return List.of(
                api.get("/api/routes").token(token),
                api.request("PUT", "/api/routes").token(token).ifMatch(v).yaml(v2()),
                api.get("/api/routes/acme-big").token(token),
                api.request("PUT", "/api/routes/acme-new").token(token).ifMatch(v).json(ACME_NEW),
                api.request("DELETE", "/api/routes/acme-big").token(token).ifMatch(v),
                api.get("/api/versions").token(token),
                api.get("/api/versions/1").token(token),
                api.get("/api/diff?from=0").token(token),
                api.request("POST", "/api/rollback").token(token).ifMatch(v).json("{\"to\": 1}"),
                api.request("POST", "/api/validate").token(token).yaml(V1),
                api.get("/api/audit").token(token),
                api.get("/api/no-such-thing").token(token));
    }

    @Test
    void withoutAKnownTokenOnlyHealthAnswers() {
        for (String token : new String[] {null, "wrong-token", TokenConfig.hash(ADMIN), ""}) {
            for (ApiClient.Request req : everyApiRequest(token)) {
                Response r = req.send();
                assertRefused(r, 401, 1);
                assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"sluice\"");
            }
        }
        Response basic =
                api.get("/api/routes").header("Authorization", "Basic YW5uOnNlY3JldA==").send();
        assertRefused(basic, 401, 1);
        assertThat(basic.json().get("error").asText())
                .isEqualTo("send the token as Authorization: Bearer <token>");
        assertThat(api.get("/api/routes").send().json().get("error").asText())
                .isEqualTo("a token is needed: send Authorization: Bearer <token>");
        assertThat(api.get("/api/routes").token("wrong").send().header("WWW-Authenticate"))
                .isEqualTo("Bearer realm=\"sluice\", error=\"invalid_token\"");

        Response health = api.get("/health").send();
        assertStatus(health, 200);
        assertThat(health.json()).isEqualTo(json("{\"status\": \"ok\"}"));
        assertThat(store.auditLog(100)).isEmpty(); // nobody to audit
    }

    @Test
    void aViewerReadsAndValidatesButWritesNothing() {
        for (String path :
                List.of(
                        "/api/routes",
                        "/api/routes/acme-big",
                        "/api/versions",
                        "/api/versions/1",
                        "/api/diff?from=0")) {
            assertStatus(api.get(path).token(VIEWER).send(), 200);
        }
        assertStatus(api.request("POST", "/api/validate").token(VIEWER).yaml(V1).send(), 200);

        List<Response> writes =
                List.of(
                        putDocument(VIEWER, 1, v2()),
                        putRoute(VIEWER, "acme-new", ACME_NEW),
                        deleteRoute(VIEWER, "acme-big"),
                        rollback(VIEWER, 1));
        for (Response r : writes) {
            assertRefused(r, 403, 1);
            assertThat(r.json().get("error").asText())
                    .isEqualTo("'vic' is a viewer: changes need an editor or admin token");
        }
        Response audit = api.get("/api/audit").token(VIEWER).send();
        assertRefused(audit, 403, 1);
        assertThat(audit.json().get("error").asText())
                .isEqualTo("'vic' is a viewer; this needs an admin token");
        Response editorAudit = api.get("/api/audit").token(EDITOR).send();
        assertRefused(editorAudit, 403, 1);
        assertThat(editorAudit.json().get("error").asText())
                .isEqualTo("'ed' is an editor; this needs an admin token");
    }

    @Test
    void anEditorChangesOnlyTheRoutesOfItsTenants() {
        // its own tenant's routes: add, change, delete
        assertStatus(putRoute(EDITOR, "acme-new", ACME_NEW), 200);
        assertStatus(putRoute(EDITOR, "acme-big", changed("acme-big", "priority", 11)), 200);
        assertStatus(deleteRoute(EDITOR, "acme-new"), 200);
        String onlyAcme =
                store.current().orElseThrow().text().replace("priority: 11", "priority: 12");
        assertStatus(putDocument(EDITOR, 4, onlyAcme), 200);
        assertThat(store.latest()).isEqualTo(5);

        // another tenant's route, a global route, a move, through every kind of write
        List<Response> forbidden =
                List.of(
                        putRoute(EDITOR, "globex-big", changed("globex-big", "priority", 1)),
                        deleteRoute(EDITOR, "globex-big"),
                        putRoute(EDITOR, "all-views", changed("all-views", "stop", true)),
                        deleteRoute(EDITOR, "all-views"),
                        putRoute(
                                EDITOR,
                                "global-new",
                                ACME_NEW.replace("\"tenant\": \"acme\", ", "")),
                        putRoute(EDITOR, "globex-new", ACME_NEW.replace("acme", "globex")),
                        putRoute(EDITOR, "acme-big", changed("acme-big", "tenant", "globex")),
                        putDocument(EDITOR, 5, V1.replace("amount > 500.0", "amount > 1.0")),
                        putDocument(
                                EDITOR,
                                5,
                                V1.replace("description: Test routes", "description: mine")));
        for (Response r : forbidden) {
            assertRefused(r, 403, 5);
            assertThat(r.json().get("error").asText())
                    .startsWith("'ed' edits only routes of tenant acme: ")
                    .endsWith(". Ask an admin for changes outside your tenants.");
        }
        assertThat(forbidden.get(6).json().get("error").asText())
                .contains("route 'acme-big' cannot move from tenant acme to tenant globex");

        // rollback: compared with the current version, like any write
        assertStatus(putRoute(ADMIN, "globex-big", changed("globex-big", "priority", 3)), 200);
        assertRefused(rollback(EDITOR, 5), 403, 6); // would change globex-big back
        assertRefused(rollback(EDITOR, 1), 403, 6); // so would this one
        assertStatus(putRoute(EDITOR, "acme-big", changed("acme-big", "priority", 13)), 200);
        assertStatus(rollback(EDITOR, 6), 200); // only acme-big differs
        assertThat(
                        api.get("/api/routes/acme-big")
                                .token(VIEWER)
                                .send()
                                .json()
                                .get("priority")
                                .asInt())
                .isEqualTo(12);

        // and the other editor, of globex and initech, mirrors it
        assertStatus(putRoute(GLOBEX, "globex-big", changed("globex-big", "priority", 4)), 200);
        assertRefused(putRoute(GLOBEX, "acme-big", changed("acme-big", "priority", 4)), 403, 9);
    }

    @Test
    void anAdminDoesEverything() {
        assertStatus(putRoute(ADMIN, "globex-big", changed("globex-big", "priority", 1)), 200);
        assertStatus(putRoute(ADMIN, "all-views", changed("all-views", "stop", true)), 200);
        assertStatus(putRoute(ADMIN, "acme-big", changed("acme-big", "tenant", "globex")), 200);
        assertStatus(
                putRoute(ADMIN, "global-new", ACME_NEW.replace("\"tenant\": \"acme\", ", "")), 200);
        assertStatus(deleteRoute(ADMIN, "global-new"), 200);
        assertStatus(
                putDocument(ADMIN, 6, V1.replace("description: Test routes", "description: mine")),
                200);
        assertStatus(rollback(ADMIN, 1), 200);
        assertStatus(api.get("/api/audit").token(ADMIN).send(), 200);
        assertThat(store.latest()).isEqualTo(8);
        assertThat(store.current().orElseThrow().text()).isEqualTo(V1);
    }

    @Test
    void errorsAreJsonThatSayWhatToFix() {
        Response unknown = api.get("/api/no-such-thing").token(ADMIN).send();
        assertRefused(unknown, 404, 1);
        assertThat(unknown.json().get("error").asText())
                .startsWith("no endpoint GET /api/no-such-thing (the API: ");
        Response method = api.request("POST", "/api/routes").token(ADMIN).yaml(V1).send();
        assertRefused(method, 405, 1);
        Response override =
                api.get("/api/routes").token(ADMIN).header("X-HTTP-Method-Override", "PUT").send();
        assertRefused(override, 400, 1);
        Response empty = api.request("PUT", "/api/routes").token(ADMIN).ifMatch(1).yaml("").send();
        assertRefused(empty, 400, 1);
        assertThat(empty.json().get("error").asText())
                .isEqualTo(
                        "the body is empty: send the routes document, as YAML or as JSON with"
                                + " Content-Type: application/json");
    }

    // ---- side effects and audit

    /** Every file under the store with its size and modification time. */
    Map<String, String> files() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                out.put(dir.relativize(p).toString(), a.size() + " " + a.lastModifiedTime());
            }
        }
        return out;
    }

    @Test
    void readsChangeNothing() throws IOException {
        assertStatus(putDocument(ADMIN, 1, v2()), 200);
        assertStatus(putRoute(EDITOR, "globex-big", "{}"), 403); // an audit entry to read
        List<ConfigVersion> history = store.history(1000);
        List<AuditEntry> audit = store.auditLog(1000);
        Map<String, String> files = files();

        for (int i = 0; i < 20; i++) {
            for (String path :
                    List.of(
                            "/api/routes",
                            "/api/routes/acme-big",
                            "/api/routes/nope",
                            "/api/versions",
                            "/api/versions/1",
                            "/api/versions/7",
                            "/api/diff?from=1",
                            "/api/audit",
                            "/api/nothing")) {
                for (String token : new String[] {ADMIN, EDITOR, VIEWER, "bad", null}) {
                    api.get(path).token(token).send();
                }
            }
            api.get("/health").send();
            api.request("POST", "/api/validate").token(VIEWER).yaml(FITLER).send();
        }

        assertThat(store.history(1000)).isEqualTo(history);
        assertThat(store.auditLog(1000)).isEqualTo(audit);
        assertThat(files()).isEqualTo(files);
    }

    @Test
    void everyWriteAttemptIsAuditedWithItsOutcome() {
        assertStatus(putRoute(ADMIN, "acme-new", ACME_NEW), 200); // version 2
        assertStatus(putDocument(ADMIN, 2, FITLER), 422);
        assertStatus(putDocument(ADMIN, 1, V1), 412);
        assertStatus(putRoute(EDITOR, "globex-big", changed("globex-big", "priority", 1)), 403);
        assertStatus(deleteRoute(VIEWER, "acme-new"), 403);
        assertStatus(api.request("PUT", "/api/routes").token(EDITOR).yaml(V1).send(), 428);
        assertStatus(deleteRoute(EDITOR, "acme-new"), 200); // version 3
        assertStatus(rollback(EDITOR, 2), 200); // version 4
        assertStatus(deleteRoute(ADMIN, "nope"), 404);

        List<String[]> expected =
                List.of(
                        new String[] {
                            "ann",
                            "route.delete",
                            "routes/nope",
                            "not found: no route 'nope' in version 4"
                        },
                        new String[] {"ed", "rollback", "version 2", "version 4"},
                        new String[] {"ed", "route.delete", "routes/acme-new", "version 3"},
                        new String[] {
                            "ed", "routes.put", "routes.yaml", "refused: If-Match is required"
                        },
                        new String[] {
                            "vic", "route.delete", "routes/acme-new", "forbidden: 'vic' is a viewer"
                        },
                        new String[] {
                            "ed",
                            "route.put",
                            "routes/globex-big",
                            "forbidden: 'ed' edits only routes of tenant acme: route 'globex-big' (tenant globex) cannot be changed"
                        },
                        new String[] {
                            "ann",
                            "routes.put",
                            "routes.yaml",
                            "conflict: version 1 is not current: the routes are at version 2 now"
                        },
                        new String[] {
                            "ann",
                            "routes.put",
                            "routes.yaml",
                            "rejected: the routes: 2 problems, nothing was written and version 2 stays current: routes.yaml:5:16: "
                        },
                        new String[] {"ann", "route.put", "routes/acme-new", "version 2"});

        Response r = api.get("/api/audit").token(ADMIN).send();
        assertStatus(r, 200);
        JsonNode entries = r.json().get("entries");
        assertThat(entries).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = entries.get(i);
            String[] x = expected.get(i);
            assertThat(e.get("actor").asText()).as("entry %d", i).isEqualTo(x[0]);
            assertThat(e.get("action").asText()).as("entry %d", i).isEqualTo(x[1]);
            assertThat(e.get("target").asText()).as("entry %d", i).isEqualTo(x[2]);
            assertThat(e.get("detail").asText()).as("entry %d", i).startsWith(x[3]);
            if (x[3].startsWith("version")) {
                assertThat(e.get("detail").asText()).isEqualTo(x[3]);
            }
        }
        assertThat(api.get("/api/audit?limit=2").token(ADMIN).send().json().get("entries"))
                .hasSize(2);
        assertThat(store.auditLog(100).get(0).detail())
                .isEqualTo(entries.get(0).get("detail").asText());
    }
}
