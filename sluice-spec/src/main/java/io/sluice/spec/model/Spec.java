package io.sluice.spec.model;

import io.sluice.spec.options.Options;
import io.sluice.spec.yaml.Pos;
import java.time.Duration;
import java.util.List;

/**
 * A loaded and validated pipeline spec: the static topology of a Sluice job. Every part keeps the
 * position it was written at; the loader resolves defaults and computes the row schema before and
 * after each step.
 */
public record Spec(
        String name,
        String description,
        String file,
        String hash,
        RuntimeSpec runtime,
        List<SourceSpec> sources,
        List<SinkSpec> sinks,
        List<PipelineSpec> pipelines) {

    /** This spec with another parallelism (a run's override). */
    public Spec withParallelism(int parallelism) {
        return new Spec(
                name,
                description,
                file,
                hash,
                new RuntimeSpec(
                        parallelism,
                        runtime.checkpointInterval(),
                        runtime.restartAttempts(),
                        runtime.bufferTimeout()),
                sources,
                sinks,
                pipelines);
    }

    public SourceSpec source(String id) {
        return sources.stream().filter(s -> s.id().equals(id)).findFirst().orElse(null);
    }

    public SinkSpec sink(String id) {
        return sinks.stream().filter(s -> s.id().equals(id)).findFirst().orElse(null);
    }

    /** Job-level settings. */
    public record RuntimeSpec(
            int parallelism,
            Duration checkpointInterval,
            int restartAttempts,
            Duration bufferTimeout) {}

    /** How raw bytes become rows: {@code csv} (with header) or {@code json} lines. */
    public record Format(String type, char delimiter) {}

    /**
     * Maps one input column (CSV header name or JSON key) to a typed field, or, with {@code
     * recordTimestamp}, the timestamp the source attached to the record (e.g. Kafka's).
     */
    public record FieldMapping(
            String name,
            String column,
            FieldType type,
            String pattern,
            String unit,
            String timeZone,
            boolean recordTimestamp,
            Pos pos) {}

    /**
     * Which field carries event time, how far out of order events may arrive, and after how long
     * without rows a task stops holding back the watermark (null: never).
     */
    public record EventTime(
            String field, Duration maxOutOfOrderness, Duration idleTimeout, Pos pos) {}

    public record SourceSpec(
            String id,
            String type,
            Pos pos,
            Options options,
            Format format,
            List<FieldMapping> fields,
            EventTime eventTime,
            RowSchema schema) {}

    public record SinkSpec(String id, String type, Pos pos, Options options) {}

    public record PipelineSpec(
            String id, String source, String deadLetters, Pos pos, List<StepSpec> steps) {}

    /**
     * One step. {@code input} is the schema of the rows it receives; {@code result} is the schema
     * of what it emits (for a transform, the rows that continue; for a branch, the results it sends
     * to {@code output}).
     */
    public record StepSpec(
            String id,
            String processor,
            Pos pos,
            Options options,
            String output,
            RowSchema input,
            RowSchema result) {}
}
