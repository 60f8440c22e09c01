package io.sluice.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Samples the JVM's used heap every 50 ms on a daemon thread and keeps the maximum. Used heap
 * includes garbage not yet collected, so the peak says how much heap a run made the JVM hold, not
 * its live set; both sides are measured the same way in the same JVM.
 */
final class HeapSampler {
    private static final long PERIOD_MS = 50;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long peak;

    private HeapSampler() {
        sample();
        thread = new Thread(this::loop, "heap-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    static HeapSampler start() {
        return new HeapSampler();
    }

    private void loop() {
        while (running) {
            sample();
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        long used = memory.getHeapMemoryUsage().getUsed();
        if (used > peak) {
            peak = used;
        }
    }

    /** Stops sampling (after one last sample) and returns the peak in bytes. */
    long stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
        return peak;
    }
}
