package io.sluice.runtime.route;

import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigVersion;
import io.sluice.control.store.FileConfigStore;
import io.sluice.control.store.RejectedException;
import io.sluice.control.store.StoreLocation;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.io.Serializable;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's read access to the config store: the current version at start, any version by number
 * (for rows stamped with one the task has not seen yet), and new versions for the control source.
 * Opened lazily in the task, so only the location travels with the job.
 */
public final class StoreVersions implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StoreVersions.class);

    private final StoreLocation location;
    private final RouteCatalog catalog;
    private final boolean keepOpen;
    private transient ConfigStore store;

    public StoreVersions(StoreLocation location, RouteCatalog catalog) {
        this(location, catalog, true);
    }

    private StoreVersions(StoreLocation location, RouteCatalog catalog, boolean keepOpen) {
        this.location = location;
        this.catalog = catalog;
        this.keepOpen = keepOpen;
    }

    /**
     * The same store for the routing tasks, which read it only at start and for a version they have
     * not received: it is closed after each read, so a job holds one connection (the control
     * source's) rather than one per task.
     */
    public StoreVersions forTasks() {
        return new StoreVersions(location, catalog, false);
    }

    public StoreLocation location() {
        return location;
    }

    private ConfigStore store() {
        if (store == null) {
            RoutesLoader loader = new RoutesLoader(PluginRegistry.load());
            store =
                    ConfigStores.open(
                            location, (file, text) -> loader.validate(file, text, catalog));
        }
        return store;
    }

    public long latest() {
        return store().latest();
    }

    public Optional<ConfigUpdate> current() {
        try {
            return store().current().map(StoreVersions::update);
        } finally {
            release();
        }
    }

    public Optional<ConfigUpdate> version(long number) {
        try {
            return store().version(number).map(StoreVersions::update);
        } finally {
            release();
        }
    }

    private void release() {
        if (!keepOpen) {
            close();
        }
    }

    /**
     * For a file store, turns a hand edit of its routes file into a new version; an edit with
     * problems is logged once and changes nothing.
     */
    public void importEdits() {
        if (store() instanceof FileConfigStore f) {
            try {
                f.importEdits();
            } catch (RejectedException e) {
                LOG.error(
                        "the edited routes file was rejected, the running config stays: {}",
                        e.getMessage());
            }
        }
    }

    public String describe() {
        return location.redactedUri();
    }

    private static ConfigUpdate update(ConfigVersion v) {
        return new ConfigUpdate(v.number(), v.text(), v.author(), v.time().toEpochMilli());
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
