package io.sluice.bench;

import io.sluice.runtime.compose.JobComposer;
import io.sluice.runtime.compose.RunContext;
import io.sluice.runtime.run.Counters;
import io.sluice.runtime.run.LocalRunner;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.SpecException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * End-to-end latency, produce to consume, at a fixed event rate ({@link LatencyGenerator}) through
 * two small Sluice jobs reading a topic with one partition per source task and writing
 * at-least-once to another, read back by {@link OutputReader}:
 *
 * <ul>
 *   <li><b>stateless</b>: decode (JSON) → validate → derive → Kafka sink; a record's latency is its
 *       consume time − the send time it carries ({@code send_ns});
 *   <li><b>window</b>: event time = send time (ms), watermarks with 0 s out-of-orderness, 1 s
 *       tumbling windows per key counting events; a window result's latency is its consume time −
 *       the send time of the event that moved the watermark past the window's end (found from the
 *       send times the generator recorded per partition and millisecond; see {@link
 *       LatencyGenerator#triggerSendNanos}). The time a window waits for its end to come is by
 *       definition not counted; what is counted is watermark propagation, firing, encoding, the
 *       sink and Kafka.
 * </ul>
 *
 * <p>Every timestamp comes from {@link EpochClock} in this JVM. Only events sent during the
 * measured interval (after warm-up) count; the job must deliver each of them (stateless) or every
 * window with the exact count of events sent in it (window), else a WARNING is printed.
 */
final class KafkaLatency {
    private static final Duration TAIL = Duration.ofSeconds(2);
    private static final Duration DRAIN_IDLE = Duration.ofSeconds(5);
    private static final Duration DRAIN_MAX = Duration.ofSeconds(60);

    /**
     * Warm-up ends once, for a whole second, every output arrived less than this long after its
     * send (or closing) time: the backlog of the first seconds at full rate is gone. Well above
     * steady-state latencies, well below those of a backlog.
     */
    static final Duration CAUGHT_UP = Duration.ofMillis(250);

    /** Warm-up gives up waiting for the job to catch up after this much more than the minimum. */
    static final Duration MAX_EXTRA_WARMUP = Duration.ofSeconds(60);

    enum Kind {
        STATELESS(
                "stateless",
                "decode → validate → derive → Kafka sink",
                50.0,
                "p99 ≤ 50 ms at-least-once"),
        WINDOW(
                "window",
                "1 s tumbling event-time windows per key (count) → Kafka sink, from the watermark"
                        + " passing the window end",
                100.0,
                "p99 ≤ 100 ms");

        final String id;
        final String what;
        final double barMs;
        final String bar;

        Kind(String id, String what, double barMs, String bar) {
            this.id = id;
            this.what = what;
            this.barMs = barMs;
            this.bar = bar;
        }
    }

    /** What one path measured. */
    record Result(
            Kind kind,
            LatencyStats.Summary latency,
            double achievedRate,
            long measuredSent,
            long expected,
            long received,
            double maxLagMs,
            String gc,
            int windows,
            String note,
            List<Double> p99PerSecond,
            double warmupSeconds) {
        boolean rateReached(double target) {
            return achievedRate >= 0.99 * target;
        }

        boolean pass() {
            return latency.count() > 0 && latency.percentileMs(99) <= kind.barMs;
        }
    }

    private final KafkaBenchmark.Settings settings;
    private final BenchBroker broker;
    private final String runId;
    private final Path workDir;
    private final PrintStream out;
    private final PluginRegistry registry = PluginRegistry.load();
    private final List<Result> results = new ArrayList<>();

    /** The window job's event-time idle-timeout as it ran. */
    private String idleUsed = "off";

    private int warnings;

    KafkaLatency(
            KafkaBenchmark.Settings settings,
            BenchBroker broker,
            String runId,
            Path workDir,
            PrintStream out) {
        this.settings = settings;
        this.broker = broker;
        this.runId = runId;
        this.workDir = workDir;
        this.out = out;
    }

    int warnings() {
        return warnings;
    }

    String run() throws Exception {
        out.println();
        out.printf(
                Locale.US,
                "== Latency: produce → consume at %,d events/s, %d s measured after %d s warm-up"
                        + " ==%n",
                settings.rate(),
                settings.duration(),
                settings.latencyWarmup());
        for (Kind kind : Kind.values()) {
            if (settings.paths().contains(kind.id)) {
                results.add(new Measurement(kind).run());
            }
        }
        return summarize();
    }

    /** One path: its topics, job, generator and reader, and what the reader saw. */
    private final class Measurement {
        private final Kind kind;
        private final String in;
        private final String outTopic;
        private final String dead;
        private final LatencyStats stats = new LatencyStats();
        private final LatencyStats[] perSecond = new LatencyStats[settings.duration()];
        private final AtomicReference<LatencyStats> lastSecond =
                new AtomicReference<>(new LatencyStats());
        private final AtomicLong measuredReceived = new AtomicLong();
        private final AtomicLong unmatched = new AtomicLong();

        /** Window end (epoch ms) → {results, sum of their counts}; reader thread only. */
        private final Map<Long, long[]> windows = new TreeMap<>();

        private LatencyGenerator gen;

        /** {@link System#nanoTime()} when an output at least {@link #CAUGHT_UP} old was read. */
        private volatile long lastSlow = System.nanoTime();

        private String note = "";

        Measurement(Kind kind) {
            this.kind = kind;
            String prefix = runId + "-latency-" + kind.id;
            this.in = prefix + "-in";
            this.outTopic = prefix + "-out";
            this.dead = prefix + "-dead-letters";
        }

        Result run() throws Exception {
            broker.createTopic(in, settings.parallelism());
            broker.createTopic(outTopic, settings.parallelism());
            broker.createTopic(dead, 1);
            Spec spec = spec();
            Map<String, String> conf = LocalRunner.baseConfig(spec);
            conf.put("restart-strategy.type", "none");
            conf.put("state.backend.type", "hashmap");
            conf.put("parallelism.default", Integer.toString(settings.parallelism()));
            conf.put("taskmanager.numberOfTaskSlots", Integer.toString(settings.parallelism()));
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironment(Configuration.fromMap(conf));
            new JobComposer(registry, new RunContext(workDir, workDir.resolve("out")))
                    .compose(spec, env);

            OutputReader reader =
                    new OutputReader(
                            broker.bootstrapServers(),
                            outTopic,
                            kind == Kind.STATELESS ? this::onRecord : this::onWindowResult);
            gen =
                    new LatencyGenerator(
                            broker.bootstrapServers(),
                            in,
                            settings.parallelism(),
                            settings.keys(),
                            settings.rate(),
                            settings.lingerMs(),
                            Duration.ofSeconds(settings.latencyWarmup()),
                            Duration.ofSeconds(settings.duration()),
                            TAIL,
                            MAX_EXTRA_WARMUP,
                            () -> reader.received() > 0,
                            () -> caughtUp(reader));
            Thread readerThread = new Thread(reader, "latency-reader");
            Thread genThread = new Thread(gen, "latency-generator");
            System.gc();
            long t0 = System.nanoTime();
            JobClient client = env.executeAsync(spec.name());
            try (GcWatch gc = new GcWatch()) {
                readerThread.start();
                while (!reader.assigned() && reader.failure() == null) {
                    Thread.sleep(10);
                }
                genThread.start();
                progress(client, reader, t0);
                drain(client, reader);
                Map<String, Object> accumulators =
                        client.getAccumulators().get(30, TimeUnit.SECONDS);
                reader.stop();
                readerThread.join(10_000); // the reader's figures are read below
                String gcLine =
                        gc.between(
                                EpochClock.millis(gen.measureStart()),
                                EpochClock.millis(gen.measureEnd()));
                return result(reader, accumulators, gcLine);
            } finally {
                gen.stop();
                reader.stop();
                genThread.join(10_000);
                readerThread.join(10_000);
                stopJob(client);
            }
        }

        /** Output is flowing and none was late for a second: no backlog left from the start. */
        private boolean caughtUp(OutputReader reader) {
            return reader.idle().compareTo(Duration.ofMillis(1500)) < 0
                    && System.nanoTime() - lastSlow >= 1_000_000_000L;
        }

        private void track(long latency) {
            if (latency >= CAUGHT_UP.toNanos()) {
                lastSlow = System.nanoTime();
            }
            lastSecond.get().add(latency);
        }

        /** A progress line a second until the generator is done; fails when the job does. */
        private void progress(JobClient client, OutputReader reader, long t0) throws Exception {
            long previousSent = 0;
            long previous = System.nanoTime();
            while (!gen.done()) {
                Thread.sleep(1000);
                failIfStopped(client, reader);
                long now = System.nanoTime();
                long sent = gen.sent();
                LatencyStats.Summary last = lastSecond.getAndSet(new LatencyStats()).summary();
                out.printf(
                        Locale.US,
                        "[%-9s %5.1fs] %-19s sent %,d (%,.0f/s) · received %,d · last 1 s: p50 %s"
                                + " · p99 %s · max %s ms%n",
                        kind.id,
                        (now - t0) / 1e9,
                        gen.phase().label,
                        sent,
                        (sent - previousSent) * 1e9 / (now - previous),
                        reader.received(),
                        LatencyStats.ms(last.percentileMs(50)),
                        LatencyStats.ms(last.percentileMs(99)),
                        LatencyStats.ms(last.maxMs()));
                previousSent = sent;
                previous = now;
            }
            if (gen.failure() != null) {
                throw new IllegalStateException(
                        kind.id + ": the generator failed: " + gen.failure(), gen.failure());
            }
        }

        /** Waits until every measured event or window has arrived, or nothing did for a while. */
        private void drain(JobClient client, OutputReader reader) throws Exception {
            long deadline = System.nanoTime() + DRAIN_MAX.toNanos();
            long expected = expected();
            while (measuredReceived.get() < expected
                    && reader.idle().compareTo(DRAIN_IDLE) < 0
                    && System.nanoTime() < deadline) {
                failIfStopped(client, reader);
                Thread.sleep(50);
            }
        }

        /** Measured records (stateless) or window results (window) the job owes. */
        private long expected() {
            if (kind == Kind.STATELESS) {
                return gen.measuredSent();
            }
            long n = 0;
            for (long end : measuredWindowEnds()) {
                n += Math.min(settings.keys(), gen.eventsBetween(end - 1000, end));
            }
            return n;
        }

        /** Ends of the windows whose triggering event was sent in the measured interval. */
        private List<Long> measuredWindowEnds() {
            List<Long> ends = new ArrayList<>();
            long from = EpochClock.millis(gen.measureStart()) / 1000 * 1000;
            long to = EpochClock.millis(gen.measureEnd()) + 2000;
            for (long end = from; end <= to; end += 1000) {
                long trigger = gen.triggerSendNanos(end);
                if (trigger >= gen.measureStart() && trigger < gen.measureEnd()) {
                    ends.add(end);
                }
            }
            return ends;
        }

        private void failIfStopped(JobClient client, OutputReader reader) throws Exception {
            if (reader.failure() != null) {
                throw new IllegalStateException(
                        kind.id + ": the output reader failed: " + reader.failure(),
                        reader.failure());
            }
            JobStatus status = client.getJobStatus().get(10, TimeUnit.SECONDS);
            if (status.isGloballyTerminalState()) {
                try {
                    client.getJobExecutionResult().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(
                            kind.id + ": the job ended (" + status + "): " + rootMessage(e), e);
                }
                throw new IllegalStateException(kind.id + ": the job ended early (" + status + ")");
            }
        }

        /** Stateless output: latency = consume time − the record's send time. */
        private void onRecord(byte[] value, long consumed) {
            long send = longField(value, SEND_NS);
            if (send <= 0) {
                unmatched.incrementAndGet();
                return;
            }
            long latency = consumed - send;
            track(latency);
            if (send >= gen.measureStart() && send < gen.measureEnd()) {
                measured(send, latency);
            }
        }

        /** Window result: latency = consume time − send time of the event that closed it. */
        private void onWindowResult(byte[] value, long consumed) {
            String endText = stringField(value, WINDOW_END);
            long trigger = 0;
            long end = 0;
            if (endText != null) {
                end = Instant.parse(endText).toEpochMilli();
                trigger = gen.triggerSendNanos(end);
            }
            if (trigger == 0) {
                unmatched.incrementAndGet();
                return;
            }
            long latency = consumed - trigger;
            track(latency);
            if (trigger >= gen.measureStart() && trigger < gen.measureEnd()) {
                measured(trigger, latency);
                long[] w = windows.computeIfAbsent(end, k -> new long[2]);
                w[0]++;
                w[1] += longField(value, EVENTS);
            }
        }

        /** A measured latency, {@code at} (epoch ns) being the send time it is measured from. */
        private void measured(long at, long latency) {
            stats.add(latency);
            measuredReceived.incrementAndGet();
            int second = (int) ((at - gen.measureStart()) / 1_000_000_000L);
            if (second >= 0 && second < perSecond.length) {
                if (perSecond[second] == null) {
                    perSecond[second] = new LatencyStats();
                }
                perSecond[second].add(latency);
            }
        }

        private Result result(
                OutputReader reader, Map<String, Object> accumulators, String gcLine) {
            double seconds = (gen.measureEnd() - gen.measureStart()) / 1e9;
            double achieved = gen.measuredSent() / seconds;
            long expected = expected();
            Result r =
                    new Result(
                            kind,
                            stats.summary(),
                            achieved,
                            gen.measuredSent(),
                            expected,
                            measuredReceived.get(),
                            gen.maxLagNs() / 1e6,
                            gcLine,
                            kind == Kind.WINDOW ? measuredWindowEnds().size() : 0,
                            note,
                            java.util.Arrays.stream(perSecond)
                                    .map(x -> x == null ? Double.NaN : x.summary().percentileMs(99))
                                    .toList(),
                            gen.warmupSeconds());
            check(r, accumulators);
            out.printf(
                    Locale.US,
                    "%s: p99 per measured second (ms): %s%n",
                    kind.id,
                    r.p99PerSecond().stream()
                            .map(LatencyStats::ms)
                            .collect(Collectors.joining(" ")));
            out.printf(
                    Locale.US,
                    "%s: %s; warm-up %.1f s; sent %,.0f events/s in the measured %.0f s (target"
                            + " %,d; latest send %.1f ms behind schedule); GC in the window: %s%n",
                    kind.id,
                    r.latency().line(),
                    r.warmupSeconds(),
                    achieved,
                    seconds,
                    settings.rate(),
                    r.maxLagMs(),
                    gcLine);
            return r;
        }

        /** Everything owed arrived, exactly once, and nothing went to dead letters. */
        private void check(Result r, Map<String, Object> acc) {
            if (!gen.caughtUpAtStart()) {
                warn(
                        String.format(
                                Locale.US,
                                "%s: after %.0f s at full rate the job had still not caught up"
                                        + " (outputs still arriving ≥ %d ms after their send time); measured anyway",
                                kind.id,
                                r.warmupSeconds(),
                                CAUGHT_UP.toMillis()));
            }
            if (gen.sendErrors() > 0 || gen.outOfRange()) {
                warn(kind.id + ": the generator had send errors or ran out of its time slots");
            }
            if (!r.rateReached(settings.rate())) {
                warn(
                        String.format(
                                Locale.US,
                                "%s: the generator sent %,.0f events/s, below the target %,d: the"
                                        + " figures are not valid for that rate",
                                kind.id,
                                r.achievedRate(),
                                settings.rate()));
            }
            if (r.received() != r.expected()) {
                warn(
                        String.format(
                                Locale.US,
                                "%s: %,d measured %s arrived, %,d expected",
                                kind.id,
                                r.received(),
                                kind == Kind.STATELESS ? "records" : "window results",
                                r.expected()));
            }
            if (unmatched.get() > 0) {
                warn(kind.id + ": " + unmatched.get() + " output records could not be matched");
            }
            long deadLetters =
                    acc.entrySet().stream()
                            .filter(e -> e.getKey().startsWith(Counters.DEAD_PREFIX))
                            .mapToLong(e -> ((Number) e.getValue()).longValue())
                            .sum();
            if (deadLetters > 0) {
                warn(kind.id + ": " + deadLetters + " events went to dead letters");
            }
            if (kind == Kind.WINDOW) {
                for (long end : measuredWindowEnds()) {
                    long[] w = windows.getOrDefault(end, new long[2]);
                    long events = gen.eventsBetween(end - 1000, end);
                    if (w[0] != Math.min(settings.keys(), events) || w[1] != events) {
                        warn(
                                String.format(
                                        Locale.US,
                                        "window ending %s: %,d results counting %,d events; %,d"
                                                + " events were sent in it",
                                        Instant.ofEpochMilli(end),
                                        w[0],
                                        w[1],
                                        events));
                    }
                }
            }
        }

        /** The job's spec: the path's steps between a Kafka source and an at-least-once sink. */
        private Spec spec() {
            String idle = settings.idleTimeout() == null ? null : text(settings.idleTimeout());
            SpecLoader loader = new SpecLoader(registry);
            String name = "kafka-latency-" + kind.id + ".yaml";
            if (kind == Kind.WINDOW && idle != null) {
                try {
                    Spec spec = loader.load(name, specText(idle));
                    idleUsed = idle;
                    return spec;
                } catch (SpecException e) {
                    String refused =
                            e.problems().stream()
                                    .filter(p -> p.toString().contains("idle-timeout"))
                                    .map(p -> p.path() + ": " + p.message())
                                    .findFirst()
                                    .orElseThrow(() -> e);
                    note =
                            "the spec loader refused event-time idle-timeout ("
                                    + refused
                                    + "), so the window job ran without it; every partition gets"
                                    + " events all the time, so idleness would not apply anyway.";
                    out.println("note: " + note);
                    idleUsed = "none (refused by the spec loader, see below)";
                }
            }
            return loader.load(name, specText(null));
        }

        private String specText(String idleTimeout) {
            String bs = broker.bootstrapServers();
            StringBuilder y = new StringBuilder();
            y.append("name: kafka-latency-").append(kind.id).append('\n');
            y.append("runtime:\n");
            y.append("  parallelism: ").append(settings.parallelism()).append('\n');
            y.append("  buffer-timeout: ").append(text(settings.bufferTimeout())).append('\n');
            if (settings.latencyCheckpointInterval() != null) {
                y.append("  checkpoint-interval: ")
                        .append(text(settings.latencyCheckpointInterval()))
                        .append('\n');
            }
            y.append(
                    """
                    sources:
                      - id: events
                        type: kafka
                        bootstrap-servers: "%s"
                        topics: [%s]
                        group-id: %s
                        format: json
                        fields:
                          - {name: id, type: long}
                          - {name: key, type: string}
                          - {name: ts, type: timestamp}
                          - {name: send_ns, type: long}
                          - {name: value, type: double}
                    """
                            .formatted(bs, in, in + "-job"));
            if (kind == Kind.WINDOW) {
                y.append("    event-time:\n");
                y.append("      field: ts\n");
                y.append("      max-out-of-orderness: 0s\n");
                if (idleTimeout != null) {
                    y.append("      idle-timeout: ").append(idleTimeout).append('\n');
                }
            }
            String sinkProps =
                    "delivery-guarantee: at-least-once, create-topic: 0, properties: {linger.ms: \""
                            + settings.lingerMs()
                            + "\"}";
            y.append(
                    """
                    sinks:
                      - {id: out, type: kafka, bootstrap-servers: "%s", topic: %s, %s}
                      - {id: dead-letters, type: kafka, bootstrap-servers: "%s", topic: %s, %s}
                    pipelines:
                      - id: latency
                        source: events
                        dead-letters: dead-letters
                        steps:
                          - id: check
                            processor: validate
                            required: [id, key, ts, send_ns, value]
                            ranges:
                              - {field: value, at-least: 0}
                    """
                            .formatted(bs, outTopic, sinkProps, bs, dead, sinkProps));
            if (kind == Kind.STATELESS) {
                y.append(
                        """
                              - id: enrich
                                processor: derive
                                fields:
                                  - {name: value_cents, expr: "int(value * 100.0)"}
                                  - {name: bucket, expr: "id % 10"}
                                output: out
                        """);
            } else {
                y.append(
                        """
                              - id: per-second
                                processor: window-aggregate
                                key: [key]
                                window: {type: tumbling, size: 1s}
                                aggregates:
                                  - {name: events, fn: count}
                                output: out
                        """);
            }
            return y.toString();
        }
    }

    private static String text(Duration d) {
        return KafkaBenchmark.text(d);
    }

    private static void stopJob(JobClient client) {
        try {
            client.cancel().get(30, TimeUnit.SECONDS);
            client.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // cancelled (the usual end of an unbounded job), or already ended
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName() + ": " + c.getMessage();
    }

    private void warn(String message) {
        warnings++;
        out.println("WARNING: " + message);
    }

    // ---- reading fields of the job's JSON output without a parser (the reader has to keep up)

    private static final byte[] SEND_NS = "\"send_ns\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENTS = "\"events\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WINDOW_END =
            "\"window_end\":\"".getBytes(StandardCharsets.US_ASCII);

    /** The non-negative integer after {@code name}, or -1. */
    static long longField(byte[] json, byte[] name) {
        int i = indexOf(json, name);
        if (i < 0) {
            return -1;
        }
        long v = 0;
        int digits = 0;
        for (int j = i + name.length; j < json.length && json[j] >= '0' && json[j] <= '9'; j++) {
            v = v * 10 + (json[j] - '0');
            digits++;
        }
        return digits == 0 ? -1 : v;
    }

    /** The string value after {@code name} (which ends with the opening quote), or null. */
    static String stringField(byte[] json, byte[] name) {
        int i = indexOf(json, name);
        if (i < 0) {
            return null;
        }
        int from = i + name.length;
        for (int j = from; j < json.length; j++) {
            if (json[j] == '"') {
                return new String(json, from, j - from, StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int k = 0; k < pattern.length; k++) {
                if (data[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private String summarize() {
        out.println();
        out.println("Kafka latency summary (produce → consume)");
        for (Result r : results) {
            out.printf(
                    Locale.US,
                    "  %-9s %s → %s (bar %s)%s%n",
                    r.kind().id,
                    r.latency().line(),
                    r.pass() ? "PASS" : "FAIL",
                    r.kind().bar,
                    r.rateReached(settings.rate()) ? "" : "  [rate not reached: not valid]");
        }
        out.printf(Locale.US, "  settings: %s%n", settingsLine());

        StringBuilder md = new StringBuilder();
        md.append(
                String.format(
                        Locale.US,
                        "### Latency: produce → consume at %,d events/s%n%n",
                        settings.rate()));
        md.append(
                "| path | events/s sent | p50 | p90 | p99 | p99.9 | max | samples | bar | result |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        for (Result r : results) {
            LatencyStats.Summary s = r.latency();
            md.append(
                    String.format(
                            Locale.US,
                            "| %s | %,.0f | %s ms | %s ms | **%s ms** | %s ms | %s ms | %,d%s | %s |"
                                    + " **%s**%s |%n",
                            r.kind().id,
                            r.achievedRate(),
                            LatencyStats.ms(s.percentileMs(50)),
                            LatencyStats.ms(s.percentileMs(90)),
                            LatencyStats.ms(s.percentileMs(99)),
                            LatencyStats.ms(s.percentileMs(99.9)),
                            LatencyStats.ms(s.maxMs()),
                            s.count(),
                            r.kind() == Kind.WINDOW
                                    ? String.format(Locale.US, " (%d windows)", r.windows())
                                    : "",
                            r.kind().bar,
                            r.pass() ? "PASS" : "FAIL",
                            r.rateReached(settings.rate()) ? "" : " (rate not reached)"));
        }
        md.append('\n');
        md.append(
                String.format(
                        Locale.US,
                        "%s, each reading its own topic (%d partitions) at parallelism %d and"
                                + " writing at-least-once to a topic of its own. A generator thread sends JSON events at %,d/s"
                                + " (event i to partition i mod %d, absolute schedule) stamped with"
                                + " their send time; a consumer thread reads the output. All times"
                                + " come from one clock in the benchmark JVM (System.nanoTime"
                                + " anchored to the epoch). The job's first output is awaited at"
                                + " a trickle (200 events/s); then the full rate starts with a"
                                + " warm-up that is not counted: at least %d s, and until the"
                                + " job has caught up with the backlog of its first seconds at"
                                + " full rate (for a whole second, every output under %d ms old; at most %d s"
                                + " more); then %d s are measured.%n%n",
                        results.size() == 1
                                ? "One unbounded job"
                                : "Unbounded jobs, one after the other",
                        settings.parallelism(),
                        settings.parallelism(),
                        settings.rate(),
                        settings.parallelism(),
                        settings.latencyWarmup(),
                        CAUGHT_UP.toMillis(),
                        MAX_EXTRA_WARMUP.toSeconds(),
                        settings.duration()));
        boolean stateless = results.stream().anyMatch(r -> r.kind() == Kind.STATELESS);
        boolean window = results.stream().anyMatch(r -> r.kind() == Kind.WINDOW);
        if (stateless) {
            md.append(
                    "- **stateless**: decode (JSON) → validate → derive → Kafka sink. Latency of a"
                            + " record = consume time − the send time it carries; every event sent in"
                            + " the measured interval counts.\n");
        }
        if (window) {
            md.append(
                    String.format(
                            Locale.US,
                            "- **window**: event time = send time (ms), max-out-of-orderness 0s,"
                                    + " idle-timeout %s, tumbling 1 s windows per key (%d keys, so %d"
                                    + " results per window) counting events. Latency of a result ="
                                    + " consume time − the send time of the event that moved the"
                                    + " watermark past the window end: the later of each partition's"
                                    + " first event with event time ≥ the end (the window operator"
                                    + " takes the minimum watermark over its inputs), found from the"
                                    + " send times recorded per partition and millisecond — measured,"
                                    + " not approximated by window end + 1 ms. Windows whose closing"
                                    + " event was sent in the measured interval count; each must count"
                                    + " exactly the events sent in it.%n",
                            idleUsed,
                            settings.keys(),
                            settings.keys()));
        }
        md.append(String.format(Locale.US, "- settings: %s.%n", settingsLine()));
        for (Result r : results) {
            md.append(
                    String.format(
                            Locale.US,
                            "- %s: warm-up %.1f s; %,d events sent in the measured interval,"
                                    + " %,d/%,d %s arrived, latest send %.1f ms behind schedule;"
                                    + " GC pauses of the benchmark JVM during it: %s.%s%n",
                            r.kind().id,
                            r.warmupSeconds(),
                            r.measuredSent(),
                            r.received(),
                            r.expected(),
                            r.kind() == Kind.STATELESS ? "records" : "window results",
                            r.maxLagMs(),
                            r.gc(),
                            r.note().isEmpty() ? "" : " Note: " + r.note()));
            md.append(
                    String.format(
                            Locale.US,
                            "  p99 per measured second (ms, by send time%s): %s.%n",
                            r.kind() == Kind.WINDOW ? " of the closing event" : "",
                            r.p99PerSecond().stream()
                                    .map(LatencyStats::ms)
                                    .collect(Collectors.joining(", "))));
        }
        md.append('\n');
        return md.toString();
    }

    private String settingsLine() {
        return String.format(
                Locale.US,
                "runtime.buffer-timeout %s, checkpoints %s, producer and sink linger.ms %d (acks=all,"
                        + " idempotent), source and reader fetch.min.bytes 1 (Kafka's default: a"
                        + " fetch returns as soon as data is there)",
                text(settings.bufferTimeout()),
                settings.latencyCheckpointInterval() == null
                        ? "off"
                        : "every " + text(settings.latencyCheckpointInterval()),
                settings.lingerMs());
    }
}
