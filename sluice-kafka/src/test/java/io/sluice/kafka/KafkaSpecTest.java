package io.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.spec.SpecLoader;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.junit.jupiter.api.Test;

/** What the Kafka plugins check when a spec is loaded, before anything runs. */
class KafkaSpecTest {
    static final String SPEC =
            """
            name: eo
            RUNTIME
            sources:
              - id: in
                type: kafka
                bootstrap-servers: 127.0.0.1:9092
                topics: [in]
                format: json
                fields: [{name: id, type: long}]
            sinks:
              - {id: out, type: kafka, bootstrap-servers: 127.0.0.1:9092, topic: out, delivery-guarantee: exactly-once, transaction-timeout: 10s}
            pipelines:
              - id: p
                source: in
                dead-letters: out
                steps: [{id: f, processor: filter, condition: "id > 0"}]
            """;

    static java.util.List<String> problems(String runtime) {
        SpecException e =
                catchThrowableOfType(
                        SpecException.class,
                        () ->
                                new SpecLoader(PluginRegistry.load())
                                        .load("eo.yaml", SPEC.replace("RUNTIME", runtime)));
        return e == null
                ? java.util.List.of()
                : e.problems().stream().map(Problem::toString).toList();
    }

    @Test
    void exactlyOnceNeedsCheckpointsAndATransactionTimeoutAboveThem() {
        assertThat(problems(""))
                .containsExactly(
                        "eo.yaml:11:95: sinks[0].delivery-guarantee: exactly-once commits Kafka transactions at checkpoints: set runtime.checkpoint-interval (e.g. 10s)");
        assertThat(problems("runtime: {checkpoint-interval: 5s}"))
                .containsExactly(
                        "eo.yaml:11:130: sinks[0].transaction-timeout: a transaction stays open for a checkpoint interval or more: make transaction-timeout at least 3 × runtime.checkpoint-interval (15s), or the broker aborts transactions before they commit");
        assertThat(problems("runtime: {checkpoint-interval: 2s}")).isEmpty();
    }

    @Test
    void theQuietClosingWrapperIsEveryKindOfSinkKafkaSinkIs() {
        // a connector upgrade adding an interface to KafkaSink must not be lost by the wrapper
        for (Class<?> i : allInterfaces(KafkaSink.class)) {
            assertThat(i.isAssignableFrom(QuietCloseKafkaSink.class)).as(i.getName()).isTrue();
        }
    }

    static java.util.Set<Class<?>> allInterfaces(Class<?> c) {
        java.util.Set<Class<?>> out = new java.util.LinkedHashSet<>();
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                out.add(i);
                out.addAll(allInterfaces(i));
            }
        }
        return out;
    }
}
