package io.sluice.spec.options;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The declared options of a plugin or of a spec section. */
public record OptionsSchema(List<OptionDef> options) {
    public OptionsSchema {
        options = List.copyOf(options);
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<String> names() {
        return options.stream().map(OptionDef::name).toList();
    }

    public OptionDef get(String name) {
        for (OptionDef d : options) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * This schema plus another's options (a spec entry's common keys plus its plugin's options).
     */
    public OptionsSchema plus(OptionsSchema other) {
        Map<String, OptionDef> all = new LinkedHashMap<>();
        options.forEach(d -> all.put(d.name(), d));
        other.options.forEach(d -> all.putIfAbsent(d.name(), d));
        return new OptionsSchema(new ArrayList<>(all.values()));
    }

    /** This schema without the named option (e.g. a processor's key, which a route sets). */
    public OptionsSchema minus(String name) {
        return new OptionsSchema(options.stream().filter(d -> !d.name().equals(name)).toList());
    }

    public static final class Builder {
        private final List<OptionDef> options = new ArrayList<>();

        public Builder required(String name, OptionType type, String description) {
            options.add(new OptionDef(name, type, true, null, description));
            return this;
        }

        public Builder optional(
                String name, OptionType type, Object defaultValue, String description) {
            options.add(new OptionDef(name, type, false, defaultValue, description));
            return this;
        }

        public OptionsSchema build() {
            return new OptionsSchema(options);
        }
    }
}
