package io.sluice.runtime.processor;

import io.sluice.runtime.row.EventRow;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.array.DoublePrimitiveArraySerializer;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Tumbling and sliding event-time windows over panes: time is cut into panes of {@code gcd(size,
 * slide)}; an event updates the one pane it falls in, and a window's result merges the panes it
 * covers. A 1 h window sliding by 5 min thus costs one accumulator update per event instead of
 * twelve, and keeps one accumulator per pane instead of one per window.
 *
 * <p>Panes are combined in a heap buffer per (key, pane) first and written to keyed state when the
 * watermark reaches the first window a buffered pane belongs to, before a checkpoint barrier, or
 * when the buffer is full, so a state backend such as RocksDB sees about one read and one write per
 * key and pane instead of per event.
 *
 * <p>Semantics are those of Flink's {@code SlidingEventTimeWindows} with an {@code
 * EventTimeTrigger}: a window [start, end) fires when the watermark reaches {@code end - 1}, with
 * timestamp {@code end - 1}, only if it holds rows; with allowed lateness L it stays until the
 * watermark reaches {@code end - 1 + L}, and every row arriving in between fires it again with the
 * updated result. A row for which every window has passed that point goes to the late output.
 *
 * <p>State: one {@code MapState<pane end, accumulator>} per key. A pane is removed when the
 * watermark passes the cleanup time of the last window covering it, so a key whose rows stop leaves
 * no state and no timers.
 */
