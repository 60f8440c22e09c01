package io.sluice.control.store;

/** Opens the store a {@link StoreLocation} names. */
public final class ConfigStores {
    /**
     * The name the live config document goes by: the file of a file store, and the file name in the
     * validator's problems for every store.
     */
    public static final String DOCUMENT = "routes.yaml";

    private ConfigStores() {}

    /**
     * Opens (creating when missing) the store at {@code location}: a directory for {@code file:}
     * locations and plain paths, a database for {@code jdbc:} URLs, whose tables are created or
     * migrated on the way.
     *
     * @throws ConfigStoreException the store cannot be reached or read; the message is one line
     *     naming the location and the cause
     */
    public static ConfigStore open(StoreLocation location, ConfigValidator validator) {
        return switch (location.kind()) {
            case FILE -> FileConfigStore.open(location.directory(), validator);
            case MARIADB, POSTGRESQL -> JdbcConfigStore.open(location, validator);
        };
    }
}
