package io.sluice.runtime.route;

import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.model.Spec.ScenariosSpec;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.ScenarioSpec;
import java.io.Serializable;
import java.util.List;

/**
 * What the scenario stages share: where the behaviour fields stand in the rows, the schemas of
 * their results, and a task's view of config versions.
 */
public final class Scenarios {
    private Scenarios() {}

    /** Separates tenant, scenario (and user) in the keyed stages' keys. */
    static final char SEP = '\u001f';

    private static Field f(String name, FieldType type, boolean nullable) {
        return new Field(name, type, nullable);
    }

    /** A hot item ranking row: one per item in a window's top N. */
    public static final RowSchema HOT_ITEMS =
            new RowSchema(
                    List.of(
                            f("tenant", FieldType.STRING, false),
                            f("scenario", FieldType.STRING, false),
                            f("window_start", FieldType.TIMESTAMP, false),
                            f("window_end", FieldType.TIMESTAMP, false),
                            f("rank", FieldType.LONG, false),
                            f("item_id", FieldType.STRING, false),
                            f("score", FieldType.DOUBLE, false),
                            f("events", FieldType.LONG, false)));

    /**
     * A window's whole ranking as one record: {@code items} is a JSON array of {@code {rank,
     * item_id, score, events}} in rank order.
     */
    public static final RowSchema RANKINGS =
            new RowSchema(
                    List.of(
                            f("tenant", FieldType.STRING, false),
                            f("scenario", FieldType.STRING, false),
                            f("window_start", FieldType.TIMESTAMP, false),
                            f("window_end", FieldType.TIMESTAMP, false),
                            f("items", FieldType.JSON, false)));

    /** A user profile: the top categories by interest at {@code updated_at}. */
    public static final RowSchema PROFILES =
            new RowSchema(
                    List.of(
                            f("tenant", FieldType.STRING, false),
                            f("scenario", FieldType.STRING, false),
                            f("user_id", FieldType.STRING, false),
                            f("updated_at", FieldType.TIMESTAMP, false),
                            f("events", FieldType.LONG, false),
                            f("categories", FieldType.JSON, false)));

    /** A scenario's metrics over one tumbling window; ratios are null on a zero denominator. */
    public static final RowSchema METRICS =
            new RowSchema(
                    List.of(
                            f("tenant", FieldType.STRING, false),
                            f("scenario", FieldType.STRING, false),
                            f("window_start", FieldType.TIMESTAMP, false),
                            f("window_end", FieldType.TIMESTAMP, false),
                            f("events", FieldType.LONG, false),
                            f("impressions", FieldType.LONG, false),
                            f("views", FieldType.LONG, false),
                            f("clicks", FieldType.LONG, false),
                            f("purchases", FieldType.LONG, false),
                            f("ctr", FieldType.DOUBLE, true),
                            f("cvr", FieldType.DOUBLE, true),
                            f("avg_watch_time", FieldType.DOUBLE, true)));

    /** Where each behaviour field stands in the rows (watch time: -1 when there is none). */
    public record Fields(
            int tenant, int scenario, int user, int item, int category, int action, int watchTime)
            implements Serializable {
        public static Fields of(ScenariosSpec s) {
            RowSchema in = s.input();
            return new Fields(
                    in.indexOf(s.tenantField()),
                    in.indexOf(s.scenarioField()),
                    in.indexOf(s.userField()),
                    in.indexOf(s.itemField()),
                    in.indexOf(s.categoryField()),
                    in.indexOf(s.actionField()),
                    s.watchTimeField() == null ? -1 : in.indexOf(s.watchTimeField()));
        }

        String string(EventRow row, int index) {
            return index < 0 ? null : (String) row.get(index);
        }
    }

    /**
     * A task's config versions for the keyed scenario stages: a version stamped on an event is
     * taken from the task's cache or read from the store. The newest version is looked up in the
     * store at most once a second, on timers, so a disabled scenario's state is released even
     * though its events stop.
     */
    static final class Versions {
        private final RouteTables tables;
        private final StoreVersions store;
        private final long checkEvery;
        private long checkedAt;

        /** The newest version met on a stamped event, when newer than the tables' latest. */
        private RouteTables.Compiled newestStamped;

        Versions(RouteCatalog catalog, StoreVersions store, int keep, String prefix) {
            this(catalog, store, keep, prefix, 1000);
        }

        Versions(
                RouteCatalog catalog,
                StoreVersions store,
                int keep,
                String prefix,
                long checkEveryMillis) {
            this.store = store;
            this.tables = new RouteTables(catalog, store, keep, prefix);
            this.checkEvery = checkEveryMillis;
        }

        void open() {
            tables.bootstrap();
        }

        /** The scenario as of {@code version}, or null (no such version or scenario). */
        ScenarioSpec at(long version, String key) throws Exception {
            RouteTables.Compiled c = tables.get(version, null);
            if (c != null
                    && c.version() > tables.latest().version()
                    && (newestStamped == null || c.version() > newestStamped.version())) {
                newestStamped = c;
            }
            return c == null ? null : c.table.scenario(key);
        }

        /**
         * The newest version this task knows of, refreshed from the store at most once a second.
         */
        RouteTables.Compiled latest() {
            long now = System.currentTimeMillis();
            if (now - checkedAt >= checkEvery) {
                checkedAt = now;
                try {
                    long newest = store.latest();
                    if (newest > tables.latest().version()) {
                        store.version(newest).ifPresent(u -> tables.offer(u.version, u.text));
                    }
                } catch (RuntimeException e) {
                    // the store is unreachable: keep what this task knows
                }
            }
            RouteTables.Compiled latest = tables.latest();
            return newestStamped != null && newestStamped.version() > latest.version()
                    ? newestStamped
                    : latest;
        }

        void close() {
            store.close();
        }
    }

    static String tenant(String key) {
        return key.substring(0, key.indexOf(SEP));
    }

    static String scenario(String key) {
        int a = key.indexOf(SEP);
        int b = key.indexOf(SEP, a + 1);
        return b < 0 ? key.substring(a + 1) : key.substring(a + 1, b);
    }

    static String user(String key) {
        return key.substring(key.lastIndexOf(SEP) + 1);
    }
}
