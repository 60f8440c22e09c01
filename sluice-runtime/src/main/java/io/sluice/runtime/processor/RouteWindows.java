package io.sluice.runtime.processor;

import dev.cel.runtime.CelEvaluationException;
import io.sluice.runtime.route.RouteLogic;
import io.sluice.runtime.route.RouteScope;
import io.sluice.runtime.route.WindowSet;
import io.sluice.runtime.route.WindowSet.Pane;
import io.sluice.runtime.route.WindowSet.Window;
import io.sluice.runtime.row.DeadLetters.Reason;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Options;
import io.sluice.spec.routes.RouteSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Event-time windows of a live route ({@code window-aggregate}, {@code threshold-alert}), kept in
 * the route key's state. An event opens the windows its version's size and slide assign it to and
 * also updates every window already open that covers its time, whatever version opened that one:
 * windows that open after a new version reaches the task use its params; windows already open
 * finish with the params they opened with, and their results carry that version. A window fires
 * when the watermark passes its end; with allowed lateness it stays until the watermark passes end
 * plus lateness, and each late event re-fires it. An event too late for every window goes to the
 * late output (or dead letters).
 *
 * <p>Windows hold no accumulators: an event updates one pane (gcd of size and slide) per version
 * among the windows covering it, and a firing window merges its version's panes. A pane is removed
 * with the last window of its version that covers it.
 */
final class RouteWindows implements RouteLogic {
    private final long size;
    private final long slide;
    private final long lateness;
    private final long slice;
    private final String[] measureNames;
    private final int[] measureIndex;
    private final String[] fns;
    private final WindowAggregateProcessor.Accumulate accumulate;
    private final RowSchema input;
    private final int[] keyIndex;
    private final String lateOutput;
    private final CelProgram condition;
    private final String step;

    private RouteWindows(RouteSpec route, String step, CelProgram condition) {
        Options o = route.params();
        Options w = o.object("window");
        this.size = w.duration("size").toMillis();
        this.slide =
                "sliding".equals(w.string("type")) ? w.duration("slide").toMillis() : this.size;
        this.lateness = o.duration("allowed-lateness").toMillis();
        this.slice = PaneWindowOperator.gcd(size, slide);
        List<Options> aggs = o.list("aggregates");
        this.measureNames = new String[aggs.size()];
        this.measureIndex = new int[aggs.size()];
        this.fns = new String[aggs.size()];
        this.input = route.input();
        for (int i = 0; i < aggs.size(); i++) {
            String f = aggs.get(i).string("field");
            measureNames[i] = f;
            measureIndex[i] = f == null ? -1 : input.indexOf(f);
            fns[i] = aggs.get(i).string("fn");
        }
        this.accumulate = new WindowAggregateProcessor.Accumulate(measureIndex, fns);
        this.keyIndex = route.key().stream().mapToInt(input::indexOf).toArray();
        this.lateOutput = o.string("late-output");
        this.condition = condition;
        this.step = step;
    }

    /** The route's window logic; with a condition, only results meeting it are emitted. */
    static RouteWindows of(RouteSpec route, String step, CelProgram condition) {
        return new RouteWindows(route, step, condition);
    }

