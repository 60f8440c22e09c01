package io.sluice.control.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the API answers with an error: its status, a JSON body with at least {@code error} (a
 * message that says what to fix), extra headers, and for write attempts the outcome the audit log
 * records ({@code forbidden: ...}, {@code rejected: ...}, {@code conflict: ...}).
 */
final class ApiException extends RuntimeException {
    private final int status;
    private final transient ObjectNode body;
    private final transient Map<String, String> headers = new LinkedHashMap<>();
    private final String outcome;

    ApiException(int status, String outcome, String error) {
        super(error);
        this.status = status;
        this.outcome = outcome;
        this.body = JsonNodeFactory.instance.objectNode().put("error", error);
    }

    ApiException(int status, String error) {
        this(status, "refused", error);
    }

    ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    int status() {
        return status;
    }

    /** The response body; callers may add fields before it is sent. */
    ObjectNode body() {
        return body;
    }

    Map<String, String> headers() {
        return headers;
    }

    /** What the audit log says about a write attempt that ended here. */
    String outcome() {
        return outcome + ": " + getMessage();
    }
}
