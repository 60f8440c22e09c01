package io.sluice.spec.plugin;

/**
 * Marks a source type that attaches a timestamp to every record (Kafka's record timestamp), which a
 * field mapping can read with {@code from: record-timestamp}.
 */
public interface RecordTimestamps {}
