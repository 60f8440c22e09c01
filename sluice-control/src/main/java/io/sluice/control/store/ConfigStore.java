package io.sluice.control.store;

import java.util.List;
import java.util.Optional;

/**
 * A versioned store for the live config document (the routing table, one YAML text).
 *
 * <p>Guarantees, for every implementation:
 *
 * <ul>
 *   <li>Every change is a new immutable {@link ConfigVersion}; numbers start at 1, grow by exactly
 *       one per commit, have no gaps and are never reused.
 *   <li>A document is validated inside {@link #commit}; one with problems is never stored.
 *   <li>Commits are optimistic: they name the version they are based on ({@code expected}), and of
 *       several writers with the same {@code expected} at most one succeeds, across threads,
 *       processes and machines sharing the store. The others get a {@link ConflictException}.
 *   <li>A reader never sees half a version, and a new instance opened on the same location sees
 *       everything committed before.
 * </ul>
 *
 * <p>Committing the same text as the current version is allowed and makes a new version: the
 * history then shows that someone confirmed it. Instances are safe to use from several threads.
 * Open one with {@link ConfigStores#open}.
 */
public interface ConfigStore extends AutoCloseable {

    /**
     * Where the store is, e.g. {@code file:/abs/dir} or {@code jdbc:mariadb://host:3306/db}; never
     * a password.
     */
    String describe();

    /**
     * The number of the current version, 0 when the store is empty. Cheap: pollers call it every
     * ~50 ms.
     */
    long latest();

    /** The current version, empty when the store is empty. */
    Optional<ConfigVersion> current();

    /** Version {@code number}, empty when there is no such version. */
    Optional<ConfigVersion> version(long number);

    /** Up to {@code limit} versions, newest first. */
    List<ConfigVersion> history(int limit);

    /**
     * Validates {@code text} with the store's validator, then stores it as version {@code expected
     * + 1} if version {@code expected} is current (0 = the store is empty).
     *
     * @throws RejectedException the validator found problems; nothing was written
     * @throws ConflictException another version became current first; nothing was written
     */
    ConfigVersion commit(String text, long expected, String author, String comment);

    /**
     * A new version whose text equals version {@code to}'s, validated again (the validator may have
     * become stricter since). The comment defaults to "rollback to version N" when null or blank.
     *
     * @throws NoSuchVersionException there is no version {@code to}
     * @throws RejectedException the old text no longer passes validation
     * @throws ConflictException version {@code expected} is no longer current
     */
    ConfigVersion rollback(long to, long expected, String author, String comment);

    /**
     * A unified diff (3 lines of context) from version {@code a} to version {@code b}, headed
     * {@code --- version a} and {@code +++ version b}. Version 0 stands for the empty document, so
     * {@code diff(0, 1)} shows the first version as added lines. Only the headers when the texts
     * are equal.
     *
     * @throws NoSuchVersionException either version does not exist
     */
    String diff(long a, long b);

    /** Appends an entry to the audit log. */
    void audit(AuditEntry e);

    /** Up to {@code limit} audit entries, newest first. */
    List<AuditEntry> auditLog(int limit);

    /** Releases connections and locks; the stored data stays. */
    @Override
    void close();
}
