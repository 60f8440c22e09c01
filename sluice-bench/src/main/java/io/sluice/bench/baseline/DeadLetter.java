package io.sluice.bench.baseline;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.OutputTag;

/**
 * A rejected line with the same fields as Sluice's dead letters: the reason (same words), a
 * message, the field at fault, the payload (and its Base64 when it is not valid UTF-8), where the
 * rejecting rule lives, the line's origin and the step.
 */
public class DeadLetter {
    public static final OutputTag<DeadLetter> TAG =
            new OutputTag<>("dead-letters", Types.POJO(DeadLetter.class));

    public String reason;
    public String message;
    public String field;
    public String payload;
    public String payloadBase64;
    public String position;
    public String origin;
    public String step;

    public DeadLetter() {}

    /** A dead letter for a line that decoded as UTF-8 ({@code line} is its text). */
    public static DeadLetter of(
            String reason,
            String message,
            String field,
            String line,
            String position,
            String origin,
            String step) {
        DeadLetter d = new DeadLetter();
        d.reason = reason;
        d.message = message;
        d.field = field;
        d.payload = line;
        d.position = position;
        d.origin = origin;
        d.step = step;
        return d;
    }

    /** A dead letter for bytes that are not UTF-8: the exact bytes are kept as Base64. */
    public static DeadLetter ofBytes(
            String reason,
            String message,
            byte[] raw,
            String position,
            String origin,
            String step) {
        DeadLetter d =
                of(
                        reason,
                        message,
                        null,
                        new String(raw, StandardCharsets.UTF_8),
                        position,
                        origin,
                        step);
        d.payloadBase64 = Base64.getEncoder().encodeToString(raw);
        return d;
    }
}
