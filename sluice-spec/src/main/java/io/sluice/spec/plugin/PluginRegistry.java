package io.sluice.spec.plugin;

import io.sluice.spec.problem.Suggest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The plugins on the class path, by kind and identifier. */
public final class PluginRegistry {
    private final Map<PluginKind, Map<String, PluginDescriptor>> byKind =
            new EnumMap<>(PluginKind.class);

    public PluginRegistry(Iterable<? extends PluginDescriptor> plugins) {
        for (PluginKind k : PluginKind.values()) {
            byKind.put(k, new TreeMap<>());
        }
        List<String> clashes = new ArrayList<>();
        for (PluginDescriptor p : plugins) {
            PluginDescriptor old = byKind.get(p.kind()).put(p.identifier(), p);
            if (old != null) {
                clashes.add(
                        p.kind().noun()
                                + " '"
                                + p.identifier()
                                + "': "
                                + old.getClass().getName()
                                + " and "
                                + p.getClass().getName());
            }
        }
        if (!clashes.isEmpty()) {
            throw new IllegalStateException(
                    "several plugins claim the same identifier: " + String.join("; ", clashes));
        }
    }

    /** Every plugin found with {@link ServiceLoader} on this class loader. */
    public static PluginRegistry load() {
        return new PluginRegistry(
                ServiceLoader.load(PluginDescriptor.class, PluginRegistry.class.getClassLoader()));
    }

    public PluginDescriptor find(PluginKind kind, String identifier) {
        return byKind.get(kind).get(identifier);
    }

    /** The identifiers of a kind's listed plugins (see {@link PluginDescriptor#listed()}). */
    public List<String> identifiers(PluginKind kind) {
        return byKind.get(kind).values().stream()
                .filter(PluginDescriptor::listed)
                .map(PluginDescriptor::identifier)
                .toList();
    }

    public List<PluginDescriptor> all(PluginKind kind) {
        return List.copyOf(byKind.get(kind).values());
    }

    /** "unknown processor 'fitler' (known: derive, filter, ...); did you mean 'filter'?" */
    public String unknownMessage(PluginKind kind, String identifier) {
        return Suggest.unknown(kind.noun(), identifier, identifiers(kind));
    }
}
