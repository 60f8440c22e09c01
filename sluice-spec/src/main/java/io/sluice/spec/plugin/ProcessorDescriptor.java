package io.sluice.spec.plugin;

import io.sluice.spec.model.RowSchema;
import io.sluice.spec.options.Options;
import io.sluice.spec.problem.Problems;
import java.util.List;

/** A processor: one pipeline step (and, with live config, one route's logic). */
public interface ProcessorDescriptor extends PluginDescriptor {

    /** How a step sits in its pipeline. */
    enum Shape {
        /** Rows in, rows out: the rows it emits continue down the pipeline (validate, derive). */
        TRANSFORM,
        /**
         * Computes results sent to its {@code output}; the pipeline continues with its input rows.
         */
        BRANCH
    }

    @Override
    default PluginKind kind() {
        return PluginKind.PROCESSOR;
    }

    Shape shape();

    /**
     * Semantic checks of bound options against the input schema (fields exist, types fit,
     * expressions type-check); problems are added, never thrown. Returns the schema of the rows
     * this step emits, or {@code input} when the options are too broken to tell.
     */
    RowSchema check(Options options, RowSchema input, Problems problems);

    /**
     * Whether the step needs event time (windows); the loader requires the source to declare it.
     */
    default boolean needsEventTime() {
        return false;
    }

    /** Whether a live route may run this processor (the runtime then provides its route logic). */
    default boolean routable() {
        return false;
    }

    /**
     * The options a route's {@code params} take; by default the step's options. A processor whose
     * step options include {@code key} leaves it out here: a route's key is the route's own. The
     * params handed to {@link #check} carry the route's key under {@code key}.
     */
    default io.sluice.spec.options.OptionsSchema routeOptions() {
        return options();
    }

    /** Options whose values name sinks (e.g. {@code late-output}); the loader checks they exist. */
    default List<String> sinkOptions() {
        return List.of();
    }
}
