package io.sluice.bench;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.sql.FlinkSqlRunner;
import io.sluice.sql.SqlRenderer;
import io.sluice.sql.SqlScript;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;

/**
 * The taxi pipeline (validation, features, plausible speed, per-area sliding windows) on one CSV
 * file, run as Sluice's DataStream job and as the Flink SQL script {@code sluice render sql} makes
 * of the same spec, in alternating order, each on a fresh embedded Flink. The spec leaves out what
 * SQL cannot express (the z-score step, the late-row output), so both do the same work; Sluice
 * still writes its dead letters. Each run's outputs are counted: equal counts or the run fails.
 *
 * <pre>sluice-bench/run-sql [--rows=1000000] [--runs=3] [--parallelism=2]</pre>
 */
public final class SqlBenchmark {
    private SqlBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("rows", "1000000");
        v.put("runs", "3");
        v.put("parallelism", "2");
        v.put("report", "sluice-bench/target/sql-benchmark.md");
        Args.parse(args, v, null);
        int rows = Integer.parseInt(v.get("rows").replace("_", ""));
        int runs = Integer.parseInt(v.get("runs"));
        int parallelism = Integer.parseInt(v.get("parallelism"));

        Path dir = Path.of("sluice-bench/target/sql-bench").toAbsolutePath();
        Path csv = dir.resolve("data/trips.csv");
        Files.createDirectories(csv.getParent());
        long start =
                LocalDateTime.parse("2024-01-01T00:00:00")
                        .atZone(ZoneId.of("America/Chicago"))
                        .toInstant()
                        .toEpochMilli();
        TaxiTrips trips = new TaxiTrips(42, start, 400, 0.01, 0.002);
        try (OutputStream o = Files.newOutputStream(csv)) {
            o.write((String.join(",", TaxiTrips.HEADER) + "\n").getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < rows; i++) {
                o.write(trips.line(i));
                o.write('\n');
            }
        }
        String text =
                Files.readString(Path.of("examples/taxi/taxi-file.yaml"))
                        .replace("path: data/trips-sample.csv", "path: data/trips.csv")
                        .replace("parallelism: 2", "parallelism: " + parallelism)
                        .replace("        late-output: late-trips\n", "");
        text = text.substring(0, text.indexOf("      - id: fare-anomaly"));
        Path specFile = dir.resolve("taxi-sql-bench.yaml");
        Files.writeString(specFile, text);
        Spec spec = new SpecLoader(PluginRegistry.load()).load(specFile);
        long inputBytes = Files.size(csv);
        System.out.printf(
                "taxi pipeline, Sluice job vs its Flink SQL: %,d rows (%,d bytes), parallelism %d,"
                        + " %d runs%n",
                rows, inputBytes, parallelism, runs);

        List<Double> job = new ArrayList<>();
        List<Double> sql = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            boolean jobFirst = r % 2 == 0;
            for (int k = 0; k < 2; k++) {
                boolean isJob = (k == 0) == jobFirst;
                Path out = dir.resolve(isJob ? "out-job" : "out-sql");
                delete(out);
                long t0 = System.nanoTime();
                if (isJob) {
                    StreamExecutionEnvironment env =
                            StreamExecutionEnvironment.createLocalEnvironment(
                                    Configuration.fromMap(
                                            Map.of(
                                                    "pipeline.generic-types", "false",
                                                    "parallelism.default",
                                                            Integer.toString(parallelism),
                                                    "taskmanager.numberOfTaskSlots",
                                                            Integer.toString(parallelism))));
                    new JobComposer(PluginRegistry.load(), new RunContext(dir, out))
                            .compose(spec, env);
                    env.execute("taxi-job");
                } else {
                    SqlScript script =
                            SqlRenderer.render(
                                    spec, new RunContext(dir, out), PluginRegistry.load());
                    TableEnvironment t =
                            TableEnvironment.create(EnvironmentSettings.inStreamingMode());
                    FlinkSqlRunner.run(script.text(), t).await();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                (isJob ? job : sql).add(s);
                System.out.printf(
                        "  run %d %-4s %6.1f s  %,9.0f rows/s%n",
                        r + 1, isJob ? "job" : "sql", s, rows / s);
            }
            for (String sink : List.of("area-stats", "trip-features")) {
                long a = lines(dir.resolve("out-job").resolve(sink));
                long b = lines(dir.resolve("out-sql").resolve(sink));
                if (a != b || a == 0) {
                    throw new IllegalStateException(
                            sink + ": the job wrote " + a + " records, the SQL script " + b);
                }
            }
        }
        double mj = median(job);
        double ms = median(sql);
        String report =
                String.format(
                        "taxi pipeline on %,d CSV rows, parallelism %d, median of %d runs:%n"
                                + "  Sluice job     %6.1f s  %,9.0f rows/s%n"
                                + "  rendered SQL   %6.1f s  %,9.0f rows/s%n"
                                + "  job / SQL throughput: %.2fx%n"
                                + "  per run (job s / sql s): %s / %s%n",
                        rows,
                        parallelism,
                        runs,
                        mj,
                        rows / mj,
                        ms,
                        rows / ms,
                        ms / mj,
                        fmt(job),
                        fmt(sql));
        System.out.print(report);
        Path rep = Path.of(v.get("report"));
        Files.createDirectories(rep.toAbsolutePath().getParent());
        Files.writeString(rep, report);
    }

    private static String fmt(List<Double> xs) {
        return String.join(", ", xs.stream().map(x -> String.format("%.1f", x)).toList());
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static long lines(Path folder) throws IOException {
        long n = 0;
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (!p.getFileName().toString().startsWith(".")) {
                    try (Stream<String> l = Files.lines(p)) {
                        n += l.count();
                    }
                }
            }
        }
        return n;
    }

    private static void delete(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
