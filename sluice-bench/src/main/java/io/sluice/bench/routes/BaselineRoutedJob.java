package io.sluice.bench.routes;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.row.EventRow;
import java.io.IOException;
import java.io.Serializable;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.Collector;

/**
 * The baseline: the same static routing written by hand on the DataStream API, as a competent
 * engineer would write it for this one job. One fused function parses the envelope with Jackson,
 * looks up the event type's route in a {@code HashMap}, compares {@code payload.amount} with the
 * route's threshold and writes the passing event as JSON with the same fields and stamps as
 * Sluice's filter route ({@code route}, {@code spec_hash}, {@code config_version}), so the output
 * bytes are the same. No shuffle: the routing is stateless, so nothing needs a key.
 */
final class BaselineRoutedJob {
    private BaselineRoutedJob() {}

    /** A route of the static table: its id (for the {@code route} stamp) and threshold. */
    record Route(String id, double threshold) implements Serializable {}

    static void compose(
            DataStream<EventRow> lines,
            Map<String, Route> routesByType,
            String specHash,
            long configVersion,
            Sink<byte[]> out) {
        lines.flatMap(new RouteFilterEncode(new HashMap<>(routesByType), specHash, configVersion))
                .returns(PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                .uid("route-filter-encode")
                .name("route, filter, encode")
                .sinkTo(out)
                .uid("sink.out")
                .name("out (sink)");
    }

    /** Stateless. Bad lines are counted and skipped (the input has none). */
    static final class RouteFilterEncode extends RichFlatMapFunction<EventRow, byte[]> {
        private static final long serialVersionUID = 1L;
        private final HashMap<String, Route> routes;
        private final String specHash;
        private final long configVersion;
        private transient ObjectMapper mapper;
        private transient ByteArrayBuilder buffer;
        private transient LongCounter bad;
        private transient LongCounter unrouted;

        RouteFilterEncode(HashMap<String, Route> routes, String specHash, long configVersion) {
            this.routes = routes;
            this.specHash = specHash;
            this.configVersion = configVersion;
        }

        @Override
        public void open(OpenContext openContext) {
            mapper = new ObjectMapper();
            buffer = new ByteArrayBuilder(512);
            bad = getRuntimeContext().getLongCounter("baseline.bad-lines");
            unrouted = getRuntimeContext().getLongCounter("baseline.unrouted");
        }

        @Override
        public void flatMap(EventRow line, Collector<byte[]> out) throws IOException {
            JsonNode event;
            try {
                event = mapper.readTree(line.raw());
            } catch (IOException e) {
                bad.add(1);
                return;
            }
            JsonNode type = event == null ? null : event.get("event_type");
            if (type == null || !type.isTextual()) {
                bad.add(1);
                return;
            }
            Route route = routes.get(type.textValue());
            if (route == null) {
                unrouted.add(1);
                return;
            }
            JsonNode payload = event.get("payload");
            JsonNode amount = payload == null ? null : payload.get("amount");
            if (amount == null || !amount.isNumber()) {
                bad.add(1);
                return;
            }
            double value = amount.doubleValue();
            if (!(value > route.threshold())) {
                return;
            }
            Instant time;
            try {
                time = Instant.parse(event.path("event_time").asText());
            } catch (DateTimeException e) {
                bad.add(1);
                return;
            }
            out.collect(encode(event, time, payload, value, route));
        }

        private byte[] encode(
                JsonNode event, Instant time, JsonNode payload, double amount, Route r)
                throws IOException {
            buffer.reset();
            try (JsonGenerator g = mapper.createGenerator(buffer, JsonEncoding.UTF8)) {
                g.writeStartObject();
                text(g, "event_id", event.get("event_id"));
                text(g, "event_type", event.get("event_type"));
                text(g, "domain", event.get("domain"));
                text(g, "tenant_id", event.get("tenant_id"));
                text(g, "scenario_id", event.get("scenario_id"));
                g.writeStringField("event_time", time.toString());
                g.writeFieldName("payload");
                g.writeTree(payload);
                text(g, "user_id", payload.get("user_id"));
                g.writeNumberField("amount", amount);
                g.writeStringField("route", r.id());
                g.writeStringField("spec_hash", specHash);
                g.writeNumberField("config_version", configVersion);
                g.writeEndObject();
            }
            return buffer.toByteArray();
        }

        private static void text(JsonGenerator g, String name, JsonNode v) throws IOException {
            if (v == null || v.isNull()) {
                g.writeNullField(name);
            } else {
                g.writeStringField(name, v.asText());
            }
        }
    }
}
