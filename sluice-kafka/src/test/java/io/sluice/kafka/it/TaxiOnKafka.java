package io.sluice.kafka.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.kafka.tools.Replay;
import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.source.TaxiTrips;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * examples/taxi/taxi-kafka.yaml run end to end on the shared broker: generated trips written to a
 * CSV file and replayed into a one-partition topic, the spec pointed at this run's own topics, run
 * at parallelism 1 until the input's end, and every output topic read back committed. Also the
 * comparisons of those outputs with {@link TaxiExpected}, shared by the Kafka taxi ITCases.
 */
final class TaxiOnKafka {
    static final Path SPEC_DIR = Path.of("../examples/taxi");
    static final Path SPEC = SPEC_DIR.resolve("taxi-kafka.yaml");
    static final ObjectMapper JSON = new ObjectMapper();

    /** A run's topics, all named after one prefix so runs never share one. */
    record Topics(String prefix) {
        String raw() {
            return prefix + "-raw";
        }

        String areaStats() {
            return prefix + "-area-stats";
        }

        String alerts() {
            return prefix + "-alerts";
        }

        String late() {
            return prefix + "-late-trips";
        }

        String dead() {
            return prefix + "-dead-letters";
        }
    }

    /** The committed records of each output. */
    record Outputs(
            List<ConsumerRecord<byte[], byte[]>> areaStats,
            List<ConsumerRecord<byte[], byte[]>> alerts,
            List<ConsumerRecord<byte[], byte[]>> late,
            List<ConsumerRecord<byte[], byte[]>> dead) {
        List<ConsumerRecord<byte[], byte[]>> all() {
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            out.addAll(areaStats);
            out.addAll(alerts);
            out.addAll(late);
            out.addAll(dead);
            return out;
        }
    }

    private TaxiOnKafka() {}

    /**
     * Creates the run's topics (one partition each), writes {@code lines} as a CSV file (header
     * first), replays it into the raw topic (one record per line) and returns what was sent.
     */
    static Replay.Counts replay(SharedKafka kafka, Topics topics, List<byte[]> lines, Path dir)
            throws IOException {
        ByteArrayOutputStream csv = new ByteArrayOutputStream(lines.size() * 200);
        csv.writeBytes(
                (String.join(",", TaxiTrips.HEADER) + "\n").getBytes(StandardCharsets.UTF_8));
        for (byte[] line : lines) {
            csv.writeBytes(line);
            csv.write('\n');
        }
        Path file = dir.resolve(topics.prefix() + "-trips.csv");
        Files.write(file, csv.toByteArray());
        kafka.createTopic(topics.raw(), 1);
        // the outputs too: see SharedKafka#createTopic for why the sinks must not create them
        for (String out :
                List.of(topics.areaStats(), topics.alerts(), topics.late(), topics.dead())) {
            kafka.createTopic(out, 1);
        }
        return Replay.into(kafka.bootstrapServers(), topics.raw()).run(file);
    }

    /**
     * The example spec, its runtime section edited by {@code editText} (runtime settings have no
     * --set), pointed at the run's topics with --set-style overrides, bounded by the input's end,
     * at parallelism 1 (the z-score and lateness depend on arrival order).
     */
    static Spec spec(String bootstrap, Topics topics, UnaryOperator<String> editText)
            throws IOException {
        String text = Files.readString(SPEC, StandardCharsets.UTF_8);
        String edited = editText.apply(text);
        Map<String, String> set = new HashMap<>();
        set.put("trips.bootstrap-servers", bootstrap);
        set.put("trips.topics", "[" + topics.raw() + "]");
        set.put("trips.bounded", "latest");
        set.put("trips.group-id", topics.prefix());
        Map<String, String> sinks =
                Map.of(
                        "area-stats", topics.areaStats(),
                        "taxi-alerts", topics.alerts(),
                        "late-trips", topics.late(),
                        "dead-letters", topics.dead());
        sinks.forEach(
                (id, topic) -> {
                    set.put(id + ".bootstrap-servers", bootstrap);
                    set.put(id + ".topic", topic);
                    set.put(id + ".transactional-id-prefix", topics.prefix() + "-" + id);
                });
        return new SpecLoader(PluginRegistry.load())
                .withOverrides(set)
                .load(SPEC.toString(), edited)
                .withParallelism(1);
    }

