package io.sluice.spec.plugin;

/** What a plugin plugs into. */
public enum PluginKind {
    SOURCE("source type"),
    PROCESSOR("processor"),
    SINK("sink type");

    private final String noun;

    PluginKind(String noun) {
        this.noun = noun;
    }

    /** How users call it in messages: "unknown processor 'fitler'". */
    public String noun() {
        return noun;
    }
}
