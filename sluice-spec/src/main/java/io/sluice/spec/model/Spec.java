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
                        runtime.bufferTimeout(),
                        runtime.state()),
                sources,
                sinks,
                pipelines);
    }

    /** This spec with every pipeline's live routes read from another config store. */
    public Spec withStore(String store) {
        List<PipelineSpec> ps =
                pipelines.stream()
                        .map(
                                p ->
                                        new PipelineSpec(
                                                p.id(),
                                                p.source(),
                                                p.deadLetters(),
                                                p.pos(),
                                                p.steps(),
                                                p.routes() == null
                                                        ? null
                                                        : p.routes().withStore(store),
                                                p.scenarios() == null
                                                        ? null
                                                        : p.scenarios().withStore(store)))
                        .toList();
        return new Spec(name, description, file, hash, runtime, sources, sinks, ps);
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
            Duration bufferTimeout,
            StateSettings state) {
        public RuntimeSpec(
                int parallelism,
                Duration checkpointInterval,
                int restartAttempts,
                Duration bufferTimeout) {
            this(
                    parallelism,
                    checkpointInterval,
                    restartAttempts,
                    bufferTimeout,
                    StateSettings.DEFAULTS);
        }
    }

    /**
     * Where state lives and how checkpoints are taken, as the spec writes them; null where it says
     * nothing (then the cluster's setting, or Flink's default, holds): {@code backend} {@code heap}
     * or {@code rocksdb}; {@code incremental} checkpoints (RocksDB); {@code mode} {@code
     * exactly-once} or {@code at-least-once}; {@code retention} of the last checkpoints when the
     * job is cancelled ({@code delete} or {@code retain}); how many are kept; where checkpoints and
     * savepoints go; how long a checkpoint may take; the least pause between two.
     */
    public record StateSettings(
            String backend,
            Boolean incremental,
            String mode,
            String retention,
            Integer retained,
            String checkpointDir,
            String savepointDir,
            Duration checkpointTimeout,
            Duration minPause) {
        public static final StateSettings DEFAULTS =
                new StateSettings(null, null, null, null, null, null, null, null, null);
    }

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

    /**
     * A pipeline: its static steps, then (optionally) the live routes from a config store. {@code
     * routes} is null for a pipeline without live routing.
     */
    public record PipelineSpec(
            String id,
            String source,
            String deadLetters,
            Pos pos,
            List<StepSpec> steps,
            RoutesSpec routes,
            ScenariosSpec scenarios) {}

    /**
     * Where a pipeline's recommendation scenarios come from (a config store, like live routes), the
     * fields of behaviour events they read, and the sinks their results go to: hot item rankings,
     * user profiles and metrics, and whole rankings (one record per window, e.g. for Redis). Events
     * of a tenant and scenario the config does not have go to {@code unmatched} when named (they
     * are always counted).
     */
    public record ScenariosSpec(
            String store,
            List<String> hotItems,
            List<String> profiles,
            List<String> metrics,
            List<String> rankings,
            String unmatched,
            String tenantField,
            String scenarioField,
            String userField,
            String itemField,
            String categoryField,
            String actionField,
            String watchTimeField,
            java.time.Duration pollInterval,
            int keepVersions,
            Pos pos,
            RowSchema input)
            implements java.io.Serializable {

        public ScenariosSpec withStore(String other) {
            return new ScenariosSpec(
                    other,
                    hotItems,
                    profiles,
                    metrics,
                    rankings,
                    unmatched,
                    tenantField,
                    scenarioField,
                    userField,
                    itemField,
                    categoryField,
                    actionField,
                    watchTimeField,
                    pollInterval,
                    keepVersions,
                    pos,
                    input);
        }
    }

    /**
     * Where a pipeline's live routes come from and what they may use. {@code input} is the schema
     * of the rows reaching the routing stage (the envelope after the static steps); event type,
     * tenant and payload name fields of it. Routes may write to the sinks in {@code outputs};
     * events no route takes go to {@code unrouted}; alerts about routes (a suspended route) to
     * {@code alerts} when named, else only to the log. A route failing {@code breakerFailures}
     * times within {@code breakerWindow} on one task is suspended there until a version changes it.
     */
    public record RoutesSpec(
            String store,
            List<String> outputs,
            String unrouted,
            String alerts,
            String eventType,
            String tenant,
            String payload,
            int breakerFailures,
            java.time.Duration breakerWindow,
            java.time.Duration pollInterval,
            int keepVersions,
            java.time.Duration stateTtl,
            Pos pos,
            RowSchema input)
            implements java.io.Serializable {

        public RoutesSpec withStore(String other) {
            return new RoutesSpec(
                    other,
                    outputs,
                    unrouted,
                    alerts,
                    eventType,
                    tenant,
                    payload,
                    breakerFailures,
                    breakerWindow,
                    pollInterval,
                    keepVersions,
                    stateTtl,
                    pos,
                    input);
        }
    }

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
