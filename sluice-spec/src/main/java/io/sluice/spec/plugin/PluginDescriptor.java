package io.sluice.spec.plugin;

import io.sluice.spec.options.OptionsSchema;

/**
 * A plugin's declaration: identifier, description and typed options, with no Flink in sight. The
 * runtime's implementations are found with {@link java.util.ServiceLoader} under this interface;
 * the validator, docs and schemas read these declarations, and config never names a class.
 */
public interface PluginDescriptor {
    PluginKind kind();

    String identifier();

    String description();

    OptionsSchema options();

    /**
     * Whether messages listing the known plugins name this one; a plugin for tests only says no, so
     * what users see does not depend on what a test put on the classpath.
     */
    default boolean listed() {
        return true;
    }
}
