package io.sluice.spec.routes;

import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsBinder;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.routes.ScenarioSpec.HotScore;
import io.sluice.spec.routes.ScenarioSpec.Metrics;
import io.sluice.spec.routes.ScenarioSpec.UserProfile;
import io.sluice.spec.yaml.YNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code scenarios} list of a live config document: one entry per (tenant, scenario),
 * each part with its defaults filled in. Action weights given in a part are merged over its default
 * weights (set an action to 0 to leave it out). Every problem is collected and located.
 */
public final class ScenariosLoader {
    /** Default hot-score weights; other actions weigh 0 unless configured. */
    public static final Map<String, Double> HOT_WEIGHTS =
            ordered(
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
                    10.0);

    /** Default user-profile weights; other actions weigh 0 unless configured. */
    public static final Map<String, Double> PROFILE_WEIGHTS =
            ordered("view", 1.0, "like", 3.0, "favorite", 5.0, "purchase", 10.0);

    /** What the metrics part can compute besides its counts. */
    public static final List<String> MEASURES = List.of("ctr", "cvr", "watch-time");

    static final OptionsSchema HOT_WINDOW =
            OptionsSchema.builder()
                    .optional("size", OptionType.DURATION, Duration.ofMinutes(60), "window length")
                    .optional(
                            "slide",
                            OptionType.DURATION,
                            Duration.ofMinutes(15),
                            "how far consecutive windows are apart; divides size")
                    .build();

    static final OptionsSchema METRICS_WINDOW =
            OptionsSchema.builder()
                    .optional(
                            "size",
                            OptionType.DURATION,
                            Duration.ofMinutes(30),
                            "tumbling window length")
                    .build();

    static final OptionsSchema HOT_SCORE =
            OptionsSchema.builder()
                    .optional("enabled", OptionType.BOOLEAN, true, "compute hot items")
                    .optional(
                            "weights",
                            OptionType.mapOf(OptionType.DOUBLE),
                            Map.of(),
                            "weight per action, merged over the defaults")
                    .optional(
                            "decay-lambda",
                            OptionType.DOUBLE,
                            0.1,
                            "exponential decay per hour of age at the window's end")
                    .optional(
                            "window",
                            OptionType.object(HOT_WINDOW),
                            null,
                            "sliding window (default 60m sliding by 15m)")
                    .optional("top-n", OptionType.INT, 100L, "items per ranking")
                    .build();

    static final OptionsSchema USER_PROFILE =
            OptionsSchema.builder()
                    .optional("enabled", OptionType.BOOLEAN, true, "compute user profiles")
                    .optional(
                            "weights",
                            OptionType.mapOf(OptionType.DOUBLE),
                            Map.of(),
                            "weight per action, merged over the defaults")
                    .optional(
                            "interest-half-life",
                            OptionType.DURATION,
                            Duration.ofDays(30),
                            "age at which an event counts half")
                    .optional(
                            "update-interval",
                            OptionType.DURATION,
                            Duration.ofMinutes(5),
                            "profiles are recomputed at the end of each such bucket")
                    .optional("top-categories", OptionType.INT, 20L, "categories per profile")
                    .build();

    static final OptionsSchema METRICS =
            OptionsSchema.builder()
                    .optional("enabled", OptionType.BOOLEAN, true, "compute metrics")
                    .optional(
                            "window",
                            OptionType.object(METRICS_WINDOW),
                            null,
                            "tumbling window (default 30m)")
                    .optional(
                            "measures",
                            OptionType.listOf(new OptionType.OneOf(MEASURES)),
                            MEASURES,
                            "ratios computed besides the counts")
                    .build();

    static final OptionsSchema SCENARIO =
            OptionsSchema.builder()
                    .required("tenant", OptionType.STRING, "tenant id")
                    .required("scenario", OptionType.STRING, "scenario id, e.g. feed")
                    .optional(
                            "enabled",
                            OptionType.BOOLEAN,
                            true,
                            "a disabled scenario computes nothing and its state is released")
                    .optional("hot-score", OptionType.object(HOT_SCORE), null, "item hot scores")
                    .optional(
                            "user-profile",
                            OptionType.object(USER_PROFILE),
                            null,
                            "user interest profiles")
                    .optional("metrics", OptionType.object(METRICS), null, "CTR, CVR, watch time")
                    .build();

    private ScenariosLoader() {}

    /** The scenarios of the document's {@code scenarios} node (null: none). */
    static List<ScenarioSpec> read(Object raw, OptionsBinder binder, Problems problems) {
        List<ScenarioSpec> out = new ArrayList<>();
        if (raw == null) {
            return out;
        }
        if (!(raw instanceof YNode.YSeq seq)) {
            problems.add(
                    ((YNode) raw).pos(),
                    "scenarios",
                    "expected a list of scenarios, found " + ((YNode) raw).kind());
            return out;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < seq.items().size(); i++) {
            YNode node = seq.items().get(i);
            String path = "scenarios[" + i + "]";
            Options o = binder.bind(node, SCENARIO, path);
            ScenarioSpec s = scenario(o, node, binder, problems);
            if (s.tenant() == null || s.scenario() == null) {
                continue;
            }
            Integer first = seen.putIfAbsent(s.key(), i);
            if (first != null) {
                problems.add(
                        o.pos("scenario"),
                        o.path("scenario"),
                        "tenant '"
                                + s.tenant()
                                + "' already has scenario '"
                                + s.scenario()
                                + "' (at scenarios["
                                + first
                                + "])");
            }
            out.add(s);
        }
        return out;
    }

