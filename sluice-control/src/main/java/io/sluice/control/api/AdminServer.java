package io.sluice.control.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.router.EndpointNotFound;
import io.sluice.control.store.AuditEntry;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStoreException;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigValidator;
import io.sluice.control.store.ConfigVersion;
import io.sluice.control.store.ConflictException;
import io.sluice.control.store.NoSuchVersionException;
import io.sluice.control.store.RejectedException;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: the live routes of a {@link ConfigStore} over HTTP and JSON.
 *
 * <table>
 *   <caption>Endpoints (JSON unless said)</caption>
 *   <tr><th>request</th><th>role</th><th>answer</th></tr>
 *   <tr><td>{@code GET /health}</td><td>none</td><td>200 {@code {"status":"ok"}}; 503 when the
 *       store cannot be read</td></tr>
 *   <tr><td>{@code GET /api/routes}</td><td>viewer</td><td>the current version: {@code version,
 *       author, time, comment, sha256, text} (the YAML) and {@code routes} (as JSON objects),
 *       {@code ETag: "N"}; 404 while the store is empty</td></tr>
 *   <tr><td>{@code PUT /api/routes}</td><td>editor</td><td>body: the whole document, YAML (as
 *       stored, comments kept) or JSON ({@code Content-Type: application/json}, stored rendered
 *       as YAML). 200 with the new version's meta and ETag</td></tr>
 *   <tr><td>{@code GET /api/routes/{id}}</td><td>viewer</td><td>the route, ETag of its
 *       version; 404 for an unknown id</td></tr>
 *   <tr><td>{@code PUT /api/routes/{id}}</td><td>editor</td><td>body: one route (JSON or YAML;
 *       its {@code id} absent or equal to the URL's): replaced in place, or appended</td></tr>
 *   <tr><td>{@code DELETE /api/routes/{id}}</td><td>editor</td><td>a new version without
 *       it; 404 for an unknown id</td></tr>
 *   <tr><td>{@code GET /api/versions?limit=20}</td><td>viewer</td><td>{@code {"versions":
 *       [meta...]}}, newest first</td></tr>
 *   <tr><td>{@code GET /api/versions/{n}}</td><td>viewer</td><td>meta and text</td></tr>
 *   <tr><td>{@code GET /api/diff?from=A&to=B}</td><td>viewer</td><td>text/plain unified diff;
 *       {@code to} defaults to the current version, version 0 is the empty document</td></tr>
 *   <tr><td>{@code POST /api/rollback}</td><td>editor</td><td>body {@code {"to":N,
 *       "comment":"..."}}: a new version with version N's text, validated again</td></tr>
 *   <tr><td>{@code POST /api/validate}</td><td>viewer</td><td>body: a document; 200 {@code
 *       {"valid":true}} or 422 with its problems; writes nothing</td></tr>
 *   <tr><td>{@code GET /api/audit?limit=50}</td><td>admin</td><td>{@code {"entries":[...]}},
 *       newest first</td></tr>
 * </table>
 *
 * <p><b>Writes</b> (the PUTs, the DELETE and the rollback) need {@code If-Match: "N"} with the ETag
 * of the version they are based on: 428 without it, 412 when another version became current
 * meanwhile (the body's {@code version} and the ETag header name it), and nothing is written. A
 * document the validator rejects is answered 422 {@code {"error", "problems":[{"file", "line",
 * "column", "path", "message", "text"}]}} and nothing is written; when the server rendered the
 * document (JSON bodies, one-route edits), {@code document} holds the text the positions refer to.
 * One-route edits and JSON bodies re-render the whole document as YAML: its comments and layout are
 * lost. Optional {@code ?comment=...} on PUT and DELETE becomes the version's comment; the author
 * is the token's name.
 *
 * <p><b>Auth</b>: {@code Authorization: Bearer TOKEN}, tokens from a {@link TokenConfig}. 401 (with
 * {@code WWW-Authenticate: Bearer}) for a missing or unknown token on every path but {@code
 * /health}; 403 when the role does not allow the request. Viewers read (not the audit log) and
 * validate; editors also write, but every route a write adds, changes or removes must have a {@code
 * tenant} among theirs, before and after (see {@code RoutesDocument.outOfScope}); admins do
 * everything. Every write attempt by a known token is audited through {@link ConfigStore#audit}:
 * actor, action ({@code routes.put}, {@code route.put}, {@code route.delete}, {@code rollback}),
 * target, and the outcome ({@code version N}, or {@code forbidden: ...}, {@code rejected: ...},
 * {@code conflict: ...}, {@code refused: ...}, {@code not found: ...}); requests without a known
 * token are not, so that no stranger can fill the log. Reads have no side effects.
 *
 * <p>Errors are JSON {@code {"error": "..."}} whose message says what to fix.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private static final String PRINCIPAL = "sluice.principal";
    private static final String DOCUMENT = ConfigStores.DOCUMENT;
    private static final int MAX_LIMIT = 1000;

    /** Audit details and targets are cut here: a rejection can list many problems. */
    private static final int MAX_AUDIT_TEXT = 2000;

    private static final Pattern ETAG = Pattern.compile("\"([0-9]{1,18})\"|([0-9]{1,18})");
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final ConfigStore store;
    private final ConfigValidator validator;
    private final TokenConfig tokens;
    private final String host;
    private final Javalin app;

    private AdminServer(Builder b) {
        this.store = b.store;
        this.validator = b.validator;
        this.tokens = b.tokens;
        this.host = b.host;
        int port = b.port;
        this.app =
                Javalin.create(
                        config -> {
                            config.jetty.host = b.host;
                            config.jetty.port = port;
                            configure(config);
                        });
    }

    /**
     * A server for {@code store}, checking documents for {@code /api/validate} with {@code
     * validator}.
     */
    public static Builder builder(
            ConfigStore store, ConfigValidator validator, TokenConfig tokens) {
        return new Builder(store, validator, tokens);
    }

    /** Settings of an {@link AdminServer}: where it listens. */
    public static final class Builder {
        private final ConfigStore store;
        private final ConfigValidator validator;
        private final TokenConfig tokens;
        private String host = "127.0.0.1";
        private int port = 0;

        private Builder(ConfigStore store, ConfigValidator validator, TokenConfig tokens) {
            this.store = Objects.requireNonNull(store, "store");
            this.validator = Objects.requireNonNull(validator, "validator");
            this.tokens = Objects.requireNonNull(tokens, "tokens");
        }

        /** The address to bind (default 127.0.0.1: this machine only). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port; 0 (the default) picks a free one, see {@link AdminServer#port()}. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, not " + port);
            }
            this.port = port;
            return this;
        }

        public AdminServer build() {
            return new AdminServer(this);
        }
    }

    /** Starts listening; returns once requests are accepted. */
    public AdminServer start() {
        app.start();
        return this;
    }

    /** The port the server listens on (the chosen one when built with port 0). */
    public int port() {
        return app.port();
    }

    /** {@code http://HOST:PORT}, the base of every endpoint. */
    public String url() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    /** Stops listening; the store stays open (its owner closes it). */
    @Override
    public void close() {
        app.stop();
    }

    private void configure(JavalinConfig c) {
        c.startup.showJavalinBanner = false;
        c.startup.showOldJavalinVersionWarning = false;
        c.startup.startupWatcherEnabled = false;
        c.http.prefer405over404 = true;
        c.routes.before(this::authenticate);
        c.routes.get("/health", this::health);
        c.routes.get("/api/routes", needs(Role.VIEWER, this::getDocument));
        c.routes.put("/api/routes", this::putDocument);
        c.routes.get("/api/routes/{id}", needs(Role.VIEWER, this::getRoute));
        c.routes.put("/api/routes/{id}", this::putRoute);
        c.routes.delete("/api/routes/{id}", this::deleteRoute);
        c.routes.get("/api/scenarios", needs(Role.VIEWER, this::getScenarios));
        c.routes.get("/api/scenarios/{tenant}/{scenario}", needs(Role.VIEWER, this::getScenario));
        c.routes.put("/api/scenarios/{tenant}/{scenario}", this::putScenario);
        c.routes.delete("/api/scenarios/{tenant}/{scenario}", this::deleteScenario);
        c.routes.get("/api/versions", needs(Role.VIEWER, this::versions));
        c.routes.get("/api/versions/{n}", needs(Role.VIEWER, this::version));
        c.routes.get("/api/diff", needs(Role.VIEWER, this::diff));
        c.routes.post("/api/rollback", this::rollback);
        c.routes.post("/api/validate", needs(Role.VIEWER, this::validate));
        c.routes.get("/api/audit", needs(Role.ADMIN, this::audit));
        c.routes.exception(ApiException.class, AdminServer::answer);
        c.routes.exception(
                NoSuchVersionException.class, (e, ctx) -> error(ctx, 404, e.getMessage()));
        c.routes.exception(
                ConfigStoreException.class,
                (e, ctx) -> {
                    LOG.warn("config store failed", e);
                    error(ctx, 503, e.getMessage());
                });
        c.routes.exception(
                HttpResponseException.class,
                (e, ctx) ->
                        error(
                                ctx,
                                e.getStatus(),
                                e instanceof EndpointNotFound
                                        ? "no endpoint "
                                                + ctx.method()
                                                + " "
                                                + ctx.path()
                                                + " (the API: /api/routes, /api/routes/{id},"
                                                + " /api/scenarios,"
                                                + " /api/scenarios/{tenant}/{scenario},"
                                                + " /api/versions, /api/diff, /api/rollback,"
                                                + " /api/validate, /api/audit)"
                                        : e.getMessage()));
        c.routes.exception(
                Exception.class,
                (e, ctx) -> {
                    LOG.error("admin API request failed: {} {}", ctx.method(), ctx.path(), e);
                    error(ctx, 500, "internal error: " + e);
                });
    }

    // ---- auth

    private void authenticate(Context ctx) {
        if (ctx.header("X-HTTP-Method-Override") != null) {
            // it would turn a GET into a write behind proxies and logs that show a GET
            throw new ApiException(
                    400, "X-HTTP-Method-Override is not accepted: send the method itself");
        }
        if ("/health".equals(ctx.path())) {
            return;
        }
        String auth = ctx.header("Authorization");
        if (auth == null || auth.isBlank()) {
            throw unauthorized(
                    "a token is needed: send Authorization: Bearer <token>",
                    "Bearer realm=\"sluice\"");
        }
        if (!auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized(
                    "send the token as Authorization: Bearer <token>",
                    "Bearer realm=\"sluice\", error=\"invalid_request\"");
        }
        Principal p =
                tokens.authenticate(auth.substring(7).strip())
                        .orElseThrow(
                                () ->
                                        unauthorized(
                                                "unknown token: check it, or ask an admin for"
                                                        + " one",
                                                "Bearer realm=\"sluice\","
                                                        + " error=\"invalid_token\""));
        ctx.attribute(PRINCIPAL, p);
    }

    private static ApiException unauthorized(String message, String challenge) {
        return new ApiException(401, message).header("WWW-Authenticate", challenge);
    }

    private static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) {
            throw new IllegalStateException("no principal: the auth filter did not run");
        }
        return p;
    }

    private static Handler needs(Role role, Handler h) {
        return ctx -> {
            Principal p = principal(ctx);
            if (!p.role().allows(role)) {
                throw new ApiException(
                        403,
                        "'"
                                + p.name()
                                + "' is "
                                + article(p.role())
                                + "; this needs "
                                + article(role)
                                + " token");
            }
            h.handle(ctx);
        };
    }

    private static String article(Role r) {
        return (r == Role.VIEWER ? "a " : "an ") + r.id();
    }

    // ---- reads

    private void health(Context ctx) {
        try {
            store.latest();
            json(ctx, 200, JSON.createObjectNode().put("status", "ok"));
        } catch (RuntimeException e) {
            LOG.warn("health: the config store cannot be read", e);
            json(
                    ctx,
                    503,
                    JSON.createObjectNode()
                            .put("status", "unavailable")
                            .put("error", "the config store cannot be read"));
        }
    }

    private void getDocument(Context ctx) {
        ConfigVersion v = current();
        ObjectNode out = meta(v).put("text", v.text());
        RoutesDocument d = RoutesDocument.parse(DOCUMENT, v.text(), new Problems());
        if (d == null) {
            out.putNull("routes");
        } else {
            out.set("routes", JSON.valueToTree(d.routes()));
            if (!d.scenarios().isEmpty()) {
                out.set("scenarios", JSON.valueToTree(d.scenarios()));
            }
        }
        etag(ctx, v.number());
        json(ctx, 200, out);
    }

    private void getRoute(Context ctx) {
        String id = ctx.pathParam("id");
        ConfigVersion v = current();
        RoutesDocument d = document(v);
        ObjectNode route =
                d.route(id).orElseThrow(() -> noSuchRoute(id, v.number(), d, "not found"));
        etag(ctx, v.number());
        json(ctx, 200, route);
    }

    private void versions(Context ctx) {
        int limit = limit(ctx, 20);
        ArrayNode list = JSON.createArrayNode();
        store.history(limit).forEach(v -> list.add(meta(v)));
        ObjectNode out = JSON.createObjectNode();
        out.set("versions", list);
        json(ctx, 200, out);
    }

    private void version(Context ctx) {
        long n = number(ctx.pathParam("n"), "the version number");
        ConfigVersion v =
                store.version(n).orElseThrow(() -> new NoSuchVersionException(n, store.latest()));
        json(ctx, 200, meta(v).put("text", v.text()));
    }

    private void diff(Context ctx) {
        String from = ctx.queryParam("from");
        if (from == null) {
            throw new ApiException(
                    400,
                    "say which versions to compare: /api/diff?from=A&to=B (to: default current)");
        }
        long a = number(from, "from");
        String to = ctx.queryParam("to");
        long b = to == null ? store.latest() : number(to, "to");
        String text = store.diff(a, b);
        ctx.status(200).contentType("text/plain; charset=utf-8").result(text);
        ctx.header("Cache-Control", "no-store");
    }

    private void audit(Context ctx) {
        int limit = limit(ctx, 50);
        ArrayNode list = JSON.createArrayNode();
        for (AuditEntry e : store.auditLog(limit)) {
            list.add(
                    JSON.createObjectNode()
                            .put("time", e.time().toString())
                            .put("actor", e.actor())
                            .put("action", e.action())
                            .put("target", e.target())
                            .put("detail", e.detail()));
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("entries", list);
        json(ctx, 200, out);
    }

    private void validate(Context ctx) {
        Body body = documentBody(ctx);
        Problems problems = validator.validate(DOCUMENT, body.text());
        if (problems == null || problems.isEmpty()) {
            json(ctx, 200, JSON.createObjectNode().put("valid", true));
            return;
        }
        ApiException e = rejection(problems, body, "the document", false);
        e.body().put("valid", false);
        throw e;
    }

    // ---- writes

    /** What a write would make of the document it is based on, and how to commit it. */
    private void getScenarios(Context ctx) {
        ConfigVersion v = current();
        etag(ctx, v.number());
        json(ctx, 200, JSON.valueToTree(document(v).scenarios()));
    }

    private void getScenario(Context ctx) {
        String tenant = ctx.pathParam("tenant");
        String scenario = ctx.pathParam("scenario");
        ConfigVersion v = current();
        RoutesDocument d = document(v);
        ObjectNode s =
                d.scenario(tenant, scenario)
                        .orElseThrow(
                                () -> noSuchScenario(tenant, scenario, v.number(), d, "not found"));
        etag(ctx, v.number());
        json(ctx, 200, s);
    }

    private void putScenario(Context ctx) {
        String tenant = ctx.pathParam("tenant");
        String scenario = ctx.pathParam("scenario");
        String comment = comment(ctx, "set scenario " + tenant + "/" + scenario);
        write(
                ctx,
                "scenario.put",
                "scenarios/" + tenant + "/" + scenario,
                (base, at) -> {
                    ObjectNode body = scenarioBody(ctx, tenant, scenario);
                    return rendered(base.document().withScenario(body), comment);
                });
    }

    private void deleteScenario(Context ctx) {
        String tenant = ctx.pathParam("tenant");
        String scenario = ctx.pathParam("scenario");
        String comment = comment(ctx, "delete scenario " + tenant + "/" + scenario);
        write(
                ctx,
                "scenario.delete",
                "scenarios/" + tenant + "/" + scenario,
                (base, at) -> {
                    RoutesDocument before = base.document();
                    RoutesDocument after =
                            before.withoutScenario(tenant, scenario)
                                    .orElseThrow(
                                            () ->
                                                    noSuchScenario(
                                                            tenant,
                                                            scenario,
                                                            base.number,
                                                            before,
                                                            "not found"));
                    return rendered(after, comment);
                });
    }

    private static ApiException noSuchScenario(
            String tenant, String scenario, long version, RoutesDocument d, String outcome) {
        List<String> keys = d.scenarios().stream().map(RoutesDocument::scenarioKey).toList();
        return new ApiException(
                404,
                outcome,
                "no scenario "
                        + tenant
                        + "/"
                        + scenario
                        + " in version "
                        + version
                        + (keys.isEmpty()
                                ? " (it has no scenarios)"
                                : " (its scenarios: " + String.join(", ", keys) + ")"));
    }

    /** The body as one scenario, with the URL's tenant and scenario (a body may repeat them). */
    private static ObjectNode scenarioBody(Context ctx, String tenant, String scenario) {
        ObjectNode body = mapBody(ctx, "scenario", "{\"hot-score\": {...}, ...}");
        for (Map.Entry<String, String> e :
                Map.of("tenant", tenant, "scenario", scenario).entrySet()) {
            JsonNode given = body.get(e.getKey());
            if (given != null && !e.getValue().equals(given.asText())) {
                throw new ApiException(
                        400,
                        "the body's "
                                + e.getKey()
                                + " "
                                + given
                                + " differs from the URL's '"
                                + e.getValue()
                                + "': leave it out or make them equal");
            }
        }
        ObjectNode out = JSON.createObjectNode().put("tenant", tenant).put("scenario", scenario);
        body.remove("tenant");
        body.remove("scenario");
        out.setAll(body);
        return out;
    }

    private record Proposal(RoutesDocument after, Body body, Committer committer) {}

    @FunctionalInterface
    private interface Committer {
        ConfigVersion commit(long expected, String author);
    }

    @FunctionalInterface
    private interface Propose {
        Proposal propose(Base base, Attempt attempt);
    }

    /** The version a write is based on, parsed when first needed. */
    private final class Base {
        final long number;
        private RoutesDocument document;

        Base(long number) {
            this.number = number;
        }

        RoutesDocument document() {
            if (document == null) {
                document =
                        number == 0
                                ? RoutesDocument.empty()
                                : AdminServer.this.document(
                                        store.version(number)
                                                .orElseThrow(
                                                        () -> conflict(number, store.latest())));
            }
            return document;
        }
    }

    /** One write attempt as the audit log records it. */
    private static final class Attempt {
        final Principal who;
        final String action;
        String target;

        Attempt(Principal who, String action, String target) {
            this.who = who;
            this.action = action;
            this.target = target;
        }
    }

    private void putDocument(Context ctx) {
        String comment = comment(ctx, "");
        write(
                ctx,
                "routes.put",
                DOCUMENT,
                (base, at) -> {
                    Body body = documentBody(ctx);
                    Problems problems = new Problems();
                    RoutesDocument after = RoutesDocument.parse(DOCUMENT, body.text(), problems);
                    if (after == null) {
                        Problems byValidator = validator.validate(DOCUMENT, body.text());
                        throw rejection(
                                byValidator == null || byValidator.isEmpty()
                                        ? problems
                                        : byValidator,
                                body,
                                "the routes",
                                true);
                    }
                    return new Proposal(
                            after,
                            body,
                            (expected, author) ->
                                    store.commit(body.text(), expected, author, comment));
                });
    }

    private void putRoute(Context ctx) {
        String id = ctx.pathParam("id");
        String comment = comment(ctx, "set route " + id);
        write(
                ctx,
                "route.put",
                "routes/" + id,
                (base, at) -> {
                    ObjectNode route = routeBody(ctx, id);
                    RoutesDocument after = base.document().withRoute(route);
                    return rendered(after, comment);
                });
    }

    private void deleteRoute(Context ctx) {
        String id = ctx.pathParam("id");
        String comment = comment(ctx, "delete route " + id);
        write(
                ctx,
                "route.delete",
                "routes/" + id,
                (base, at) -> {
                    RoutesDocument before = base.document();
                    RoutesDocument after =
                            before.withoutRoute(id)
                                    .orElseThrow(
                                            () ->
                                                    noSuchRoute(
                                                            id, base.number, before, "not found"));
                    return rendered(after, comment);
                });
    }

    private Proposal rendered(RoutesDocument after, String comment) {
        Body body = new Body(after.text(), true);
        return new Proposal(
                after,
                body,
                (expected, author) -> store.commit(after.text(), expected, author, comment));
    }

    private void rollback(Context ctx) {
        write(
                ctx,
                "rollback",
                DOCUMENT,
                (base, at) -> {
                    JsonNode req = jsonBody(ctx.body(), "{\"to\": N, \"comment\": \"why\"}");
                    JsonNode to = req.get("to");
                    if (to == null || !to.canConvertToExactIntegral() || to.asLong() < 1) {
                        throw new ApiException(
                                400,
                                "say which version to return to: {\"to\": N, \"comment\":"
                                        + " \"why\"}, N a version number (GET /api/versions"
                                        + " lists them)");
                    }
                    long n = to.asLong();
                    at.target = "version " + n;
                    JsonNode c = req.get("comment");
                    if (c != null && !c.isNull() && !c.isTextual()) {
                        throw new ApiException(400, "comment must be a string");
                    }
                    String comment = c == null || c.isNull() ? null : c.asText();
                    ConfigVersion target =
                            store.version(n)
                                    .orElseThrow(
                                            () ->
                                                    new ApiException(
                                                            404,
                                                            "not found",
                                                            new NoSuchVersionException(
                                                                            n, store.latest())
                                                                    .getMessage()));
                    Body body = new Body(target.text(), false);
                    Problems problems = new Problems();
                    RoutesDocument after = RoutesDocument.parse(DOCUMENT, target.text(), problems);
                    if (after == null) {
                        throw rejection(problems, body, "version " + n, true);
                    }
                    return new Proposal(
                            after,
                            body,
                            (expected, author) -> store.rollback(n, expected, author, comment));
                });
    }

    /**
     * The steps every write takes, in order: role (403), If-Match (428, 400), the version it is
     * based on still current (412), the proposal (400, 404, 422), an editor's tenants (403), the
     * commit (422, 412). The commit names the version the checks looked at, so a version that
     * arrives in between makes it fail with 412 instead of slipping past the checks.
     */
    private void write(Context ctx, String action, String target, Propose propose) {
        Attempt at = new Attempt(principal(ctx), action, target);
        try {
            if (!at.who.role().allows(Role.EDITOR)) {
                throw new ApiException(
                        403,
                        "forbidden",
                        "'"
                                + at.who.name()
                                + "' is a viewer: changes need an editor or admin token");
            }
            long expected = ifMatch(ctx);
            long current = store.latest();
            if (expected != current) {
                throw conflict(expected, current);
            }
            Base base = new Base(expected);
            Proposal p = propose.propose(base, at);
            if (at.who.role() == Role.EDITOR) {
                checkTenants(at.who, base.document(), p.after());
            }
            ConfigVersion v;
            try {
                v = p.committer().commit(expected, at.who.name());
            } catch (RejectedException e) {
                throw rejection(e.problems(), p.body(), "the routes", true);
            } catch (ConflictException e) {
                throw conflict(e.expected(), e.actual());
            }
            audit(at, "version " + v.number());
            etag(ctx, v.number());
            json(ctx, 200, meta(v));
        } catch (ApiException e) {
            audit(at, e.outcome());
            throw e;
        } catch (RuntimeException e) {
            audit(at, "failed: " + e.getMessage());
            throw e;
        }
    }

    private static void checkTenants(Principal who, RoutesDocument before, RoutesDocument after) {
        List<String> why = RoutesDocument.outOfScope(before, after, who.tenants());
        if (!why.isEmpty()) {
            throw new ApiException(
                    403,
                    "forbidden",
                    "'"
                            + who.name()
                            + "' edits only routes of tenant"
                            + (who.tenants().size() == 1 ? " " : "s ")
                            + String.join(", ", who.tenants().stream().sorted().toList())
                            + ": "
                            + String.join("; ", why)
                            + ". Ask an admin for changes outside your tenants.");
        }
    }

    private void audit(Attempt at, String outcome) {
        try {
            store.audit(AuditEntry.now(at.who.name(), at.action, cut(at.target), cut(outcome)));
        } catch (RuntimeException e) {
            // the answer stands (a committed version is in the history anyway); say it loudly
            LOG.error(
                    "could not audit {} {} by {} ({}): {}",
                    at.action,
                    at.target,
                    at.who.name(),
                    outcome,
                    e.toString());
        }
    }

    private static String cut(String s) {
        return s.length() <= MAX_AUDIT_TEXT ? s : s.substring(0, MAX_AUDIT_TEXT - 3) + "...";
    }

    private long ifMatch(Context ctx) {
        String h = ctx.header("If-Match");
        if (h == null || h.isBlank()) {
            long current = store.latest();
            ApiException e =
                    new ApiException(
                            428,
                            "refused",
                            "If-Match is required: send the ETag of the version your change is"
                                    + " based on, e.g. If-Match: \""
                                    + current
                                    + "\" (GET /api/routes answers with it)");
            e.body().put("version", current);
            throw e.header("ETag", etag(current));
        }
        Matcher m = ETAG.matcher(h.strip());
        if (!m.matches()) {
            throw new ApiException(
                    400,
                    "refused",
                    "If-Match must be the one ETag of the version your change is based on, like"
                            + " \"7\"; found "
                            + h.strip());
        }
        return Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2));
    }

    private static ApiException conflict(long expected, long current) {
        ApiException e =
                new ApiException(
                        412,
                        "conflict",
                        "version "
                                + expected
                                + " is not current: the routes are at version "
                                + current
                                + " now. Nothing was written; GET /api/routes, redo your change"
                                + " on it and send If-Match: \""
                                + current
                                + "\"");
        e.body().put("version", current);
        return e.header("ETag", etag(current));
    }

    /** 422 with every problem; {@code what} names the document ("the routes", "version 3"). */
    private ApiException rejection(Problems problems, Body body, String what, boolean write) {
        long current = store.latest();
        String count = problems.size() + (problems.size() == 1 ? " problem" : " problems");
        ApiException e =
                new ApiException(
                        422,
                        "rejected",
                        what
                                + ": "
                                + count
                                + (!write
                                        ? ""
                                        : current == 0
                                                ? ", nothing was written"
                                                : ", nothing was written and version "
                                                        + current
                                                        + " stays current")
                                + ": "
                                + problems.list().stream()
                                        .map(Problem::toString)
                                        .collect(Collectors.joining("; ")));
        e.body().set("problems", problems(problems));
        if (body.rendered()) {
            e.body().put("document", body.text());
        }
        return e;
    }

    private static ApiException noSuchRoute(
            String id, long version, RoutesDocument d, String outcome) {
        List<String> ids = d.routes().stream().map(RoutesDocument::idOf).toList();
        return new ApiException(
                404,
                outcome,
                "no route '"
                        + id
                        + "' in version "
                        + version
                        + (ids.isEmpty()
                                ? " (it has no routes)"
                                : " (its routes: " + String.join(", ", ids) + ")"));
    }

    // ---- bodies

    /** A document's text as stored, and whether the server rendered it from JSON. */
    private record Body(String text, boolean rendered) {}

    private static boolean isJson(Context ctx) {
        String type = ctx.contentType();
        return type != null && type.toLowerCase(Locale.ROOT).contains("json");
    }

    private static Body documentBody(Context ctx) {
        String text = ctx.body();
        if (text.isBlank()) {
            throw new ApiException(
                    400,
                    "the body is empty: send the routes document, as YAML or as JSON with"
                            + " Content-Type: application/json");
        }
        if (!isJson(ctx)) {
            return new Body(text, false);
        }
        JsonNode tree = jsonBody(text, "{\"description\": ..., \"routes\": [...]}");
        return new Body(RoutesDocument.render(tree), true);
    }

    private static ObjectNode routeBody(Context ctx, String id) {
        ObjectNode route =
                mapBody(ctx, "route", "{\"event-types\": [...], \"processor\": ..., ...}");
        JsonNode given = route.get("id");
        if (given != null && !id.equals(RoutesDocument.idOf(route))) {
            throw new ApiException(
                    400,
                    "the body's id "
                            + given
                            + " differs from the URL's '"
                            + id
                            + "': leave it out or make them equal (to rename a route, PUT the"
                            + " new id and DELETE the old one)");
        }
        if (given == null) {
            ObjectNode withId = JSON.createObjectNode().put("id", id);
            withId.setAll(route);
            route = withId;
        }
        return route;
    }

    /** The body as one map (a route, a scenario): YAML, or JSON with a JSON content type. */
    private static ObjectNode mapBody(Context ctx, String noun, String shape) {
        String text = ctx.body();
        if (text.isBlank()) {
            throw new ApiException(
                    400,
                    "the body is empty: send the "
                            + noun
                            + ", as YAML or as JSON with Content-Type:"
                            + " application/json");
        }
        if (isJson(ctx)) {
            return jsonBody(text, shape);
        }
        Problems problems = new Problems();
        YNode node = YamlReader.read("body", text, problems);
        if (!problems.isEmpty() || !(node instanceof YNode.YMap)) {
            ApiException e =
                    new ApiException(
                            400,
                            "the body is not one "
                                    + noun
                                    + " (a YAML map)"
                                    + (problems.isEmpty()
                                            ? ""
                                            : ": "
                                                    + problems.list().stream()
                                                            .map(Problem::toString)
                                                            .collect(Collectors.joining("; "))));
            e.body().set("problems", problems(problems));
            throw e;
        }
        return (ObjectNode) RoutesDocument.toJson(node);
    }

    private static ObjectNode jsonBody(String text, String shape) {
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where =
                    e.getLocation() == null
                            ? ""
                            : " at line "
                                    + e.getLocation().getLineNr()
                                    + ", column "
                                    + e.getLocation().getColumnNr();
            throw new ApiException(
                    400, "the body is not valid JSON" + where + ": " + e.getOriginalMessage());
        }
        if (!(tree instanceof ObjectNode o)) {
            throw new ApiException(400, "expected a JSON object like " + shape);
        }
        return o;
    }

    // ---- helpers

    private ConfigVersion current() {
        return store.current()
                .orElseThrow(
                        () ->
                                new ApiException(
                                        404,
                                        "the store holds no version yet: PUT /api/routes with"
                                                + " If-Match: \"0\" writes the first"));
    }

    private RoutesDocument document(ConfigVersion v) {
        Problems problems = new Problems();
        RoutesDocument d = RoutesDocument.parse(DOCUMENT, v.text(), problems);
        if (d == null) {
            throw new ApiException(
                    409,
                    "version "
                            + v.number()
                            + " is not a routes document, so one route cannot be read or edited:"
                            + " replace it whole with PUT /api/routes ("
                            + problems.list().get(0)
                            + ")");
        }
        return d;
    }

    private static String comment(Context ctx, String otherwise) {
        String c = ctx.queryParam("comment");
        return c == null || c.isBlank() ? otherwise : c;
    }

    private static int limit(Context ctx, int otherwise) {
        String s = ctx.queryParam("limit");
        if (s == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(
                400, "limit must be a whole number from 1 to " + MAX_LIMIT + ", not '" + s + "'");
    }

    private static long number(String s, String what) {
        try {
            long n = Long.parseLong(s);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(
                400, what + " must be a version number (0 or more), not '" + s + "'");
    }

    private static ObjectNode meta(ConfigVersion v) {
        return JSON.createObjectNode()
                .put("version", v.number())
                .put("author", v.author())
                .put("time", v.time().toString())
                .put("comment", v.comment())
                .put("sha256", v.sha256());
    }

    private static ArrayNode problems(Problems problems) {
        ArrayNode list = JSON.createArrayNode();
        for (Problem p : problems.list()) {
            list.add(
                    JSON.createObjectNode()
                            .put("file", p.pos().file())
                            .put("line", p.pos().line())
                            .put("column", p.pos().column())
                            .put("path", p.path() == null ? "" : p.path())
                            .put("message", p.message())
                            .put("text", p.toString()));
        }
        return list;
    }

    private static String etag(long version) {
        return "\"" + version + "\"";
    }

    private static void etag(Context ctx, long version) {
        ctx.header("ETag", etag(version));
    }

    private static void answer(ApiException e, Context ctx) {
        e.headers().forEach(ctx::header);
        json(ctx, e.status(), e.body());
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, JSON.createObjectNode().put("error", message));
    }

    private static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status)
                    .contentType("application/json")
                    .header("Cache-Control", "no-store")
                    .result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