    @Override
    public void process(EventRow row, Long timestamp, RouteScope scope) throws Exception {
        if (timestamp == null) {
            scope.deadLetter(Reason.MISSING_FIELD, "the event has no event time", null, row);
            return;
        }
        long ts = timestamp;
        long wm = scope.currentWatermark();
        WindowSet set = scope.windows();
        if (set == null) {
            set = new WindowSet();
            Object[] key = new Object[keyIndex.length];
            for (int i = 0; i < key.length; i++) {
                key[i] = row.get(keyIndex[i]);
            }
            set.key = key;
        }
        // the windows covering the event: this version's geometry (opening those not open yet),
        // then windows of other geometries already open
        List<Window> covering = new ArrayList<>(16);
        long last = ts - Math.floorMod(ts, slide);
        for (long start = last; start > ts - size; start -= slide) {
            long end = start + size;
            if (end - 1 + lateness <= wm) {
                continue;
            }
            Window w = set.find(start, end);
            if (w == null) {
                w = new Window(start, end, scope.version(), false, NO_ACCUMULATOR);
                set.windows.add(w);
                scope.registerTimer(end - 1);
                if (lateness > 0) {
                    scope.registerTimer(end - 1 + lateness);
                }
            }
            covering.add(w);
        }
        for (Window w : set.windows) {
            boolean own = w.end - w.start == size && Math.floorMod(w.start, slide) == 0;
            if (own || ts < w.start || ts >= w.end || w.end - 1 + lateness(w, scope) <= wm) {
                continue;
            }
            covering.add(w);
        }
        boolean taken = !covering.isEmpty();
        // the row goes into one pane per version among them, not into every window
        for (int i = 0; i < covering.size(); i++) {
            Window w = covering.get(i);
            if (!firstOfItsVersion(covering, i)) {
                continue;
            }
            RouteWindows owner = owner(w, scope);
            long paneEnd = ts - Math.floorMod(ts, owner.slice) + owner.slice;
            Pane pane = set.pane(w.version, owner.slice, paneEnd);
            if (pane == null) {
                pane =
                        new Pane(
                                w.version,
                                owner.slice,
                                paneEnd,
                                owner.accumulate.createAccumulator());
                set.panes.add(pane);
            }
            owner.add(pane.acc, row, input);
        }
        for (Window w : covering) {
            if (w.fired) {
                // a late event within the allowed lateness: the window fires again, updated
                owner(w, scope).fire(w, scope, set);
            }
        }
        scope.windows(set);
        if (!taken) {
            if (lateOutput != null) {
                scope.emitTo(lateOutput, row, input);
            } else {
                scope.deadLetter(
                        Reason.LATE, "the event arrived after all its windows closed", null, row);
            }
        }
    }

    private static final double[] NO_ACCUMULATOR = new double[0];

    private static boolean firstOfItsVersion(List<Window> windows, int i) {
        for (int j = 0; j < i; j++) {
            if (windows.get(j).version == windows.get(i).version) {
                return false;
            }
        }
        return true;
    }

    private RouteWindows owner(Window w, RouteScope scope) {
        if (w.version == scope.version()) {
            return this;
        }
        RouteLogic l = scope.logicAt(w.version);
        return l instanceof RouteWindows rw ? rw : this;
    }

    private long lateness(Window w, RouteScope scope) {
        return owner(w, scope).lateness;
    }

    /** Adds a row of {@code schema} (this version's or a newer one's) to the accumulator. */
    private void add(double[] acc, EventRow row, RowSchema schema) {
        if (schema.equals(input)) {
            accumulate.add(row, acc);
            return;
        }
        // the same layout as this version's: a field missing from the newer schema keeps its slots
        int[] idx = new int[measureNames.length];
        for (int i = 0; i < idx.length; i++) {
            int at = measureNames[i] == null ? -1 : schema.indexOf(measureNames[i]);
            idx[i] =
                    measureNames[i] == null
                            ? WindowAggregateProcessor.Accumulate.ROWS
                            : at < 0 ? WindowAggregateProcessor.Accumulate.ABSENT : at;
        }
        new WindowAggregateProcessor.Accumulate(idx, fns).add(row, acc);
    }

    /** Emits window {@code w} of this version: the merge of its panes. */
    private void fire(Window w, RouteScope scope, WindowSet set) throws CelEvaluationException {
        double[] acc = accumulate.createAccumulator();
        for (Pane p : set.panes) {
            if (p.version == w.version && p.slice == slice && p.end > w.start && p.end <= w.end) {
                acc = accumulate.merge(acc, p.acc);
            }
        }
        EventRow result = EventRow.of(accumulate.values(set.key, w.start, w.end, acc));
        if (condition != null && !Boolean.TRUE.equals(condition.eval(result))) {
            return;
        }
        scope.emitAs(w.version, result);
    }

    private static boolean covered(Pane p, List<Window> windows) {
        for (Window w : windows) {
            if (w.version == p.version && p.end > w.start && p.end <= w.end) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean usesWindows() {
        return true;
    }

    @Override
    public void onTimer(long timestamp, RouteScope scope) throws Exception {
        WindowSet set = scope.windows();
        if (set == null) {
            return;
        }
        List<Window> keep = new ArrayList<>(set.windows.size());
        for (Window w : set.windows) {
            RouteWindows owner = owner(w, scope);
            if (!w.fired && w.end - 1 <= timestamp) {
                owner.fire(w, scope, set);
                w.fired = true;
            }
            if (!(w.fired && w.end - 1 + owner.lateness <= timestamp)) {
                keep.add(w);
            }
        }
        set.windows.clear();
        set.windows.addAll(keep);
        // a pane goes with the last window of its version that covers it
        set.panes.removeIf(p -> !covered(p, keep));
        scope.windows(set);
    }
}
