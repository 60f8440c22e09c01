package io.sluice.runtime.route;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-task circuit breakers of live routes: a route whose processor throws {@code failures} times
 * within {@code windowMs} is suspended on this task until a version that changes the route (a new
 * fingerprint) arrives. Not checkpointed: a restarted task starts with every route closed.
 */
final class Breaker {
    private final int failures;
    private final long windowMs;
    private final Map<String, ArrayDeque<Long>> recent = new HashMap<>();
    private final Map<String, String> suspended = new HashMap<>();

    Breaker(int failures, long windowMs) {
        this.failures = failures;
        this.windowMs = windowMs;
    }

    /**
     * Whether the route, as its current fingerprint reads, is suspended; a changed route is
     * resumed.
     */
    boolean isSuspended(String route, String fingerprint) {
        String at = suspended.get(route);
        if (at == null) {
            return false;
        }
        if (at.equals(fingerprint)) {
            return true;
        }
        suspended.remove(route);
        recent.remove(route);
        return false;
    }

    /** Records a failure at {@code now}; true when it trips the breaker. */
    boolean fail(String route, String fingerprint, long now) {
        ArrayDeque<Long> times = recent.computeIfAbsent(route, r -> new ArrayDeque<>());
        times.addLast(now);
        while (!times.isEmpty() && times.peekFirst() <= now - windowMs) {
            times.pollFirst();
        }
        if (times.size() >= failures) {
            suspended.put(route, fingerprint);
            times.clear();
            return true;
        }
        return false;
    }

    int suspendedCount() {
        return suspended.size();
    }
}