    /** Replaces {@code from} in {@code text}, failing when the example no longer contains it. */
    static String replace(String text, String from, String to) {
        assertThat(text).as("examples/taxi/taxi-kafka.yaml").contains(from);
        return text.replace(from, to);
    }

    /** Composes and runs the spec to its end on the test's MiniCluster. */
    static JobExecutionResult run(Spec spec, Path outDir) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(
                Configuration.fromMap(
                        Map.of(
                                "pipeline.generic-types", "false",
                                "restart-strategy.type", "fixed-delay",
                                "restart-strategy.fixed-delay.attempts",
                                        Integer.toString(spec.runtime().restartAttempts()),
                                "restart-strategy.fixed-delay.delay", "100 ms")));
        new JobComposer(PluginRegistry.load(), new RunContext(SPEC_DIR, outDir)).compose(spec, env);
        return env.execute(spec.name());
    }

    static Outputs read(String bootstrap, Topics topics) {
        return new Outputs(
                CommittedRecords.read(bootstrap, topics.areaStats()),
                CommittedRecords.read(bootstrap, topics.alerts()),
                CommittedRecords.read(bootstrap, topics.late()),
                CommittedRecords.read(bootstrap, topics.dead()));
    }

    static JsonNode json(ConsumerRecord<byte[], byte[]> r) {
        try {
            return JSON.readTree(r.value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String iso(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    static void close(double expected, JsonNode actual, String what) {
        assertThat(actual.isNumber()).as(what + " is a number: " + actual).isTrue();
        assertThat(actual.asDouble())
                .as(what)
                .isCloseTo(expected, within(Math.abs(expected) * 1e-9 + 1e-12));
    }

    // ---- comparisons with the reference ----

    /** Every window once, with the reference's exact count and statistics, keyed by its area. */
    static void assertAreaStats(Outputs out, TaxiExpected expected) {
        Map<String, JsonNode> byWindow = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : out.areaStats()) {
            JsonNode n = json(r);
            String k = n.get("area").asLong() + "@" + n.get("window_start").asText();
            assertThat(byWindow.put(k, n)).as("window written twice: " + k).isNull();
            assertThat(CommittedRecords.text(r.key()))
                    .as("key of " + k)
                    .isEqualTo(n.get("area").asText());
        }
        assertThat(byWindow.keySet())
                .hasSameSizeAs(expected.areaStats.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        expected.areaStats.keySet().stream()
                                .map(w -> w.area() + "@" + iso(w.start()))
                                .toList());
        expected.areaStats.forEach(
                (w, s) -> {
                    String k = w.area() + "@" + iso(w.start());
                    JsonNode n = byWindow.get(k);
                    assertThat(n.get("window_end").asText()).as(k).isEqualTo(iso(w.end()));
                    assertThat(n.get("trip_count").asLong())
                            .as(k + " trip_count")
                            .isEqualTo(s.count());
                    close(s.avgFare(), n.get("avg_fare"), k + " avg_fare");
                    close(s.avgMiles(), n.get("avg_distance"), k + " avg_distance");
                    close(s.fareStddev(), n.get("fare_stddev"), k + " fare_stddev");
                });
    }

    /** The reference's alerts in the reference's order (one partition keeps the job's order). */
    static void assertAlerts(Outputs out, TaxiExpected expected) {
        List<ConsumerRecord<byte[], byte[]>> alerts = out.alerts();
        assertThat(alerts).hasSameSizeAs(expected.alerts);
        for (int i = 0; i < alerts.size(); i++) {
            JsonNode n = json(alerts.get(i));
            TaxiExpected.Alert a = expected.alerts.get(i);
            String what = "alert #" + i + " " + n;
            assertThat(n.get("key").asText()).as(what).isEqualTo(a.key());
            assertThat(CommittedRecords.text(alerts.get(i).key())).as(what).isEqualTo(a.key());
            close(a.value(), n.get("value"), what + " value");
            close(a.mean(), n.get("mean"), what + " mean");
            close(a.stddev(), n.get("stddev"), what + " stddev");
            close(a.z(), n.get("z"), what + " z");
            assertThat(n.get("event_time").asText()).as(what).isEqualTo(iso(a.eventTime()));
            assertThat(n.get("rule").asText()).as(what).isEqualTo("fare-anomaly");
        }
    }

    static void assertLateTrips(Outputs out, TaxiExpected expected) {
        assertThat(out.late().stream().map(r -> json(r).get("trip_id").asText()))
                .containsExactlyInAnyOrderElementsOf(expected.lateTripIds);
    }

    /**
     * Dead letters as (origin, reason, field), the job's {@code <topic>:0:<offset>} read as the
     * reference's {@code trips:<offset + 1>} (one record per line, in order), and the reference's
     * {@code malformed-csv} as {@code malformed-json}: lines that are not clean CSV are replayed
     * unchanged and fail as JSON.
     */
    static void assertDeadLetters(Outputs out, TaxiExpected expected, Topics topics) {
        String prefix = topics.raw() + ":0:";
        List<TaxiExpected.Dead> actual = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : out.dead()) {
            JsonNode n = json(r);
            String origin = n.get("origin").asText();
            assertThat(origin).as(n.toString()).startsWith(prefix);
            long offset = Long.parseLong(origin.substring(prefix.length()));
            actual.add(
                    new TaxiExpected.Dead(
                            "trips:" + (offset + 1),
                            n.get("reason").asText(),
                            n.get("field").isNull() ? null : n.get("field").asText()));
            assertThat(n.get("message").asText()).as(n.toString()).isNotBlank();
        }
        List<TaxiExpected.Dead> wanted =
                expected.dead.stream()
                        .map(
                                d ->
                                        "malformed-csv".equals(d.reason())
                                                ? new TaxiExpected.Dead(
                                                        d.origin(), "malformed-json", d.field())
                                                : d)
                        .toList();
        assertThat(actual).containsExactlyInAnyOrderElementsOf(wanted);
    }

    /** Headers and JSON stamps of every record say which spec wrote it. */
    static void assertStamps(Outputs out, Spec spec) {
        for (ConsumerRecord<byte[], byte[]> r : out.all()) {
            String what = r.topic() + ":" + r.partition() + ":" + r.offset();
            assertThat(CommittedRecords.header(r, "spec_hash")).as(what).isEqualTo(spec.hash());
            assertThat(CommittedRecords.header(r, "config_version")).as(what).isEqualTo("0");
            JsonNode n = json(r);
            assertThat(n.get("spec_hash").asText()).as(what).isEqualTo(spec.hash());
            assertThat(n.get("config_version").asLong()).as(what).isZero();
        }
    }

    /** Guards the comparisons against vacuous passes: every kind of output is exercised. */
    static void assertInputIsRealistic(TaxiExpected expected) {
        assertThat(expected.dead.stream().map(TaxiExpected.Dead::reason).distinct())
                .contains(
                        "invalid-utf8",
                        "empty-line",
                        "malformed-csv",
                        "bad-value",
                        "missing-field",
                        "out-of-range");
        assertThat(expected.lateTripIds).hasSizeGreaterThan(10);
        assertThat(expected.alerts).hasSizeGreaterThan(10);
        assertThat(expected.areaStats).hasSizeGreaterThan(300);
    }
}
