package io.sluice.runtime.testutil;

import io.sluice.runtime.processor.ProcessorFactory;
import io.sluice.runtime.processor.StepResult;
import io.sluice.runtime.row.EventRow;
import io.sluice.runtime.row.EventRowTypeInfo;
import io.sluice.spec.plugin.PluginKind;
import java.nio.file.Path;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

/**
 * Builds a step's operator through the real path ({@code ProcessorFactory.apply} on a stream of the
 * step's input type) and wraps it in one of Flink's operator test harnesses, opened.
 */
public final class Harnesses {
    private Harnesses() {}

    /** Applies the step's processor, as the job composer does, to a one-row stream of its input. */
    public static StepResult apply(Specs.LoadedStep s, Path outputDir) {
        ProcessorFactory factory =
                (ProcessorFactory)
                        Specs.registry().find(PluginKind.PROCESSOR, s.step().processor());
        EventRowTypeInfo inputType = new EventRowTypeInfo(s.step().input());
        DataStream<EventRow> input =
                StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(inputType, new EventRow(s.step().input().size()));
        return factory.apply(s.context(outputDir), input);
    }

    @SuppressWarnings("unchecked")
    public static OneInputTransformation<EventRow, EventRow> transformation(StepResult result) {
        return (OneInputTransformation<EventRow, EventRow>)
                ((SingleOutputStreamOperator<EventRow>) result.rows()).getTransformation();
    }

    /** An opened harness around a stateless step's operator. */
    public static OneInputStreamOperatorTestHarness<EventRow, EventRow> oneInput(
            Specs.LoadedStep s, Path outputDir) throws Exception {
        OneInputTransformation<EventRow, EventRow> t = transformation(apply(s, outputDir));
        OneInputStreamOperator<EventRow, EventRow> operator = t.getOperator();
        OneInputStreamOperatorTestHarness<EventRow, EventRow> h =
                new OneInputStreamOperatorTestHarness<>(
                        operator, t.getInputType().createSerializer(new SerializerConfigImpl()));
        h.open();
        return h;
    }

    /**
     * An opened harness around a keyed step's operator, with the key selector and type it was built
     * with.
     */
    @SuppressWarnings("unchecked")
    public static KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> keyed(
            Specs.LoadedStep s, Path outputDir) throws Exception {
        OneInputTransformation<EventRow, EventRow> t = transformation(apply(s, outputDir));
        KeySelector<EventRow, EventRow> keySelector =
                (KeySelector<EventRow, EventRow>) t.getStateKeySelector();
        TypeInformation<EventRow> keyType = (TypeInformation<EventRow>) t.getStateKeyType();
        KeyedOneInputStreamOperatorTestHarness<EventRow, EventRow, EventRow> h =
                new KeyedOneInputStreamOperatorTestHarness<>(t.getOperator(), keySelector, keyType);
        h.open();
        return h;
    }
}
