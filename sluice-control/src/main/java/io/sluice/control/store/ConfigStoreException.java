package io.sluice.control.store;

/**
 * The store itself failed: unreachable, unreadable, or damaged. The message is one line that names
 * the store (without its password) and the cause, fit to show a user as is.
 */
public final class ConfigStoreException extends RuntimeException {
    public ConfigStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public ConfigStoreException(String message) {
        super(message);
    }
}