    private static ScenarioSpec scenario(
            Options o, YNode node, OptionsBinder binder, Problems problems) {
        for (String key : List.of("tenant", "scenario")) {
            String v = o.string(key);
            if (v != null
                    && (v.isBlank()
                            || v.indexOf('\u001f') >= 0
                            || v.contains(":")
                            || v.contains("/"))) {
                problems.add(o.pos(key), o.path(key), "must be a non-empty id without ':' or '/'");
            }
        }
        Options hot = part(o, "hot-score", HOT_SCORE, binder);
        Options prof = part(o, "user-profile", USER_PROFILE, binder);
        Options met = part(o, "metrics", METRICS, binder);
        return new ScenarioSpec(
                o.string("tenant"),
                o.string("scenario"),
                o.bool("enabled"),
                hotScore(hot, binder, problems),
                userProfile(prof, problems),
                metrics(met, binder, problems),
                o.pos(),
                RoutesLoader.fingerprint(node));
    }

    /** A part's options; an absent part is all defaults. */
    private static Options part(Options o, String key, OptionsSchema schema, OptionsBinder b) {
        Options p = o.object(key);
        return p != null
                ? p
                : b.bind(new YNode.YMap(o.pos(), new LinkedHashMap<>()), schema, o.path(key));
    }

    private static HotScore hotScore(Options o, OptionsBinder binder, Problems problems) {
        Options w = o.object("window");
        if (w == null) {
            w =
                    binder.bind(
                            new YNode.YMap(o.pos(), new LinkedHashMap<>()),
                            HOT_WINDOW,
                            o.path("window"));
        }
        long size = w.duration("size").toMillis();
        long slide = w.duration("slide").toMillis();
        if (size < 1000) {
            problems.add(w.pos("size"), w.path("size"), "must be at least 1s");
            size = 3_600_000;
        }
        if (slide < 1000 || slide > size || size % slide != 0) {
            problems.add(
                    w.pos("slide"),
                    w.path("slide"),
                    "must be at least 1s and divide the window size ("
                            + Duration.ofMillis(size).toString().substring(2).toLowerCase()
                            + ")");
            slide = size;
        }
        double lambda = o.doubleValue("decay-lambda");
        if (lambda < 0 || lambda > 1000) {
            problems.add(
                    o.pos("decay-lambda"), o.path("decay-lambda"), "must be 0 to 1000 (per hour)");
        }
        long topN = o.longValue("top-n");
        if (topN < 1 || topN > 10_000) {
            problems.add(o.pos("top-n"), o.path("top-n"), "must be 1 to 10000");
            topN = 100;
        }
        return new HotScore(
                o.bool("enabled"),
                weights(o, HOT_WEIGHTS, problems),
                lambda,
                size,
                slide,
                (int) topN);
    }

    private static UserProfile userProfile(Options o, Problems problems) {
        long halfLife = o.duration("interest-half-life").toMillis();
        if (halfLife < 1000) {
            problems.add(
                    o.pos("interest-half-life"),
                    o.path("interest-half-life"),
                    "must be at least 1s");
            halfLife = Duration.ofDays(30).toMillis();
        }
        long interval = o.duration("update-interval").toMillis();
        if (interval < 1000) {
            problems.add(
                    o.pos("update-interval"), o.path("update-interval"), "must be at least 1s");
            interval = 300_000;
        }
        long top = o.longValue("top-categories");
        if (top < 1 || top > 1000) {
            problems.add(o.pos("top-categories"), o.path("top-categories"), "must be 1 to 1000");
            top = 20;
        }
        return new UserProfile(
                o.bool("enabled"),
                weights(o, PROFILE_WEIGHTS, problems),
                halfLife,
                interval,
                (int) top);
    }

    private static Metrics metrics(Options o, OptionsBinder binder, Problems problems) {
        Options w = o.object("window");
        if (w == null) {
            w =
                    binder.bind(
                            new YNode.YMap(o.pos(), new LinkedHashMap<>()),
                            METRICS_WINDOW,
                            o.path("window"));
        }
        long size = w.duration("size").toMillis();
        if (size < 1000) {
            problems.add(w.pos("size"), w.path("size"), "must be at least 1s");
            size = 1_800_000;
        }
        List<String> measures = new ArrayList<>();
        for (Object m : o.<Object>list("measures")) {
            if (m != null && !measures.contains(m)) {
                measures.add((String) m);
            }
        }
        return new Metrics(o.bool("enabled"), size, List.copyOf(measures));
    }

    private static Map<String, Double> weights(
            Options o, Map<String, Double> defaults, Problems problems) {
        Map<String, Double> out = new LinkedHashMap<>(defaults);
        Map<String, Double> given = o.map("weights");
        if (given == null) {
            return out;
        }
        for (Map.Entry<String, Double> e : given.entrySet()) {
            Double w = e.getValue();
            if (w == null) {
                continue;
            }
            if (w < 0 || w > 1e6) {
                problems.add(
                        o.pos("weights"),
                        o.path("weights") + "." + e.getKey(),
                        "must be 0 to 1000000, found " + w);
                continue;
            }
            out.put(e.getKey(), w);
        }
        return out;
    }

    private static Map<String, Double> ordered(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Double) kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
