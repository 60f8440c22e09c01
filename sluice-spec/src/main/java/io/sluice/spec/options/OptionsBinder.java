package io.sluice.spec.options;

import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.yaml.Pos;
import io.sluice.spec.yaml.YNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Binds a YAML map to an {@link OptionsSchema}: unknown and missing keys, wrong types and bad
 * values all become located problems; every problem is collected, none stops the walk.
 */
public final class OptionsBinder {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private final Problems problems;
    private final Function<String, String> env;

    public OptionsBinder(Problems problems, Function<String, String> env) {
        this.problems = problems;
        this.env = env;
    }

    public OptionsBinder(Problems problems) {
        this(problems, System::getenv);
    }

    /** Binds {@code node}, which must be a map; returns the options bound (possibly partial). */
    public Options bind(YNode node, OptionsSchema schema, String path) {
        if (!(node instanceof YNode.YMap map)) {
            problems.add(node.pos(), path, "expected a map, found " + node.kind());
            // later checks see the defaults, not a crash: the problem above rejects the spec
            Map<String, Options.Value> defaults = new LinkedHashMap<>();
            for (OptionDef def : schema.options()) {
                defaults.put(def.name(), new Options.Value(def.defaultValue(), node.pos()));
            }
            return new Options(path, node.pos(), defaults);
        }
        Map<String, Options.Value> values = new LinkedHashMap<>();
        Map<String, List<Pos>> itemPositions = new LinkedHashMap<>();
        for (YNode.YMap.Entry e : map.entries().values()) {
            if (schema.get(e.key()) == null) {
                problems.add(
                        e.keyPos(),
                        join(path, e.key()),
                        Suggest.unknown("key", e.key(), schema.names()));
            }
        }
        for (OptionDef def : schema.options()) {
            YNode.YMap.Entry e = map.entries().get(def.name());
            String childPath = join(path, def.name());
            if (e == null || (e.value() instanceof YNode.YScalar s && s.isNull())) {
                if (def.required()) {
                    problems.add(
                            e == null ? map.pos() : e.keyPos(),
                            childPath,
                            "missing required key '"
                                    + def.name()
                                    + "' ("
                                    + def.type().describe()
                                    + ")");
                } else {
                    values.put(def.name(), new Options.Value(def.defaultValue(), map.pos()));
                }
                continue;
            }
            Object v = convert(e.value(), def.type(), childPath);
            if (v == null && !def.required()) {
                v = def.defaultValue(); // reported above; keep later checks on sane values
            }
            values.put(def.name(), new Options.Value(v, e.value().pos()));
            if (e.value() instanceof YNode.YSeq seq) {
                itemPositions.put(def.name(), seq.items().stream().map(YNode::pos).toList());
            }
        }
        return new Options(path, map.pos(), values, itemPositions);
    }

    private Object convert(YNode node, OptionType type, String path) {
        if (type instanceof OptionType.ListOf list) {
            if (!(node instanceof YNode.YSeq seq)) {
                problems.add(
                        node.pos(), path, "expected " + type.describe() + ", found " + node.kind());
                return null;
            }
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < seq.items().size(); i++) {
                out.add(convert(seq.items().get(i), list.element(), path + "[" + i + "]"));
            }
            return out;
        }
        if (type instanceof OptionType.MapOf map) {
            if (!(node instanceof YNode.YMap m)) {
                problems.add(
                        node.pos(), path, "expected " + type.describe() + ", found " + node.kind());
                return null;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (YNode.YMap.Entry e : m.entries().values()) {
                out.put(e.key(), convert(e.value(), map.value(), join(path, e.key())));
            }
            return out;
        }
        if (type instanceof OptionType.Raw) {
            return node;
        }
        if (type instanceof OptionType.Obj obj) {
            return bind(node, obj.schema(), path);
        }
        if (!(node instanceof YNode.YScalar s) || s.isNull()) {
            problems.add(
                    node.pos(), path, "expected " + type.describe() + ", found " + node.kind());
            return null;
        }
        String text = s.value();
        Pos pos = s.pos();
        try {
            if (type instanceof OptionType.Str) {
                return resolveEnv(text, pos, path);
            } else if (type instanceof OptionType.Secret) {
                return secret(text, pos, path);
            } else if (type instanceof OptionType.Int) {
                return Long.parseLong(text.replace("_", ""));
            } else if (type instanceof OptionType.Dbl) {
                return finite(Double.parseDouble(text), text);
            } else if (type instanceof OptionType.Bool) {
                return bool(text);
            } else if (type instanceof OptionType.Dur) {
                return duration(text);
            } else if (type instanceof OptionType.OneOf t) {
                return oneOf(text, t, pos, path);
            } else if (type instanceof OptionType.Expression) {
                return new Expr(text, s.contentPos());
            }
            throw new IllegalStateException("unhandled option type " + type);
        } catch (IllegalArgumentException e) {
            String why =
                    e instanceof NumberFormatException || e.getMessage() == null
                            ? ""
                            : " (" + e.getMessage() + ")";
            problems.add(pos, path, "expected " + type.describe() + ", found '" + text + "'" + why);
            return null;
        }
    }

    private static double finite(double d, String text) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("must be a finite number");
        }
        return d;
    }

    private static boolean bool(String text) {
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException((String) null);
        };
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}. */
    public static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException((String) null);
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
            if (n > 365L * 24 * 3600 * 1000 * 1000) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("too long");
        }
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private String oneOf(String text, OptionType.OneOf t, Pos pos, String path) {
        if (!t.values().contains(text)) {
            problems.add(pos, path, Suggest.unknown("value", text, t.values()));
            return null;
        }
        return text;
    }

    private String secret(String text, Pos pos, String path) {
        if (!ENV_REF.matcher(text).matches()) {
            problems.add(
                    pos,
                    path,
                    "secrets must be references like ${env:NAME}, never literals: put the value in an"
                            + " environment variable and write ${env:THAT_NAME} here");
            return null;
        }
        return resolveEnv(text, pos, path);
    }

    private String resolveEnv(String text, Pos pos, String path) {
        Matcher m = ENV_REF.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null) {
                problems.add(pos, path, "environment variable " + m.group(1) + " is not set");
                value = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
