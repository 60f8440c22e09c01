package io.sluice.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The latency benchmark's event source: one thread sending JSON events at a fixed rate into a
 * topic, event {@code i} to partition {@code i mod partitions}, each stamped with its send time
 * ({@code send_ns}, epoch nanoseconds of {@link EpochClock}) and, as event time, the same instant
 * in milliseconds ({@code ts}).
 *
 * <p>Phases: <i>probe</i> (200 events/s until the job's first output shows that it is reading),
 * then full rate: <i>warm-up</i> (at least the configured time, and until the job has caught up
 * with the events sent: at first contact with the full rate, before the JIT has compiled the hot
 * paths, a backlog builds up), <i>measured</i> (the events sent in this interval are the ones
 * measured) and a short <i>tail</i> whose events close the last measured windows. The schedule is
 * absolute (event {@code i} is due at {@code start + i / rate}), so a late wake-up is caught up by
 * sending the events that are due at once, and the rate holds on average.
 *
 * <p>For each partition it records the send time of the first event of every millisecond of event
 * time, and counts the events per millisecond: with them the window benchmark finds, for each
 * window, the event that moved the watermark past its end, and the events the window must count.
 */
final class LatencyGenerator implements Runnable {
    private static final long PROBE_PERIOD_NS = 5_000_000L;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(120);

    enum Phase {
        PROBE("waiting for the job"),
        WARMUP("warm-up"),
        MEASURED("measuring"),
        TAIL("tail"),
        DONE("done");

        final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final int keys;
    private final double rate;
    private final long warmupNs;
    private final long measuredNs;
    private final long tailNs;
    private final BooleanSupplier jobReading;
    private final BooleanSupplier caughtUp;
    private final long maxExtraWarmupNs;

    private final long baseMs;
    private final AtomicLongArray[] firstSend;
    private final AtomicIntegerArray perMs;
    private final StringBuilder json = new StringBuilder(128);

    private volatile Phase phase = Phase.PROBE;
    private volatile long fullStart = Long.MAX_VALUE;
    private volatile long measureStart = Long.MAX_VALUE;
    private volatile boolean caughtUpAtStart;
    private volatile long measureEnd = Long.MAX_VALUE;
    private volatile boolean stop;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong measuredSent = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private volatile long maxLagNs;
    private volatile boolean outOfRange;
    private long seq;

    LatencyGenerator(
            String bootstrapServers,
            String topic,
            int partitions,
            int keys,
            double rate,
            int lingerMs,
            Duration warmup,
            Duration measured,
            Duration tail,
            Duration maxExtraWarmup,
            BooleanSupplier jobReading,
            BooleanSupplier caughtUp) {
        this.topic = topic;
        this.partitions = partitions;
        this.keys = keys;
        this.rate = rate;
        this.warmupNs = warmup.toNanos();
        this.measuredNs = measured.toNanos();
        this.tailNs = tail.toNanos();
        this.jobReading = jobReading;
        this.caughtUp = caughtUp;
        this.maxExtraWarmupNs = maxExtraWarmup.toNanos();
        this.baseMs = EpochClock.millis(EpochClock.nanos());
        int slots =
                (int)
                        (PROBE_TIMEOUT
                                .plus(warmup)
                                .plus(measured)
                                .plus(tail)
                                .plus(maxExtraWarmup)
                                .plusSeconds(30)
                                .toMillis());
        this.firstSend = new AtomicLongArray[partitions];
        for (int p = 0; p < partitions; p++) {
            firstSend[p] = new AtomicLongArray(slots);
        }
        this.perMs = new AtomicIntegerArray(slots);
        this.producer = new KafkaProducer<>(producerConfig(bootstrapServers, lingerMs));
    }

    static Properties producerConfig(String bootstrapServers, int lingerMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-bench-latency");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    @Override
    public void run() {
        try {
            probe();
            if (!stop) {
                fullRate();
            }
            producer.flush();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        } finally {
            phase = Phase.DONE;
            producer.close(Duration.ofSeconds(5));
        }
    }

    private void probe() {
        long next = System.nanoTime();
        long deadline = next + PROBE_TIMEOUT.toNanos();
        while (!stop && !jobReading.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the job wrote nothing within " + PROBE_TIMEOUT.toSeconds() + " s");
            }
            sleepUntil(next);
            send();
            next += PROBE_PERIOD_NS;
        }
    }

    /**
     * Full rate: warm-up for at least the configured time and until the job has caught up with what
     * was sent (at most {@code maxExtraWarmup} longer), then the measured interval and the tail.
     */
    private void fullRate() {
        long t0 = System.nanoTime();
        fullStart = EpochClock.nanos();
        long minWarmupEnd = fullStart + warmupNs;
        long maxWarmupEnd = minWarmupEnd + maxExtraWarmupNs;
        long stopAt = Long.MAX_VALUE;
        phase = Phase.WARMUP;
        double periodNs = 1e9 / rate;
        for (long i = 0; !stop; i++) {
            long due = t0 + (long) (i * periodNs);
            sleepUntil(due);
            long lag = System.nanoTime() - due;
            if (phase == Phase.WARMUP && due - t0 >= warmupNs && i % 100 == 0) {
                boolean ready = caughtUp.getAsBoolean();
                long now = EpochClock.nanos();
                if (ready || now >= maxWarmupEnd) {
                    caughtUpAtStart = ready;
                    measureEnd = now + measuredNs;
                    measureStart = now; // after measureEnd: readers test start first
                    stopAt = measureEnd + tailNs;
                    phase = Phase.MEASURED;
                }
            }
            long t = send();
            if (t >= stopAt) {
                break;
            }
            if (t >= measureEnd) {
                phase = Phase.TAIL;
            } else if (t >= measureStart) {
                measuredSent.incrementAndGet();
                if (lag > maxLagNs) {
                    maxLagNs = lag;
                }
            }
        }
    }

    private static void sleepUntil(long due) {
        long now;
        while ((now = System.nanoTime()) < due) {
            LockSupport.parkNanos(due - now);
        }
    }

    /** Sends the next event now and returns its send time (epoch nanoseconds). */
    private long send() {
        long i = seq++;
        int partition = (int) (i % partitions);
        long t = EpochClock.nanos();
        long ms = EpochClock.millis(t);
        json.setLength(0);
        json.append("{\"id\":")
                .append(i)
                .append(",\"key\":\"k")
                .append(i % keys)
                .append("\",\"ts\":")
                .append(ms)
                .append(",\"send_ns\":")
                .append(t)
                .append(",\"value\":")
                .append((i % 1000) / 10.0)
                .append('}');
        int slot = (int) (ms - baseMs);
        if (slot >= 0 && slot < perMs.length()) {
            firstSend[partition].compareAndSet(slot, 0, t);
            perMs.incrementAndGet(slot);
        } else {
            outOfRange = true;
        }
        producer.send(
                new ProducerRecord<>(
                        topic, partition, null, json.toString().getBytes(StandardCharsets.UTF_8)),
                (meta, e) -> {
                    if (e != null) {
                        sendErrors.incrementAndGet();
                        failure.compareAndSet(null, e);
                    }
                });
        sent.incrementAndGet();
        return t;
    }

    /**
     * Send time of the event that moved the watermark past {@code windowEndMs}: with watermark =
     * event time − 1 ms per task and the window operator taking the minimum over its inputs, that
     * is the later of each partition's first event with event time ≥ the window end. 0 when
     * unknown.
     */
    long triggerSendNanos(long windowEndMs) {
        long latest = 0;
        for (AtomicLongArray sends : firstSend) {
            long first = 0;
            for (int slot = (int) Math.max(0, windowEndMs - baseMs);
                    slot < sends.length() && first == 0;
                    slot++) {
                first = sends.get(slot);
            }
            if (first == 0) {
                return 0;
            }
            latest = Math.max(latest, first);
        }
        return latest;
    }

    /** Events sent with event time in {@code [fromMs, toMs)}. */
    long eventsBetween(long fromMs, long toMs) {
        long n = 0;
        for (long ms = Math.max(fromMs, baseMs); ms < toMs && ms - baseMs < perMs.length(); ms++) {
            n += perMs.get((int) (ms - baseMs));
        }
        return n;
    }

    void stop() {
        stop = true;
    }

    Phase phase() {
        return phase;
    }

    boolean done() {
        return phase == Phase.DONE;
    }

    /** Seconds at full rate before the measured interval began. */
    double warmupSeconds() {
        return (measureStart - fullStart) / 1e9;
    }

    /** Whether the job had caught up when measuring began (else the longest warm-up ran out). */
    boolean caughtUpAtStart() {
        return caughtUpAtStart;
    }

    long measureStart() {
        return measureStart;
    }

    long measureEnd() {
        return measureEnd;
    }

    long sent() {
        return sent.get();
    }

    long measuredSent() {
        return measuredSent.get();
    }

    long sendErrors() {
        return sendErrors.get();
    }

    /** The longest a measured event was sent after its due time. */
    long maxLagNs() {
        return maxLagNs;
    }

    boolean outOfRange() {
        return outOfRange;
    }

    Throwable failure() {
        return failure.get();
    }
}
