package io.sluice.control.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ConfigStore} guarantees. Subclasses say where a fresh, empty store lives; each
 * test opens its stores there through {@link ConfigStores#open}.
 */
abstract class ConfigStoreContract {
    static final String AUTHOR = "ann";

    final BannedWords validator = new BannedWords();
    private final List<ConfigStore> opened = new ArrayList<>();
    private StoreLocation location;

    /** Where a new, empty store can be opened. Called once per test. */
    abstract StoreLocation freshLocation();

    /** A new instance on this test's store (the first call creates it). */
    ConfigStore open() {
        ConfigStore store = ConfigStores.open(location(), validator);
        opened.add(store);
        return store;
    }

    /** This test's store location; the first call makes it, without opening a store. */
    StoreLocation location() {
        if (location == null) {
            location = freshLocation();
        }
        return location;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(ConfigStore::close);
    }

    @Test
    void anEmptyStoreHasNothing() {
        ConfigStore store = open();
        assertThat(store.latest()).isZero();
        assertThat(store.current()).isEmpty();
        assertThat(store.version(1)).isEmpty();
        assertThat(store.version(0)).isEmpty();
        assertThat(store.history(10)).isEmpty();
        assertThat(store.auditLog(10)).isEmpty();
        assertThat(store.diff(0, 0)).isEqualTo("--- version 0\n+++ version 0\n");
    }

    @Test
    void commitsAreNumberedFromOneAndReadBackAsCommitted() {
        ConfigStore store = open();
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        ConfigVersion v1 = store.commit("routes: []\n", 0, AUTHOR, "first");
        ConfigVersion v2 = store.commit("routes:\n  - id: zürich 🚕\n", 1, "bob", "");
        ConfigVersion v3 = store.commit("routes:\n  - id: a\n", 2, AUTHOR, "third\nline");
        Instant after = Instant.now();

        assertThat(List.of(v1.number(), v2.number(), v3.number())).containsExactly(1L, 2L, 3L);
        assertThat(v2.author()).isEqualTo("bob");
        assertThat(v2.text()).isEqualTo("routes:\n  - id: zürich 🚕\n");
        assertThat(v2.sha256()).isEqualTo(sha256("routes:\n  - id: zürich 🚕\n"));
        assertThat(v3.comment()).isEqualTo("third\nline");
        assertThat(List.of(v1, v2, v3))
                .allSatisfy(v -> assertThat(v.time()).isBetween(before, after));
        assertThat(v1.time()).isBeforeOrEqualTo(v2.time());

        assertThat(store.latest()).isEqualTo(3);
        assertThat(store.current()).contains(v3);
        assertThat(store.version(1)).contains(v1);
        assertThat(store.version(2)).contains(v2);
        assertThat(store.version(4)).isEmpty();
        assertThat(store.history(10)).containsExactly(v3, v2, v1);
        assertThat(store.history(2)).containsExactly(v3, v2);
        assertThat(store.history(0)).isEmpty();
    }

    @Test
    void theSameTextAgainIsANewVersion() {
        ConfigStore store = open();
        ConfigVersion v1 = store.commit("a: 1\n", 0, AUTHOR, "");
        ConfigVersion v2 = store.commit("a: 1\n", 1, AUTHOR, "confirmed");

        assertThat(v2.number()).isEqualTo(2);
        assertThat(v2.sha256()).isEqualTo(v1.sha256());
        assertThat(store.latest()).isEqualTo(2);
    }

    @Test
    void aRejectedDocumentLeavesNothingBehindAndCarriesEveryProblem() {
        ConfigStore store = open();
        ConfigVersion v1 = store.commit("good: 1\n", 0, AUTHOR, "");

        assertThatThrownBy(() -> store.commit("BAD: 1\nok: 2\nx: BAD\n", 1, AUTHOR, "bad"))
                .isInstanceOfSatisfying(
                        RejectedException.class,
                        e -> {
                            assertThat(e.problems()).isSameAs(validator.lastReturned);
                            assertThat(e.getMessage())
                                    .isEqualTo(
                                            "2 problems:\n"
                                                    + "routes.yaml:1:1: 'BAD' is not allowed\n"
                                                    + "routes.yaml:3:4: 'BAD' is not allowed");
                        });

        assertThat(store.latest()).isEqualTo(1);
        assertThat(store.current()).contains(v1);
        assertThat(store.history(10)).containsExactly(v1);
        assertThat(open().latest()).isEqualTo(1);
        // the number was not used up
        assertThat(store.commit("good: 2\n", 1, AUTHOR, "").number()).isEqualTo(2);
    }

    @Test
    void aStaleExpectedVersionConflictsAndWritesNothing() {
        ConfigStore store = open();
        ConfigVersion v1 = store.commit("a: 1\n", 0, AUTHOR, "");

        assertThatThrownBy(() -> store.commit("a: 2\n", 0, "bob", ""))
                .isInstanceOfSatisfying(
                        ConflictException.class,
                        e -> {
                            assertThat(e.expected()).isZero();
                            assertThat(e.actual()).isEqualTo(1);
                            assertThat(e.getMessage())
                                    .isEqualTo(
                                            "the config changed meanwhile: expected version 0 to"
                                                    + " be current, but the store is at version 1;"
                                                    + " reload and retry");
                        });
        assertThatThrownBy(() -> store.commit("a: 2\n", 7, "bob", ""))
                .isInstanceOfSatisfying(
                        ConflictException.class, e -> assertThat(e.actual()).isEqualTo(1));

        assertThat(store.latest()).isEqualTo(1);
        assertThat(store.history(10)).containsExactly(v1);
    }

    @Test
    void invalidArgumentsAreRefusedBeforeAnythingIsWritten() {
        ConfigStore store = open();
        assertThatThrownBy(() -> store.commit("a: 1\n", 0, " ", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("author is required");
        assertThatThrownBy(() -> store.commit("a: 1\n", -1, AUTHOR, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.commit("a: 1\n", 0, "x".repeat(256), ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.history(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.latest()).isZero();
        assertThat(store.commit("a: 1\n", 0, "x".repeat(255), null).comment()).isEmpty();
    }

    @Test
    void ofWritersWithTheSameExpectedVersionExactlyOneWins() throws Exception {
        int writers = 8;
        int rounds = 10;
        ConfigStore[] stores = {open(), open()}; // two instances: two pools, two lock holders
        CyclicBarrier start = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            for (int round = 0; round < rounds; round++) {
                long expected = round;
                List<Future<Object>> outcomes = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    ConfigStore store = stores[w % 2];
                    String text = "round: " + round + "\nwriter: " + w + "\n";
                    outcomes.add(
                            pool.submit(
                                    () -> {
                                        start.await(30, TimeUnit.SECONDS);
                                        try {
                                            return store.commit(text, expected, "w", "");
                                        } catch (ConflictException e) {
                                            return e;
                                        }
                                    }));
                }
                List<ConfigVersion> won = new ArrayList<>();
                for (Future<Object> f : outcomes) {
                    Object outcome = f.get(60, TimeUnit.SECONDS);
                    if (outcome instanceof ConfigVersion v) {
                        won.add(v);
                    } else {
                        assertThat(((ConflictException) outcome).actual()).isEqualTo(expected + 1);
                    }
                }
                assertThat(won).hasSize(1);
                assertThat(won.get(0).number()).isEqualTo(expected + 1);
                assertThat(stores[0].current()).contains(won.get(0));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(stores[1].latest()).isEqualTo(rounds);
    }

    @Test
    void concurrentWritersRetryingOnConflictsLoseNothing() throws Exception {
        int writers = 8;
        int commitsEach = 20;
        ConfigStore[] stores = {open(), open()};
        Map<Long, String> written = new ConcurrentHashMap<>();
        AtomicInteger conflicts = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                ConfigStore store = stores[w % 2];
                int writer = w;
                done.add(
                        pool.submit(
                                () -> {
                                    for (int i = 0; i < commitsEach; ) {
                                        String text = "writer: " + writer + "\ncommit: " + i + "\n";
                                        try {
                                            ConfigVersion v =
                                                    store.commit(
                                                            text, store.latest(), "w" + writer, "");
                                            assertThat(written.put(v.number(), text)).isNull();
                                            i++;
                                        } catch (ConflictException e) {
                                            conflicts.incrementAndGet();
                                        }
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        long total = (long) writers * commitsEach;
        assertThat(stores[0].latest()).isEqualTo(total);
        assertThat(written.keySet()).hasSize((int) total);
        List<ConfigVersion> history = open().history((int) total + 10);
        assertThat(history).hasSize((int) total);
        for (ConfigVersion v : history) {
            assertThat(v.text()).isEqualTo(written.get(v.number()));
            assertThat(v.author()).isEqualTo("w" + v.text().split("\n")[0].substring(8));
        }
        assertThat(history.stream().map(ConfigVersion::number))
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.rangeClosed(1, total)
                                .map(n -> total + 1 - n)
                                .boxed()
                                .toList());
    }

    @Test
    void rollbackMakesANewVersionWithTheOldText() {
        ConfigStore store = open();
        store.commit("limit: 1\n", 0, AUTHOR, "");
        store.commit("limit: 2\n", 1, AUTHOR, "");

        ConfigVersion v3 = store.rollback(1, 2, "bob", null);
        assertThat(v3.number()).isEqualTo(3);
        assertThat(v3.text()).isEqualTo("limit: 1\n");
        assertThat(v3.author()).isEqualTo("bob");
        assertThat(v3.comment()).isEqualTo("rollback to version 1");
        assertThat(store.current()).contains(v3);

        ConfigVersion v4 = store.rollback(2, 3, "bob", "the fix was right after all");
        assertThat(v4.text()).isEqualTo("limit: 2\n");
        assertThat(v4.comment()).isEqualTo("the fix was right after all");

        assertThatThrownBy(() -> store.rollback(9, 4, "bob", null))
                .isInstanceOf(NoSuchVersionException.class)
                .hasMessage("there is no config version 9 (versions are 1 to 4)");
        assertThatThrownBy(() -> store.rollback(1, 3, "bob", null))
                .isInstanceOf(ConflictException.class);
        assertThat(store.latest()).isEqualTo(4);
    }

    @Test
    void rollbackValidatesTheOldTextAgain() {
        ConfigStore store = open();
        store.commit("mode: legacy\n", 0, AUTHOR, "");
        store.commit("mode: new\n", 1, AUTHOR, "");
        validator.banned.add("legacy");

        assertThatThrownBy(() -> store.rollback(1, 2, AUTHOR, null))
                .isInstanceOf(RejectedException.class)
                .hasMessage("1 problem:\nroutes.yaml:1:7: 'legacy' is not allowed");
        assertThat(store.latest()).isEqualTo(2);
    }

    /** Expected outputs are GNU diffutils' {@code diff -U3} of the same texts. */
    @Test
    void diffIsUnifiedWithThreeLinesOfContext() {
        ConfigStore store = open();
        store.commit("a\nb\nc\nd\ne\nf\ng\nh\n", 0, AUTHOR, "");
        store.commit("a\nb\nc\nD\ne\nf\ng\nh\ni\n", 1, AUTHOR, "");
        store.commit("a\nB\nc\nD\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\nO\np\n", 2, AUTHOR, "");

        assertThat(store.diff(1, 2))
                .isEqualTo(
                        """
                        --- version 1
                        +++ version 2
                        @@ -1,8 +1,9 @@
                         a
                         b
                         c
                        -d
                        +D
                         e
                         f
                         g
                         h
                        +i
                        """);
        // changes more than 2 x 3 lines apart: two hunks
        assertThat(store.diff(2, 3))
                .isEqualTo(
                        """
                        --- version 2
                        +++ version 3
                        @@ -1,5 +1,5 @@
                         a
                        -b
                        +B
                         c
                         D
                         e
                        @@ -7,3 +7,10 @@
                         g
                         h
                         i
                        +j
                        +k
                        +l
                        +m
                        +n
                        +O
                        +p
                        """);
        assertThat(store.diff(3, 1))
                .isEqualTo(
                        """
                        --- version 3
                        +++ version 1
                        @@ -1,16 +1,8 @@
                         a
                        -B
                        +b
                         c
                        -D
                        +d
                         e
                         f
                         g
                         h
                        -i
                        -j
                        -k
                        -l
                        -m
                        -n
                        -O
                        -p
                        """);
        assertThat(store.diff(0, 1))
                .isEqualTo(
                        "--- version 0\n+++ version 1\n@@ -0,0 +1,8 @@\n"
                                + "+a\n+b\n+c\n+d\n+e\n+f\n+g\n+h\n");
        assertThat(store.diff(2, 2)).isEqualTo("--- version 2\n+++ version 2\n");
        assertThatThrownBy(() -> store.diff(1, 4)).isInstanceOf(NoSuchVersionException.class);
    }

    @Test
    void auditEntriesReadBackNewestFirst() {
        ConfigStore store = open();
        AuditEntry a =
                new AuditEntry(
                        Instant.parse("2024-05-01T10:00:00.123Z"),
                        "ann",
                        "rollback",
                        "routes.yaml",
                        "to version 3");
        AuditEntry b =
                new AuditEntry(
                        Instant.parse("2024-05-01T10:00:01Z"), "bob", "reject", "routes.yaml", "");
        AuditEntry c = AuditEntry.now("zoë", "login", "", "from 10.0.0.1\nvia the admin API");
        store.audit(a);
        store.audit(b);
        store.audit(c);

        assertThat(store.auditLog(10)).containsExactly(c, b, a);
        assertThat(store.auditLog(2)).containsExactly(c, b);
        assertThat(store.auditLog(0)).isEmpty();
        assertThatThrownBy(() -> store.audit(AuditEntry.now("", "x", "", "")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNewInstanceSeesEverything() {
        ConfigStore first = open();
        List<ConfigVersion> committed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            committed.add(0, first.commit("n: " + i + "\n", i, AUTHOR, "c" + i));
        }
        AuditEntry entry = AuditEntry.now("ann", "commit", "routes.yaml", "three versions");
        first.audit(entry);
        first.close();

        ConfigStore second = open();
        assertThat(second.latest()).isEqualTo(3);
        assertThat(second.history(10)).containsExactlyElementsOf(committed);
        assertThat(second.auditLog(10)).containsExactly(entry);
        assertThat(second.commit("n: 3\n", 3, AUTHOR, "").number()).isEqualTo(4);
    }

    @Test
    void otherInstancesSeeACommitAtOnce() {
        ConfigStore writer = open();
        ConfigStore reader = open();
        assertThat(reader.latest()).isZero();
        ConfigVersion v1 = writer.commit("a: 1\n", 0, AUTHOR, "");
        assertThat(reader.latest()).isEqualTo(1);
        assertThat(reader.current()).contains(v1);
        assertThatThrownBy(() -> reader.commit("a: 2\n", 0, AUTHOR, ""))
                .isInstanceOf(ConflictException.class);
    }

    static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(UTF_8)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
