package io.sluice.runtime.row;

import io.sluice.spec.model.Field;
import io.sluice.spec.model.FieldType;
import io.sluice.spec.model.RowSchema;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.flink.util.OutputTag;

/**
 * Rejected rows. Each carries the reason (a stable word, see {@link Reason}), a message that says
 * what to fix, the field at fault, the original payload, where the rejecting rule is written in the
 * spec ({@code position}, file:line), where the row came from ({@code origin}) and the step.
 */
public final class DeadLetters {
    private DeadLetters() {}

    /** Stable reasons, counted in run summaries. */
    public enum Reason {
        INVALID_UTF8("invalid-utf8"),
        EMPTY_LINE("empty-line"),
        MALFORMED_CSV("malformed-csv"),
        MALFORMED_JSON("malformed-json"),
        BAD_VALUE("bad-value"),
        MISSING_FIELD("missing-field"),
        OUT_OF_RANGE("out-of-range"),
        CHECK_FAILED("check-failed"),
        EXPRESSION_ERROR("expression-error"),
        LATE("late"),
        BAD_ENVELOPE("bad-envelope"),
        PROCESSOR_ERROR("processor-error"),
        ROUTE_SUSPENDED("route-suspended"),
        VERSION_EXPIRED("version-expired"),
        MISSING_DIMENSION("missing-dimension"),
        /** An accepted row a sink's store refused for good (a constraint, a value too long). */
        SINK_REJECTED("sink-rejected");

        private final String id;

        Reason(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    public static final RowSchema SCHEMA =
            new RowSchema(
                    java.util.List.of(
                            new Field("reason", FieldType.STRING, false),
                            new Field("message", FieldType.STRING, false),
                            new Field("field", FieldType.STRING, true),
                            new Field("payload", FieldType.STRING, true),
                            new Field("payload_base64", FieldType.STRING, true),
                            new Field("position", FieldType.STRING, true),
                            new Field("origin", FieldType.STRING, true),
                            new Field("step", FieldType.STRING, true)));

    public static final EventRowTypeInfo TYPE = new EventRowTypeInfo(SCHEMA);

    public static final OutputTag<EventRow> TAG = new OutputTag<>("dead-letters", TYPE);

    public static EventRow of(
            Reason reason,
            String message,
            String field,
            byte[] raw,
            String position,
            String origin,
            String step) {
        String payload = null;
        String base64 = null;
        if (raw != null) {
            try {
                payload =
                        StandardCharsets.UTF_8
                                .newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(raw))
                                .toString();
            } catch (CharacterCodingException e) {
                // keep the exact bytes: the text form would hide what was wrong with them
                payload = new String(raw, StandardCharsets.UTF_8);
                base64 = Base64.getEncoder().encodeToString(raw);
            }
        }
        EventRow row =
                new EventRow(
                        new Object[] {
                            reason.id(), message, field, payload, base64, position, origin, step
                        },
                        null,
                        origin,
                        0L);
        return row;
    }

    public static String reason(EventRow deadLetter) {
        return (String) deadLetter.get(0);
    }
}
