package io.sluice.spec.options;

/** One declared option: name (kebab-case), type, whether required, default, and what it means. */
public record OptionDef(
        String name, OptionType type, boolean required, Object defaultValue, String description) {}
