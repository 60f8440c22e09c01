package io.sluice.bench.scenarios;

import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigValidator;
import io.sluice.control.store.StoreLocation;
import io.sluice.runtime.route.RoutedEvent;
import io.sluice.runtime.route.ScenarioWindows;
import io.sluice.runtime.route.Scenarios;
import io.sluice.runtime.route.StoreVersions;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.routes.RouteCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Keyed state per active item of the hot-items operators in Flink's keyed harness: one scenario,
 * {@code items} items with ten events each over the last hour (60 min windows sliding by 15 min),
 * then a full snapshot (timers included) with the watermark 1 min behind, as in a running job;
 * keyed state bytes divided by the number of items.
 */
final class HotStateSize {
    private HotStateSize() {}

    private static final String[] ACTIONS = {"impression", "view", "click", "purchase", "like"};

    /** Bytes per active item: {sluice, native}. */
    static long[] perItem(String backend, int items) throws Exception {
        return new long[] {sluice(backend, items), nativeWindows(backend, items)};
    }

    private static EventRow event(SplittableRandom r, int item, long ts) {
        return EventRow.of(
                "acme",
                "feed",
                "u-" + r.nextInt(10_000),
                "i-" + item,
                "c-" + item % 200,
                ACTIONS[r.nextInt(ACTIONS.length)],
                ts,
                null);
    }

    private static long sluice(String backend, int items) throws Exception {
        Path store = Files.createTempDirectory("sluice-hot-state");
        try (ConfigStore st =
                ConfigStores.open(
                        StoreLocation.parse(store.toString()), ConfigValidator.acceptAll())) {
            st.commit(HotScoreBenchmark.CONFIG, 0, "bench", "hot items only");
        }
        RouteCatalog catalog =
                new RouteCatalog(
                        HotScoreBenchmark.INPUT, null, null, null, List.of(), true, false, true);
        ScenarioWindows op =
                new ScenarioWindows(
                        catalog,
                        new StoreVersions(StoreLocation.parse(store.toString()), catalog)
                                .forTasks(),
                        4,
                        new Scenarios.Fields(0, 1, 2, 3, 4, 5, 7),
                        "bench");
        KeyedOneInputStreamOperatorTestHarness<String, RoutedEvent, EventRow> h =
                new KeyedOneInputStreamOperatorTestHarness<>(op, RoutedEvent::key, Types.STRING);
        return measure(
                h,
                backend,
                items,
                (row, ts) -> {
                    h.processElement(
                            new StreamRecord<>(
                                    new RoutedEvent("scenario", 1, "acme\u001ffeed", row), ts));
                });
    }

    @SuppressWarnings("unchecked")
    private static long nativeWindows(String backend, int items) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        var events =
                env.fromData(
                        new EventRowTypeInfo(HotScoreBenchmark.INPUT),
                        event(new SplittableRandom(1), 0, 0));
        SingleOutputStreamOperator<EventRow> out =
                NativeHotItemsJob.itemScores(
                        events,
                        HotScoreBenchmark.WEIGHTS,
                        0.1,
                        HotScoreBenchmark.SIZE,
                        HotScoreBenchmark.SLIDE);
        OneInputStreamOperator<EventRow, EventRow> operator =
                ((OneInputTransformation<EventRow, EventRow>) out.getTransformation())
                        .getOperator();
        KeyedOneInputStreamOperatorTestHarness<String, EventRow, EventRow> h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator, NativeHotItemsJob::itemKey, Types.STRING);
        return measure(
                h, backend, items, (row, ts) -> h.processElement(new StreamRecord<>(row, ts)));
    }

    interface Feed {
        void accept(EventRow row, long ts) throws Exception;
    }

    private static <I> long measure(
            KeyedOneInputStreamOperatorTestHarness<String, I, EventRow> h,
            String backend,
            int items,
            Feed feed)
            throws Exception {
        if (backend.equals("rocksdb")) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        h.open();
        SplittableRandom r = new SplittableRandom(5);
        long start = 1_704_067_200_000L; // 2024-01-01, on the window grid
        int n = items * 10;
        long spacing = 3_600_000L / n;
        long ts = start;
        for (int i = 0; i < n; i++) {
            ts = start + i * spacing;
            feed.accept(event(r, i % items, ts), ts);
            if (i % 1_000 == 999) {
                h.processWatermark(ts - 60_000);
            }
        }
        h.prepareSnapshotPreBarrier(1L);
        OperatorSubtaskState state = h.snapshot(1L, 1L);
        long bytes = state.getManagedKeyedState().getStateSize();
        h.close();
        return bytes / items;
    }
}
