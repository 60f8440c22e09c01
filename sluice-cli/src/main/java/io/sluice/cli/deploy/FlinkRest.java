package io.sluice.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The parts of a Flink cluster's REST API that deploying needs: upload a jar and run it, list and
 * describe jobs, stop one with a savepoint or cancel it. Errors carry what the cluster said.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(String url) {
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
    }

    public String url() {
        String s = base.toString();
        return s.substring(0, s.length() - 1);
    }

    /** {@code GET /overview}: taskmanagers, slots, jobs by state. */
    public JsonNode overview() throws IOException {
        return get("overview");
    }

    /** Uploads a jar; returns the id the cluster gives it. */
    public String upload(Path jar) throws IOException {
        String boundary = "sluice-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest req =
                HttpRequest.newBuilder(base.resolve("jars/upload"))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build();
        JsonNode r = send(req, "upload " + jar.getFileName());
        String file = r.path("filename").asText();
        return file.substring(file.lastIndexOf('/') + 1);
    }

    /**
     * Runs an uploaded jar; returns the job id. {@code savepoint} (may be null) restores state from
     * a savepoint, {@code allowNonRestored} lets state of removed operators go.
     */
    public String run(
            String jarId,
            String entryClass,
            List<String> args,
            String savepoint,
            boolean allowNonRestored)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("entryClass", entryClass);
        body.set("programArgsList", JSON.valueToTree(args));
        if (savepoint != null) {
            body.put("savepointPath", savepoint);
            body.put("allowNonRestoredState", allowNonRestored);
            body.put("claimMode", "NO_CLAIM");
        }
        HttpRequest req =
                HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build();
        return send(req, "run the jar").path("jobid").asText();
    }

    /**
     * Deletes an uploaded jar. A job that runs it keeps running: the cluster handed the jar to the
     * job when it started.
     */
    public void deleteJar(String jarId) throws IOException {
        send(
                HttpRequest.newBuilder(base.resolve("jars/" + jarId)).DELETE().build(),
                "delete jar " + jarId);
    }

    /** {@code GET /jobs/overview}: every job with its name, state, start time. */
    public JsonNode jobs() throws IOException {
        return get("jobs/overview").path("jobs");
    }

    public JsonNode job(String id) throws IOException {
        return get("jobs/" + id);
    }

    /** The job's configuration, global job parameters included. */
    public JsonNode jobConfig(String id) throws IOException {
        return get("jobs/" + id + "/config");
    }

    /**
     * Stops the job with a savepoint into {@code dir} (null: the cluster's default); the path. A
     * job whose tasks are still starting cannot take one yet: that is tried again until the
     * timeout.
     */
    public String stopWithSavepoint(String id, String dir, Duration timeout) throws IOException {
        return savepoint(id, dir, true, timeout);
    }

    /** Takes a savepoint into {@code dir} while the job keeps running; the path. */
    public String triggerSavepoint(String id, String dir, Duration timeout) throws IOException {
        return savepoint(id, dir, false, timeout);
    }

    private String savepoint(String id, String dir, boolean stop, Duration timeout)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return savepointOnce(id, dir, stop, deadline, timeout);
            } catch (IOException e) {
                boolean starting =
                        e.getMessage() != null
                                && e.getMessage().contains("Not all required tasks are currently");
                if (!starting || System.nanoTime() > deadline) {
                    throw e;
                }
                pause();
            }
        }
    }

    private String savepointOnce(
            String id, String dir, boolean stop, long deadline, Duration timeout)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        if (stop) {
            if (dir != null) {
                body.put("targetDirectory", dir);
            }
            body.put("drain", false);
        } else {
            if (dir != null) {
                body.put("target-directory", dir);
            }
            body.put("cancel-job", false);
        }
        HttpRequest req =
                HttpRequest.newBuilder(
                                base.resolve("jobs/" + id + (stop ? "/stop" : "/savepoints")))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build();
        String trigger =
                send(req, (stop ? "stop job " : "take a savepoint of job ") + id)
                        .path("request-id")
                        .asText();
        while (System.nanoTime() < deadline) {
            JsonNode s = get("jobs/" + id + "/savepoints/" + trigger);
            if ("COMPLETED".equals(s.path("status").path("id").asText())) {
                JsonNode op = s.path("operation");
                if (op.has("failure-cause")) {
                    throw new IOException(
                            "the savepoint of job "
                                    + id
                                    + " failed: "
                                    + rootCause(
                                            op.path("failure-cause").path("stack-trace").asText()));
                }
                return op.path("location").asText();
            }
            pause();
        }
        throw new IOException("job " + id + " took over " + timeout + " to stop with a savepoint");
    }

    /**
     * The live-config version the job runs under: the largest {@code activeConfigVersion} its
     * operators report (0 for a job without live routes or scenarios).
     */
    public long configVersion(String id) throws IOException {
        long max = 0;
        for (JsonNode v : job(id).path("vertices")) {
            String path = "jobs/" + id + "/vertices/" + v.path("id").asText() + "/metrics";
            List<String> names = new java.util.ArrayList<>();
            for (JsonNode m : get(path)) {
                String n = m.path("id").asText();
                if (n.endsWith(".activeConfigVersion")) {
                    names.add(n);
                }
            }
            if (names.isEmpty()) {
                continue;
            }
            String get =
                    java.net.URLEncoder.encode(
                            String.join(",", names), java.nio.charset.StandardCharsets.UTF_8);
            for (JsonNode m : get(path + "?get=" + get)) {
                try {
                    max = Math.max(max, Long.parseLong(m.path("value").asText()));
                } catch (NumberFormatException e) {
                    // not reported yet
                }
            }
        }
        return max;
    }

    /** The innermost cause's line of a stack trace, else its first line. */
    static String rootCause(String trace) {
        String last = trace.lines().findFirst().orElse("(no cause given)");
        for (String l : trace.lines().toList()) {
            if (l.startsWith("Caused by: ")) {
                last = l.substring("Caused by: ".length());
            }
        }
        return last;
    }

    /** Cancels the job, without a savepoint. */
    public void cancel(String id) throws IOException {
        HttpRequest req =
                HttpRequest.newBuilder(base.resolve("jobs/" + id + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build();
        send(req, "cancel job " + id);
    }

    /** Waits until the job is in a terminal state; returns it. */
    public String awaitTerminal(String id, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String state = job(id).path("state").asText();
            if (List.of("FINISHED", "CANCELED", "FAILED").contains(state)) {
                return state;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("job " + id + " is still " + state + " after " + timeout);
            }
            pause();
        }
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), "GET /" + path);
    }

    private JsonNode send(HttpRequest req, String what) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IOException(
                    "no Flink cluster answers at "
                            + url()
                            + " (start one with 'sluice cluster start', or pass --rest URL)",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        JsonNode body = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
        if (r.statusCode() >= 300) {
            String errors = body.has("errors") ? causes(body.path("errors")) : r.body().strip();
            throw new IOException(
                    what + " failed (HTTP " + r.statusCode() + " from " + url() + "): " + errors);
        }
        return body;
    }

    /**
     * The cluster's error messages without stack frames: the first line of each, and the innermost
     * cause (what the program itself threw, e.g. the spec's problems).
     */
    private static String causes(JsonNode errors) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : errors) {
            String t = e.asText();
            String first = t.lines().findFirst().orElse("").strip();
            String root = rootCause(t).strip();
            sb.append(sb.isEmpty() ? "" : "; ").append(first);
            if (!root.equals(first)) {
                sb.append(" (cause: ").append(root).append(")");
            }
        }
        return sb.toString();
    }
}
