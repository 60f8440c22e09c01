package io.sluice.runtime.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.row.EventRow;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.Spec.FieldMapping;
import io.sluice.spec.yaml.Pos;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reading values from a token stream gives what reading them from a tree gives: the value of {@link
 * ValueParser#fromJson} whenever {@link ValueParser#fromToken} answers, and compact JSON text equal
 * to {@code JsonNode.toString()}.
 */
class FastJsonTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static final List<String> VALUES =
            List.of(
                    "null",
                    "true",
                    "false",
                    "0",
                    "-0",
                    "42",
                    "-7",
                    "2147483648",
                    "9223372036854775807",
                    "9223372036854775808",
                    "123456789012345678901234567890",
                    "1.5",
                    "-0.0",
                    "1e3",
                    "1E-7",
                    "2.50",
                    "0.1",
                    "1e400",
                    "4.9e-325",
                    "\"\"",
                    "\" \"",
                    "\"text\"",
                    "\"12\"",
                    "\"1.5\"",
                    "\"true\"",
                    "\"2026-11-21T08:36:05.123Z\"",
                    "\"2026-11-21T08:36:05\"",
                    "\"11/21/2026\"",
                    "\"é \\u00e9 \\\" \\\\ \\n \\t \\u0001 \\ud83d\\ude00\"",
                    "{}",
                    "[]",
                    "{\"a\":1,\"b\":[1,2.50,-0.0,1e3,\"x\",null,true,{\"c\":{}}],\"d\":\"\\u2028\"}",
                    "[{\"k\":123456789012345678901234567890},1.0E10]",
                    "{\"\\u0000\\u001f\\u007f\\b\\f\\r\\/\":\"\\ud800 \\u00ff \\u2028\\u2029 \u4e2d\"}",
                    "[1e400,-1e400,4.9e-324,1.7976931348623157E308,-2147483649,2147483647]");

    static ValueParser parser(FieldType type) {
        return new ValueParser(
                new FieldMapping("f", "f", type, null, null, "UTC", false, new Pos("t", 1, 1)));
    }

    static Object fromTree(ValueParser p, String json) {
        try {
            return p.fromJson(JSON.readTree("{\"f\":" + json + "}").get("f"));
        } catch (BadValue e) {
            return "bad: " + e.getMessage();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void tokensReadLikeTreesForEveryType() throws Exception {
        CompactJson compact = new CompactJson();
        int answered = 0;
        for (FieldType type : FieldType.values()) {
            ValueParser p = parser(type);
            for (String v : VALUES) {
                try (JsonParser jp = JSON.getFactory().createParser(v)) {
                    jp.nextToken();
                    Object fast = p.fromToken(jp, compact);
                    if (fast == ValueParser.UNSURE) {
                        continue;
                    }
                    answered++;
                    assertThat(fast).as(type + " " + v).isEqualTo(fromTree(p, v));
                }
            }
        }
        assertThat(answered).isGreaterThan(60);
    }

    @Test
    void compactCopiesEqualTreeText() throws Exception {
        CompactJson compact = new CompactJson();
        for (String v : VALUES) {
            if (!v.startsWith("{") && !v.startsWith("[")) {
                continue;
            }
            String spaced = v.replace(",", " ,\n ").replace(":", " : ");
            for (String text : List.of(v, spaced)) {
                try (JsonParser jp = CompactJson.factory().createParser(text)) {
                    jp.nextToken();
                    assertThat(compact.copy(jp)).isEqualTo(JSON.readTree(text).toString());
                }
            }
        }
    }

    @Test
    void aDecodedPayloadIsTheTreesTextAndValuesAreTheTreesValues() throws Exception {
        io.sluice.spec.model.Spec spec =
                io.sluice.runtime.testutil.Specs.load(io.sluice.runtime.testutil.Specs.ROUTED);
        RowDecoder decoder = new RowDecoder(spec.source("events"), null);
        List<String> payloads = new ArrayList<>();
        for (String v : VALUES) {
            if (v.startsWith("{") || v.startsWith("[")) {
                payloads.add(v);
            }
        }
        payloads.add("{ \"amount\" : 2.50 , \"name\" : \"Zoë\" }");
        for (String payload : payloads) {
            String line =
                    "{\"event_id\":\"e-1\",\"event_type\":\"order\",\"tenant_id\":\"acme\","
                            + "\"event_time\":\"2026-11-21T08:36:05.120+01:00\",\"payload\":"
                            + payload
                            + ",\"extra\":{\"deep\":[1,2,{\"x\":null}]}}";
            List<EventRow> dead = new ArrayList<>();
            EventRow row = decoder.decode(line.getBytes(StandardCharsets.UTF_8), "o", dead::add);
            assertThat(dead).isEmpty();
            JsonNode tree = JSON.readTree(line);
            assertThat(row.get(0)).isEqualTo("e-1");
            assertThat(row.get(3))
                    .isEqualTo(
                            java.time.OffsetDateTime.parse("2026-11-21T08:36:05.120+01:00")
                                    .toInstant()
                                    .toEpochMilli());
            assertThat(row.get(4)).isEqualTo(tree.get("payload").toString());
        }
    }

    @Test
    void repeatedKeysAnywhereAreLeftToTheTreePath() throws Exception {
        CompactJson compact = new CompactJson();
        for (String v :
                List.of(
                        "{\"a\":1,\"a\":2}",
                        "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}",
                        "[{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
                                + "\"k8\":8,\"k9\":9,\"k1\":10}]")) {
            try (JsonParser jp = CompactJson.factory().createParser(v)) {
                jp.nextToken();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> compact.copy(jp))
                        .isInstanceOf(CompactJson.DuplicateKey.class);
            }
        }
        io.sluice.spec.model.Spec spec =
                io.sluice.runtime.testutil.Specs.load(io.sluice.runtime.testutil.Specs.ROUTED);
        RowDecoder decoder = new RowDecoder(spec.source("events"), null);
        for (String line :
                List.of(
                        "{\"event_id\":\"e\",\"event_type\":\"t\",\"event_time\":0,"
                                + "\"payload\":{\"a\":{\"b\":1,\"b\":2}}}",
                        "{\"event_id\":\"e\",\"event_type\":\"t\",\"event_time\":0,"
                                + "\"payload\":{},\"other\":[{\"x\":1,\"x\":1}]}")) {
            List<EventRow> dead = new ArrayList<>();
            assertThat(decoder.decode(line.getBytes(StandardCharsets.UTF_8), "o", dead::add))
                    .isNull();
            assertThat(dead)
                    .singleElement()
                    .satisfies(
                            d -> {
                                assertThat(d.get(0)).isEqualTo("malformed-json");
                                assertThat((String) d.get(1)).contains("Duplicate field");
                            });
        }
    }
}