public final class PaneWindowOperator extends AbstractStreamOperator<EventRow>
        implements OneInputStreamOperator<EventRow, EventRow>, Triggerable<Object, VoidNamespace> {
    private static final long serialVersionUID = 1L;

    /** Buffered panes before the buffer is written to state regardless of the watermark. */
    static final int BUFFER_LIMIT = 50_000;

    private final long size;
    private final long slide;
    private final long slice;
    private final boolean cumulative;
    private final long lateness;
    private final WindowAggregateProcessor.Accumulate accumulate;
    private final OutputTag<EventRow> lateTag;

    private transient MapState<Long, double[]> panes;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient Map<Object, PaneBuffer> buffer;
    private transient int buffered;
    private transient long firstDue;
    private transient StreamRecord<EventRow> reuse;
    private transient KeptWatermark watermark;

    PaneWindowOperator(
            long size,
            long slide,
            long lateness,
            WindowAggregateProcessor.Accumulate accumulate,
            OutputTag<EventRow> lateTag) {
        this(size, slide, lateness, accumulate, lateTag, false);
    }

    /**
     * With {@code cumulative}, windows grow: time is cut into blocks of {@code size}, and every
     * {@code slide} (the step, dividing the size) a window [block start, now) fires with all rows
     * of the block so far, as Flink SQL's {@code CUMULATE}.
     */
    PaneWindowOperator(
            long size,
            long slide,
            long lateness,
            WindowAggregateProcessor.Accumulate accumulate,
            OutputTag<EventRow> lateTag,
            boolean cumulative) {
        this.size = size;
        this.slide = slide;
        this.cumulative = cumulative;
        this.slice = gcd(size, slide);
        this.lateness = lateness;
        this.accumulate = accumulate;
        this.lateTag = lateTag;
    }

    static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /**
     * Flink does not checkpoint watermarks: a restored task starts from none. The last watermark is
     * kept in operator state, so rows replayed after a restore are judged on time, late within the
     * lateness (firing their windows again) or too late exactly as before the failure.
     */
    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        watermark = new KeptWatermark();
        watermark.initialize(context);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        watermark.snapshot(timers.currentWatermark());
    }

    /** The watermark, or the one restored from a checkpoint while no newer one arrived. */
    private long watermark() {
        return watermark.current(timers.currentWatermark());
    }

    @Override
    public void open() throws Exception {
        super.open();
        panes =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "panes",
                                        LongSerializer.INSTANCE,
                                        DoublePrimitiveArraySerializer.INSTANCE));
        timers = getInternalTimerService("panes", VoidNamespaceSerializer.INSTANCE, this);
        buffer = new HashMap<>();
        firstDue = Long.MAX_VALUE;
        reuse = new StreamRecord<>(null);
    }

    @Override
    public void processElement(StreamRecord<EventRow> element) throws Exception {
        if (!element.hasTimestamp()) {
            throw new IllegalStateException(
                    "window-aggregate got a row without event time; the source needs 'event-time'");
        }
        long ts = element.getTimestamp();
        long wm = watermark();
        long paneEnd = ts - Math.floorMod(ts, slice) + slice;
        long firstEnd = firstWindowEnd(paneEnd);
        long lastEnd = lastWindowEnd(paneEnd);
        if (lastEnd - 1 + lateness <= wm) {
            output.collect(lateTag, element);
        } else if (firstEnd - 1 > wm) {
            PaneBuffer b = buffer.computeIfAbsent(getCurrentKey(), k -> new PaneBuffer());
            if (b.add(paneEnd, element.getValue(), accumulate)) {
                buffered++;
                firstDue = Math.min(firstDue, firstEnd - 1);
                if (buffered >= BUFFER_LIMIT) {
                    flush();
                }
            }
        } else {
            addLate(element.getValue(), paneEnd, firstEnd, lastEnd, wm);
        }
    }

    /**
     * A row within the allowed lateness of a window that already fired: it goes to state directly
     * and every such window fires again, latest start first as Flink's window operator does.
     */
    private void addLate(EventRow row, long paneEnd, long firstEnd, long lastEnd, long wm)
            throws Exception {
        double[] acc = panes.get(paneEnd);
        if (acc == null) {
            acc = accumulate.createAccumulator();
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, lastEnd - 1 + lateness);
            long unfired = firstEnd + ceilDiv(wm + 1 - firstEnd + 1, slide) * slide;
            if (unfired <= lastEnd) {
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, unfired - 1);
            }
        }
        accumulate.add(row, acc);
        panes.put(paneEnd, acc);
        for (long end = lastEnd; end >= firstEnd; end -= slide) {
            if (end - 1 <= wm && end - 1 + lateness > wm) {
                fire(end, (EventRow) getCurrentKey());
            }
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // until the watermark reaches the first firing a buffered pane takes part in, no timer
        // due now reads or removes a buffered pane: the buffer keeps combining
        if (mark.getTimestamp() >= firstDue) {
            flush();
        }
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    /** Writes the buffered panes to keyed state, registering the timers of new panes. */
    private void flush() throws Exception {
        if (buffered == 0) {
            return;
        }
        for (Map.Entry<Object, PaneBuffer> e : buffer.entrySet()) {
            setCurrentKey(e.getKey());
            PaneBuffer b = e.getValue();
            for (int i = 0; i < b.n; i++) {
                long paneEnd = b.ends[i];
                double[] acc = panes.get(paneEnd);
                if (acc == null) {
                    acc = b.accs[i];
                    timers.registerEventTimeTimer(
                            VoidNamespace.INSTANCE, firstWindowEnd(paneEnd) - 1);
                    if (lateness > 0) {
                        timers.registerEventTimeTimer(
                                VoidNamespace.INSTANCE, lastWindowEnd(paneEnd) - 1 + lateness);
                    }
                } else {
                    acc = accumulate.merge(acc, b.accs[i]);
                }
                panes.put(paneEnd, acc);
            }
        }
        buffer.clear();
        buffered = 0;
        firstDue = Long.MAX_VALUE;
    }

    /**
     * A timer may be a window's firing time ({@code end - 1}), a cleanup time ({@code end - 1 +
     * lateness}) or both; each timestamp fires once per key, so both duties run here in that order.
     */
    @Override
    public void onEventTime(InternalTimer<Object, VoidNamespace> timer) throws Exception {
        long t = timer.getTimestamp();
        EventRow key = (EventRow) timer.getKey();
        if (isWindowEnd(t + 1) && fire(t + 1, key)) {
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, t + slide);
        }
        long cleaned = t + 1 - lateness;
        if (cumulative) {
            // a block's panes go with its last (widest) window
            if (Math.floorMod(cleaned, size) == 0) {
                for (long p = cleaned - size + slice; p <= cleaned; p += slice) {
                    panes.remove(p);
                }
            }
        } else if (isWindowEnd(cleaned)) {
            for (long p = cleaned - size + slice; p <= cleaned + slide - size; p += slice) {
                panes.remove(p);
            }
        }
    }

    /**
     * Emits window [end - size, end) when it holds rows; says whether the next window still covers
     * some of its panes (and so needs a timer).
     */
    private boolean fire(long end, EventRow key) throws Exception {
        double[] merged = null;
        boolean next = false;
        long start = windowStart(end);
        for (long p = start + slice; p <= end; p += slice) {
            double[] acc = panes.get(p);
            if (acc != null) {
                merged = merged == null ? acc.clone() : accumulate.merge(merged, acc);
                next |= cumulative ? end < start + size : p > end + slide - size;
            }
        }
        if (merged != null) {
            Object[] values = accumulate.values(key.values(), start, end, merged);
            output.collect(reuse.replace(EventRow.of(values), end - 1));
        }
        return next;
    }

    @Override
    public void onProcessingTime(InternalTimer<Object, VoidNamespace> timer) {}

    /**
     * Windows start at multiples of the slide (as Flink's, offset 0); they end size later. A
     * cumulating window ends at every step.
     */
    private boolean isWindowEnd(long t) {
        return cumulative ? Math.floorMod(t, slide) == 0 : Math.floorMod(t - size, slide) == 0;
    }

    /** The start of the window ending at {@code end}: for a cumulating one, its block's start. */
    private long windowStart(long end) {
        return cumulative ? (end - 1) - Math.floorMod(end - 1, size) : end - size;
    }

    /** The end of the earliest window covering the pane ending at {@code paneEnd}. */
    private long firstWindowEnd(long paneEnd) {
        if (cumulative) {
            return paneEnd;
        }
        long start = paneEnd - size;
        return start + Math.floorMod(-start, slide) + size;
    }

    /** The end of the latest window covering the pane ending at {@code paneEnd}. */
    private long lastWindowEnd(long paneEnd) {
        if (cumulative) {
            return windowStart(paneEnd) + size;
        }
        long start = paneEnd - slice;
        return start - Math.floorMod(start, slide) + size;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** One key's buffered panes: usually one or two, so a linear search beats a map. */
    static final class PaneBuffer {
        long[] ends = new long[2];
        double[][] accs = new double[2][];
        int n;

        /** Adds the row to its pane; says whether the pane is new. */
        boolean add(long paneEnd, EventRow row, WindowAggregateProcessor.Accumulate accumulate) {
            for (int i = 0; i < n; i++) {
                if (ends[i] == paneEnd) {
                    accumulate.add(row, accs[i]);
                    return false;
                }
            }
            if (n == ends.length) {
                ends = java.util.Arrays.copyOf(ends, n * 2);
                accs = java.util.Arrays.copyOf(accs, n * 2);
            }
            ends[n] = paneEnd;
            accs[n] = accumulate.add(row, accumulate.createAccumulator());
            n++;
            return true;
        }
    }
}
