package io.sluice.runtime.row;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventRowSerializerTest {
    private static final FieldType[] ALL_TYPES = {
        FieldType.STRING, FieldType.LONG, FieldType.DOUBLE, FieldType.BOOLEAN, FieldType.TIMESTAMP
    };

    @Test
    void roundTripsEveryFieldTypeWithRawOriginAndVersion() throws IOException {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);
        byte[] raw = "a,1,2.5,true,1700000000000".getBytes(StandardCharsets.UTF_8);
        EventRow row =
                new EventRow(
                        new Object[] {"a", 1L, 2.5, true, 1_700_000_000_000L},
                        raw,
                        "trips.csv:2",
                        7L);

        EventRow back = roundTrip(s, row);

        assertSameRow(back, row);
        assertThat(back.get(0)).isInstanceOf(String.class);
        assertThat(back.get(1)).isInstanceOf(Long.class);
        assertThat(back.get(2)).isInstanceOf(Double.class);
        assertThat(back.get(3)).isInstanceOf(Boolean.class);
        assertThat(back.get(4)).isInstanceOf(Long.class);
    }

    @Test
    void roundTripsExtremeValues() throws IOException {
        EventRowSerializer s =
                new EventRowSerializer(
                        new FieldType[] {
                            FieldType.LONG,
                            FieldType.LONG,
                            FieldType.DOUBLE,
                            FieldType.DOUBLE,
                            FieldType.DOUBLE,
                            FieldType.DOUBLE,
                            FieldType.TIMESTAMP,
                            FieldType.STRING,
                            FieldType.BOOLEAN
                        });
        EventRow row =
                new EventRow(
                        new Object[] {
                            Long.MIN_VALUE,
                            Long.MAX_VALUE,
                            Double.NaN,
                            -0.0,
                            Double.NEGATIVE_INFINITY,
                            Double.MIN_VALUE,
                            -1L,
                            "",
                            false
                        },
                        new byte[0],
                        "",
                        Long.MIN_VALUE);

        EventRow back = roundTrip(s, row);

        assertSameRow(back, row);
        assertThat(Double.doubleToRawLongBits((Double) back.get(3)))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(back.get(7)).isEqualTo("");
        assertThat(back.raw()).isEmpty();
        assertThat(back.origin()).isEqualTo("");
    }

    /** Every combination of null fields, null raw and null origin, for all five types. */
    @Test
    void roundTripsEveryNullPattern() throws IOException {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);
        Object[] full = {"x", -5L, 0.25, false, 86_400_000L};
        int bits = ALL_TYPES.length + 2;
        for (int pattern = 0; pattern < (1 << bits); pattern++) {
            Object[] values = new Object[ALL_TYPES.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = (pattern & (1 << i)) != 0 ? null : full[i];
            }
            byte[] raw = (pattern & (1 << 5)) != 0 ? null : new byte[] {1, 2, 3};
            String origin = (pattern & (1 << 6)) != 0 ? null : "f.csv:" + pattern;
            EventRow row = new EventRow(values, raw, origin, pattern);

            assertSameRow(roundTrip(s, row), row);
        }
    }

    /** The null mask has one bit per field plus two (raw, origin): cross each byte boundary. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 30})
    void roundTripsAnyArityAcrossNullMaskByteBoundaries(int arity) throws IOException {
        Random random = new Random(arity);
        FieldType[] types = new FieldType[arity];
        for (int i = 0; i < arity; i++) {
            types[i] = ALL_TYPES[random.nextInt(ALL_TYPES.length)];
        }
        EventRowSerializer s = new EventRowSerializer(types);
        for (int round = 0; round < 50; round++) {
            Object[] values = new Object[arity];
            for (int i = 0; i < arity; i++) {
                values[i] = random.nextInt(3) == 0 ? null : randomValue(types[i], random);
            }
            byte[] raw = random.nextBoolean() ? null : randomBytes(random);
            String origin = random.nextBoolean() ? null : "o" + random.nextInt();
            EventRow row = new EventRow(values, raw, origin, random.nextLong());
            assertSameRow(roundTrip(s, row), row);
        }
        // the last field and the two trailing flags are the ones most likely to land in the wrong
        // byte
        Object[] lastOnly = new Object[arity];
        if (arity > 0) {
            lastOnly[arity - 1] = randomValue(types[arity - 1], random);
        }
        EventRow row = new EventRow(lastOnly, null, "origin", 3L);
        assertSameRow(roundTrip(s, row), row);
        row = new EventRow(new Object[arity], new byte[] {9}, null, 4L);
        assertSameRow(roundTrip(s, row), row);
    }

    @Test
    void zeroFieldRowWritesOnlyMaskRawOriginAndVersion() throws IOException {
        EventRowSerializer s = new EventRowSerializer(new FieldType[0]);
        EventRow bare = new EventRow(new Object[0], null, null, 42L);
        DataOutputSerializer out = new DataOutputSerializer(16);
        s.serialize(bare, out);
        // one mask byte (raw and origin flags) + 8 bytes of version
        assertThat(out.length()).isEqualTo(1 + 8);
        assertSameRow(roundTrip(s, bare), bare);
    }

    @Test
    void roundTripsStringsLongerThan64KiB() throws IOException {
        StringBuilder b = new StringBuilder();
        while (b.length() < 100_000) {
            b.append("a\u00e9\u20ac\ud83d\ude00"); // 1-, 2-, 3- and 4-byte UTF-8 sequences
        }
        String longText = b.toString();
        assertThat(longText.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(65_535);
        byte[] raw = longText.getBytes(StandardCharsets.UTF_8);
        EventRowSerializer s =
                new EventRowSerializer(
                        new FieldType[] {FieldType.STRING, FieldType.LONG, FieldType.STRING});
        EventRow row = new EventRow(new Object[] {longText, 1L, longText + "!"}, raw, longText, 1L);

        EventRow back = roundTrip(s, row);

        assertSameRow(back, row);
        assertThat(((String) back.get(0))).hasSize(longText.length());
    }

    @Test
    void consecutiveRowsInOneBufferAreReadBackInOrder() throws IOException {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);
        List<EventRow> rows = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            Object[] values = new Object[ALL_TYPES.length];
            for (int j = 0; j < values.length; j++) {
                values[j] = random.nextInt(4) == 0 ? null : randomValue(ALL_TYPES[j], random);
            }
            rows.add(
                    new EventRow(
                            values,
                            random.nextBoolean() ? randomBytes(random) : null,
                            random.nextBoolean() ? "r" + i : null,
                            i));
        }
        DataOutputSerializer out = new DataOutputSerializer(64);
        for (EventRow r : rows) {
            s.serialize(r, out);
        }
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        for (EventRow r : rows) {
            assertSameRow(s.deserialize(in), r);
        }
        assertThat(in.available()).isZero();
    }

    @Test
    void copyBetweenViewsReproducesTheSameBytes() throws IOException {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);
        EventRow row =
                new EventRow(new Object[] {"k", null, 1.5, null, 10L}, new byte[] {1}, "o:1", 9L);
        DataOutputSerializer first = new DataOutputSerializer(32);
        s.serialize(row, first);
        first.writeInt(0xCAFE); // a following record must stay untouched

        DataInputDeserializer in = new DataInputDeserializer(first.getCopyOfBuffer());
        DataOutputSerializer second = new DataOutputSerializer(32);
        s.copy(in, second);

        assertThat(in.readInt()).isEqualTo(0xCAFE);
        DataOutputSerializer expected = new DataOutputSerializer(32);
        s.serialize(row, expected);
        assertThat(second.getCopyOfBuffer()).isEqualTo(expected.getCopyOfBuffer());
    }

    @Test
    void copyIsIndependentOfTheOriginalValues() {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);
        byte[] raw = {1, 2};
        EventRow row = new EventRow(new Object[] {"a", 1L, 2.0, true, 3L}, raw, "o:1", 5L);

        EventRow copy = s.copy(row);
        EventRow copyWithReuse = s.copy(row, s.createInstance());
        copy.set(0, "changed");

        assertThat(row.get(0)).isEqualTo("a");
        assertThat(copyWithReuse.values()).containsExactly("a", 1L, 2.0, true, 3L);
        assertThat(copyWithReuse.raw()).isEqualTo(raw);
        assertThat(copyWithReuse.origin()).isEqualTo("o:1");
        assertThat(copyWithReuse.configVersion()).isEqualTo(5L);
        assertThat(copy.raw()).isEqualTo(raw);
        assertThat(copy.origin()).isEqualTo("o:1");
        assertThat(copy.configVersion()).isEqualTo(5L);
    }

    @Test
    void createInstanceHasTheSchemaArity() {
        assertThat(new EventRowSerializer(ALL_TYPES).createInstance().arity()).isEqualTo(5);
        assertThat(new EventRowSerializer(new FieldType[0]).createInstance().arity()).isZero();
    }

    @Test
    void snapshotRestoresAnEqualSerializer() throws IOException {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);

        TypeSerializerSnapshot<EventRow> restored = writeAndRead(s.snapshotConfiguration());
        TypeSerializer<EventRow> again = restored.restoreSerializer();

        assertThat(again).isEqualTo(s).hasSameHashCodeAs(s);
        EventRow row = new EventRow(new Object[] {"a", null, 2.0, true, 3L}, null, "o", 1L);
        DataOutputSerializer out = new DataOutputSerializer(32);
        s.serialize(row, out);
        assertSameRow(again.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())), row);
    }

    @Test
    void sameTypesAreCompatibleAsIs() throws IOException {
        TypeSerializerSnapshot<EventRow> old =
                writeAndRead(new EventRowSerializer(ALL_TYPES).snapshotConfiguration());
        TypeSerializerSnapshot<EventRow> current =
                new EventRowSerializer(ALL_TYPES.clone()).snapshotConfiguration();

        TypeSerializerSchemaCompatibility<EventRow> c = current.resolveSchemaCompatibility(old);

        assertThat(c.isCompatibleAsIs()).isTrue();
    }

    @Test
    void differentTypesOrArityAreIncompatible() throws IOException {
        TypeSerializerSnapshot<EventRow> old =
                writeAndRead(new EventRowSerializer(ALL_TYPES).snapshotConfiguration());
        FieldType[] changed = ALL_TYPES.clone();
        changed[1] = FieldType.DOUBLE;
        FieldType[] longer = {
            FieldType.STRING,
            FieldType.LONG,
            FieldType.DOUBLE,
            FieldType.BOOLEAN,
            FieldType.TIMESTAMP,
            FieldType.STRING
        };
        FieldType[] reordered = {
            FieldType.LONG,
            FieldType.STRING,
            FieldType.DOUBLE,
            FieldType.BOOLEAN,
            FieldType.TIMESTAMP
        };

        for (FieldType[] types : List.of(changed, longer, reordered, new FieldType[0])) {
            TypeSerializerSchemaCompatibility<EventRow> c =
                    new EventRowSerializer(types)
                            .snapshotConfiguration()
                            .resolveSchemaCompatibility(old);
            assertThat(c.isIncompatible()).as("types %s", List.of(types)).isTrue();
        }
    }

    @Test
    void serializerEqualityFollowsTheTypes() throws Exception {
        EventRowSerializer s = new EventRowSerializer(ALL_TYPES);
        assertThat(s).isEqualTo(new EventRowSerializer(ALL_TYPES.clone()));
        assertThat(s).isNotEqualTo(new EventRowSerializer(new FieldType[] {FieldType.STRING}));
        assertThat(s.duplicate()).isEqualTo(s);
        // serializers travel with the job graph
        assertThat(InstantiationUtil.clone(s)).isEqualTo(s);
        EventRowTypeInfo info =
                new EventRowTypeInfo(
                        RowSchema.of(
                                new Field("a", FieldType.STRING, true),
                                new Field("b", FieldType.LONG, true),
                                new Field("c", FieldType.DOUBLE, true),
                                new Field("d", FieldType.BOOLEAN, true),
                                new Field("e", FieldType.TIMESTAMP, true)));
        assertThat(info.createSerializer(new SerializerConfigImpl())).isEqualTo(s);
        assertThat(info.getArity()).isEqualTo(5);
    }

    // ---------------------------------------------------------------------------------------------

    private static EventRow roundTrip(EventRowSerializer s, EventRow row) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(32);
        s.serialize(row, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        EventRow back = s.deserialize(in);
        assertThat(in.available()).as("bytes left after reading %s", row).isZero();
        // the reuse variant must read the same
        DataInputDeserializer again = new DataInputDeserializer(out.getCopyOfBuffer());
        assertSameRow(s.deserialize(s.createInstance(), again), row);
        return back;
    }

    private static void assertSameRow(EventRow actual, EventRow expected) {
        assertThat(actual.values()).as("values").containsExactly(expected.values());
        assertThat(actual.raw()).as("raw").isEqualTo(expected.raw());
        assertThat(actual.origin()).as("origin").isEqualTo(expected.origin());
        assertThat(actual.configVersion()).as("config version").isEqualTo(expected.configVersion());
    }

    private static TypeSerializerSnapshot<EventRow> writeAndRead(
            TypeSerializerSnapshot<EventRow> snapshot) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(32);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        TypeSerializerSnapshot<EventRow> read =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        in, EventRowSerializerTest.class.getClassLoader());
        assertThat(in.available()).isZero();
        assertThat(read).isInstanceOf(EventRowSerializer.Snapshot.class);
        return read;
    }

    private static Object randomValue(FieldType type, Random random) {
        return switch (type) {
            case STRING -> "s" + random.nextInt(1000) + (random.nextBoolean() ? "\u00fc" : "");
            case LONG, TIMESTAMP -> random.nextLong();
            case DOUBLE -> random.nextGaussian() * 1e6;
            case BOOLEAN -> random.nextBoolean();
            case JSON -> "{\"n\":" + random.nextInt(1000) + "}";
        };
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(20)];
        random.nextBytes(b);
        return b;
    }
}
