package io.sluice.spec.options;

import io.sluice.spec.plugin.PluginKind;
import java.util.List;

/**
 * The type of a declared option. One set of declarations drives loading, validation, docs and JSON
 * Schema, so a processor's parameters are data with a known shape.
 */
public interface OptionType {
    /** How the type is named in messages: "expected a duration like 30s, 5m, 1h". */
    String describe();

    record Str() implements OptionType {
        public String describe() {
            return "a string";
        }
    }

    record Int() implements OptionType {
        public String describe() {
            return "a whole number";
        }
    }

    record Dbl() implements OptionType {
        public String describe() {
            return "a number";
        }
    }

    record Bool() implements OptionType {
        public String describe() {
            return "true or false";
        }
    }

    /** A duration written as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h} or {@code 2d}. */
    record Dur() implements OptionType {
        public String describe() {
            return "a duration like 500ms, 30s, 5m, 1h or 2d";
        }
    }

    record OneOf(List<String> values) implements OptionType {
        public String describe() {
            return "one of " + String.join(", ", values);
        }
    }

    /** A CEL expression; its text keeps its position so type errors point into the file. */
    record Expression() implements OptionType {
        public String describe() {
            return "a CEL expression";
        }
    }

    /** A credential: must be a reference such as {@code ${env:DB_PASSWORD}}, never a literal. */
    record Secret() implements OptionType {
        public String describe() {
            return "a secret reference like ${env:NAME}";
        }
    }

    record ListOf(OptionType element) implements OptionType {
        public String describe() {
            return "a list of " + element.describe().replaceFirst("^an? ", "") + " values";
        }
    }

    record Obj(OptionsSchema schema) implements OptionType {
        public String describe() {
            return "a map with keys " + String.join(", ", schema.names());
        }
    }

    /** A map from free-form keys (e.g. client properties) to values of one type. */
    record MapOf(OptionType value) implements OptionType {
        public String describe() {
            return "a map of " + value.describe().replaceFirst("^an? ", "") + " values";
        }
    }

    /**
     * A section the loader binds itself (plugin-specific entries); passed through as YAML. {@code
     * shape} describes what the loader accepts there, for JSON Schema and docs; the binder never
     * reads it (null: not described).
     */
    record Raw(String what, OptionType shape) implements OptionType {
        public Raw(String what) {
            this(what, null);
        }

        public String describe() {
            return what;
        }
    }

    /**
     * Describes a list of plugin entries (sources, sinks, steps): each entry takes the {@code
     * common} keys plus the options of the plugin its {@code selector} key names. Only inside
     * {@link Raw}: the loader binds such entries itself.
     */
    record Plugins(PluginKind kind, String selector, OptionsSchema common) implements OptionType {
        public String describe() {
            return "a list of " + kind.noun() + " entries";
        }
    }

    /**
     * Describes a route's {@code params}: the {@link
     * io.sluice.spec.plugin.ProcessorDescriptor#routeOptions() route options} of the processor its
     * sibling key {@code selector} names. Only inside {@link Raw}.
     */
    record PluginParams(PluginKind kind, String selector) implements OptionType {
        public String describe() {
            return "the options of the " + kind.noun() + " named by '" + selector + "'";
        }
    }

    OptionType STRING = new Str();
    OptionType INT = new Int();
    OptionType DOUBLE = new Dbl();
    OptionType BOOLEAN = new Bool();
    OptionType DURATION = new Dur();
    OptionType EXPRESSION = new Expression();
    OptionType SECRET = new Secret();

    static OptionType oneOf(String... values) {
        return new OneOf(List.of(values));
    }

    static OptionType listOf(OptionType element) {
        return new ListOf(element);
    }

    static OptionType mapOf(OptionType value) {
        return new MapOf(value);
    }

    static OptionType object(OptionsSchema schema) {
        return new Obj(schema);
    }
}
