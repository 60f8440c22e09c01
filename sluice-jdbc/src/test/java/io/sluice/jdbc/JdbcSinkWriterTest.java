package io.sluice.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JdbcSinkWriterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    private static JdbcSink.Writer writer(List<String> key) {
        return new JdbcSink.Writer(
                new JdbcSink.Settings(
                        "wide",
                        "jdbc:mariadb://localhost:1/db",
                        null,
                        null,
                        "t",
                        key,
                        "last_event",
                        List.of("delete"),
                        null,
                        500,
                        200,
                        1000),
                null);
    }

    /**
     * Random batches of upserts (two column sets) and deletes over few keys: the write order is a
     * permutation that keeps every key's records in their order, and puts each key's first record
     * before any key's second (so the first records of all keys form runs by column set).
     */
    @Test
    void theWriteOrderKeepsEachKeysOrderAndGroupsWhatTheRecordsWrite() {
        JdbcSink.Writer w = writer(List.of("id"));
        SplittableRandom r = new SplittableRandom(42);
        for (int round = 0; round < 200; round++) {
            List<JdbcSink.Op> ops = new ArrayList<>();
            List<List<String>> shapes = new ArrayList<>();
            int n = 1 + r.nextInt(60);
            for (int i = 0; i < n; i++) {
                ObjectNode row = JSON.createObjectNode();
                row.put("id", "k" + r.nextInt(1 + r.nextInt(40)));
                row.put("seq", i);
                int kind = r.nextInt(3);
                row.put("last_event", kind == 0 ? "delete" : "add");
                ops.add(new JdbcSink.Op(row, null, 0));
                shapes.add(
                        kind == 0
                                ? null
                                : kind == 1 ? List.of("id", "seq") : List.of("id", "seq", "x"));
            }
            List<JdbcSink.Op> before = List.copyOf(ops);
            Map<JdbcSink.Op, List<String>> shapeOf = new HashMap<>();
            for (int i = 0; i < n; i++) {
                shapeOf.put(ops.get(i), shapes.get(i));
            }
            int[] ranks = w.order(ops, shapes);

            assertThat(ops).containsExactlyInAnyOrderElementsOf(before);
            // the rank of a record is how many of its key's records come before it, and ranks
            // never go back: so records of one rank have different keys (one statement may hold
            // them)
            Map<String, Integer> count = new HashMap<>();
            for (int i = 0; i < n; i++) {
                int c = count.merge(ops.get(i).row().get("id").asText(), 1, Integer::sum) - 1;
                assertThat(ranks[i]).isEqualTo(c);
                if (i > 0) {
                    assertThat(ranks[i]).isGreaterThanOrEqualTo(ranks[i - 1]);
                }
            }
            for (int i = 0; i < n; i++) {
                assertThat(shapes.get(i)).isEqualTo(shapeOf.get(ops.get(i)));
            }
            // each key's records in their order (by seq)
            Map<String, Integer> lastSeq = new HashMap<>();
            Map<String, Integer> rank = new HashMap<>();
            int previousRank = 0;
            for (JdbcSink.Op op : ops) {
                String id = op.row().get("id").asText();
                int seq = op.row().get("seq").asInt();
                assertThat(seq).isGreaterThan(lastSeq.getOrDefault(id, -1));
                lastSeq.put(id, seq);
                int k = rank.merge(id, 1, Integer::sum) - 1;
                assertThat(k).as("ranks never go back").isGreaterThanOrEqualTo(previousRank);
                previousRank = k;
            }
            // within the first records of the keys, one run per column set
            List<List<String>> firstShapes = new ArrayList<>();
            Map<String, Boolean> seen = new HashMap<>();
            for (int i = 0; i < n; i++) {
                if (seen.putIfAbsent(ops.get(i).row().get("id").asText(), true) == null) {
                    List<String> sh = shapes.get(i);
                    if (firstShapes.isEmpty()
                            || !java.util.Objects.equals(
                                    firstShapes.get(firstShapes.size() - 1), sh)) {
                        assertThat(firstShapes).as("one run per column set").doesNotContain(sh);
                        firstShapes.add(sh);
                    }
                }
            }
        }
    }

    @Test
    void keyValuesOfMixedTypesHaveOneConsistentOrder() {
        List<com.fasterxml.jackson.databind.JsonNode> values =
                List.of(
                        JSON.getNodeFactory().nullNode(),
                        JSON.getNodeFactory().numberNode(9),
                        JSON.getNodeFactory().numberNode(10),
                        JSON.getNodeFactory().numberNode(9.5),
                        JSON.getNodeFactory()
                                .numberNode(new java.math.BigInteger("99999999999999999999")),
                        JSON.getNodeFactory().textNode("10"),
                        JSON.getNodeFactory().textNode("9"),
                        JSON.getNodeFactory().textNode("a"),
                        JSON.getNodeFactory().textNode("B"));
        for (var a : values) {
            assertThat(JdbcSink.Writer.compareValues(a, a)).isZero();
            for (var b : values) {
                int ab = Integer.signum(JdbcSink.Writer.compareValues(a, b));
                assertThat(Integer.signum(JdbcSink.Writer.compareValues(b, a))).isEqualTo(-ab);
                for (var c : values) {
                    if (ab < 0 && JdbcSink.Writer.compareValues(b, c) < 0) {
                        assertThat(JdbcSink.Writer.compareValues(a, c)).isNegative();
                    }
                }
            }
        }
        assertThat(JdbcSink.Writer.compareValues(values.get(1), values.get(2))).isNegative();
        assertThat(JdbcSink.Writer.compareValues(values.get(3), values.get(2))).isNegative();
    }

    @Test
    void wideRowsGoFewerToAStatement() {
        assertThat(JdbcSink.Writer.rowsPerStatement(List.of("a", "b"))).isEqualTo(100);
        List<String> wide = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            wide.add("c" + i);
        }
        assertThat(JdbcSink.Writer.rowsPerStatement(wide)).isEqualTo(30);
        assertThat(JdbcSink.Writer.rowsPerStatement(wide) * wide.size()).isLessThan(32_767);
    }

    @Test
    void withoutAKeyTheOrderIsKept() {
        JdbcSink.Writer w = writer(List.of());
        List<JdbcSink.Op> ops = new ArrayList<>();
        List<List<String>> shapes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ops.add(new JdbcSink.Op(JSON.createObjectNode().put("seq", 9 - i), null, 0));
            shapes.add(i % 2 == 0 ? List.of("seq") : List.of("seq", "x"));
        }
        List<JdbcSink.Op> before = List.copyOf(ops);
        w.order(ops, shapes);
        assertThat(ops).containsExactlyElementsOf(before);
    }

    @Test
    void refusalsForWhatARowHoldsAreTellingApartFromOtherErrors() {
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("too long", "22001", 1406))).isTrue();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("check", "23000", 4025))).isTrue();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("fk", "23503"))).isTrue();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("bad int", "HY000", 1366))).isTrue();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("check", "HY000", 3819))).isTrue();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("no table", "42S02", 1146))).isFalse();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("denied", "42000", 1142))).isFalse();
        assertThat(JdbcSink.Writer.rowLevel(new SQLException("gone", "08S01", 0))).isFalse();
        BatchUpdateException batch = new BatchUpdateException("batch", null, 0, new int[0]);
        batch.setNextException(new SQLException("value too long", "22001"));
        assertThat(JdbcSink.Writer.rowLevel(batch)).isTrue();
        assertThat(JdbcSink.Writer.transient_(new SQLException("gone", "08S01", 0))).isTrue();
        assertThat(JdbcSink.Writer.transient_(new SQLException("deadlock", "40001", 1213)))
                .isTrue();
        assertThat(JdbcSink.Writer.transient_(new SQLException("too long", "22001", 1406)))
                .isFalse();
    }

    @Test
    void theColumnAtFaultIsTheLastNameTheMessageGives() {
        assertThat(
                        JdbcSink.Writer.faultyField(
                                new SQLException(
                                        "(conn=5) Data too long for column 'subject_name' at row"
                                                + " 1")))
                .isEqualTo("subject_name");
        assertThat(
                        JdbcSink.Writer.faultyField(
                                new SQLException(
                                        "Incorrect integer value: 'x' for column"
                                                + " `wrongbook`.`wrongbook_wide`.`difficulty` at row"
                                                + " 1")))
                .isEqualTo("difficulty");
        assertThat(JdbcSink.Writer.faultyField(new SQLException("Column 'answer' cannot be null")))
                .isEqualTo("answer");
        assertThat(
                        JdbcSink.Writer.faultyField(
                                new SQLException(
                                        "ERROR: null value in column \"answer\" of relation"
                                                + " \"wrongbook_wide\" violates not-null"
                                                + " constraint")))
                .isEqualTo("answer");
        assertThat(
                        JdbcSink.Writer.faultyField(
                                new SQLException("CONSTRAINT `c` failed for `db`.`t`")))
                .isNull();
    }
}
