package io.sluice.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Records this JVM's garbage-collection pauses (start as epoch milliseconds, duration), so that a
 * latency figure can be read next to the pauses that fell into its measured interval. Concurrent
 * collector cycles (G1's concurrent phases, ZGC's and Shenandoah's cycles) are not pauses and are
 * left out.
 */
final class GcWatch implements AutoCloseable {
    /** One collection: epoch millisecond it started, its duration in milliseconds, its name. */
    record Pause(long startMs, long durationMs, String collector) {}

    private final long jvmStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final List<Pause> pauses = new ArrayList<>();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = (n, handback) -> record(n.getUserData());

    GcWatch() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(
                        listener,
                        n ->
                                n.getType()
                                        .equals(
                                                GarbageCollectionNotificationInfo
                                                        .GARBAGE_COLLECTION_NOTIFICATION),
                        null);
                emitters.add(e);
            }
        }
    }

    private void record(Object data) {
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) data);
        String name = info.getGcName();
        // G1's and Shenandoah's concurrent phases, ZGC's cycles: not pauses
        if (name.contains("Concurrent") || name.contains("Cycles")) {
            return;
        }
        synchronized (pauses) {
            pauses.add(
                    new Pause(
                            jvmStartMs + info.getGcInfo().getStartTime(),
                            info.getGcInfo().getDuration(),
                            info.getGcName()));
        }
    }

    /**
     * {@code N pauses, T ms in all, longest L ms} for pauses starting in {@code [fromMs, toMs)}.
     */
    String between(long fromMs, long toMs) {
        long n = 0;
        long total = 0;
        long longest = 0;
        synchronized (pauses) {
            for (Pause p : pauses) {
                if (p.startMs() >= fromMs && p.startMs() < toMs) {
                    n++;
                    total += p.durationMs();
                    longest = Math.max(longest, p.durationMs());
                }
            }
        }
        return String.format(
                Locale.US, "%d pauses, %d ms in all, longest %d ms", n, total, longest);
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (ListenerNotFoundException ignored) {
                // already gone
            }
        }
    }
}
