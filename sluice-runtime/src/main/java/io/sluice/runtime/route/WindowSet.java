package io.sluice.runtime.route;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The open windows of one route key and the panes they merge. Each window remembers the config
 * version that opened it, so it aggregates and emits with that version's params even after a newer
 * version arrives; a key usually has a handful (a 1 h window sliding by 5 min: 12, over 13 panes of
 * 5 min). A row updates one pane per version among the windows covering it, not every window.
 */
public final class WindowSet {
    /** One window: bounds [start, end), the version that opened it, its accumulator. */
    public static final class Window {
        public final long start;
        public final long end;
        public final long version;
        public boolean fired;
        public final double[] acc;

        public Window(long start, long end, long version, boolean fired, double[] acc) {
            this.start = start;
            this.end = end;
            this.version = version;
            this.fired = fired;
            this.acc = acc;
        }
    }

    /**
     * One pane: the rows of [end - slice, end) for the windows of one version (whose geometry gives
     * the slice, gcd of size and slide), aggregated with that version's params.
     */
    public static final class Pane {
        public final long version;
        public final long slice;
        public final long end;
        public final double[] acc;

        public Pane(long version, long slice, long end, double[] acc) {
            this.version = version;
            this.slice = slice;
            this.end = end;
            this.acc = acc;
        }
    }

    public final List<Window> windows = new ArrayList<>();

    /** The panes the open windows merge when they fire; a window itself holds no accumulator. */
    public final List<Pane> panes = new ArrayList<>();

    /** The pane of {@code version} and {@code slice} ending at {@code end}, or null. */
    public Pane pane(long version, long slice, long end) {
        for (Pane p : panes) {
            if (p.end == end && p.version == version && p.slice == slice) {
                return p;
            }
        }
        return null;
    }

    /** The route key's values (the leading fields of every result), set by the first event. */
    public Object[] key = new Object[0];

    public Window find(long start, long end) {
        for (Window w : windows) {
            if (w.start == start && w.end == end) {
                return w;
            }
        }
        return null;
    }

    public static final TypeInformation<WindowSet> TYPE =
            new SerializerTypeInfo<>(WindowSet.class, Serializer.INSTANCE);

    /** Writes each window's bounds, version, fired flag (and empty accumulator), then the panes. */
    public static final class Serializer extends TypeSerializerSingleton<WindowSet> {
        private static final long serialVersionUID = 1L;
        static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public WindowSet createInstance() {
            return new WindowSet();
        }

        @Override
        public WindowSet copy(WindowSet from) {
            WindowSet out = new WindowSet();
            out.key = from.key.clone();
            for (Window w : from.windows) {
                out.windows.add(new Window(w.start, w.end, w.version, w.fired, w.acc.clone()));
            }
            for (Pane p : from.panes) {
                out.panes.add(new Pane(p.version, p.slice, p.end, p.acc.clone()));
            }
            return out;
        }

        @Override
        public WindowSet copy(WindowSet from, WindowSet reuse) {
            return copy(from);
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(WindowSet set, DataOutputView out) throws IOException {
            TaggedValues.write(set.key, out);
            out.writeInt(set.windows.size());
            for (Window w : set.windows) {
                out.writeLong(w.start);
                out.writeLong(w.end);
                out.writeLong(w.version);
                out.writeBoolean(w.fired);
                writeDoubles(w.acc, out);
            }
            out.writeInt(set.panes.size());
            for (Pane p : set.panes) {
                out.writeLong(p.version);
                out.writeLong(p.slice);
                out.writeLong(p.end);
                writeDoubles(p.acc, out);
            }
        }

        private static void writeDoubles(double[] values, DataOutputView out) throws IOException {
            out.writeInt(values.length);
            for (double d : values) {
                out.writeDouble(d);
            }
        }

        private static double[] readDoubles(DataInputView in) throws IOException {
            double[] values = new double[in.readInt()];
            for (int j = 0; j < values.length; j++) {
                values[j] = in.readDouble();
            }
            return values;
        }

        @Override
        public WindowSet deserialize(DataInputView in) throws IOException {
            WindowSet set = new WindowSet();
            set.key = TaggedValues.read(in);
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                long start = in.readLong();
                long end = in.readLong();
                long version = in.readLong();
                boolean fired = in.readBoolean();
                set.windows.add(new Window(start, end, version, fired, readDoubles(in)));
            }
            int panes = in.readInt();
            for (int i = 0; i < panes; i++) {
                long version = in.readLong();
                long slice = in.readLong();
                long end = in.readLong();
                set.panes.add(new Pane(version, slice, end, readDoubles(in)));
            }
            return set;
        }

        @Override
        public WindowSet deserialize(WindowSet reuse, DataInputView in) throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView in, DataOutputView out) throws IOException {
            serialize(deserialize(in), out);
        }

        @Override
        public TypeSerializerSnapshot<WindowSet> snapshotConfiguration() {
            return new PanesSnapshot();
        }

        /**
         * The layout before panes (an accumulator per window, no panes). Kept so that state written
         * with it is recognised, and refused: windows open at such a savepoint cannot be carried
         * over, and Flink says so instead of misreading them.
         */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<WindowSet> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }

        /** Windows and their panes; no parameters. */
        public static final class PanesSnapshot extends SimpleTypeSerializerSnapshot<WindowSet> {
            public PanesSnapshot() {
                super(() -> INSTANCE);
            }

            @Override
            public org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility<
                            WindowSet>
                    resolveSchemaCompatibility(TypeSerializerSnapshot<WindowSet> old) {
                if (old instanceof Snapshot) {
                    return org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility
                            .incompatible();
                }
                return super.resolveSchemaCompatibility(old);
            }
        }
    }
}
