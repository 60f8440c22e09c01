package io.sluice.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Requests to a running {@link AdminServer} through {@link HttpClient}, for tests. */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    ApiClient(String base) {
        this.base = base;
    }

    Request request(String method, String path) {
        return new Request(method, path);
    }

    Request get(String path) {
        return request("GET", path);
    }

    /** An answer: status, headers and body, the body also as JSON when it is JSON. */
    record Response(int status, HttpResponse<String> raw) {
        String body() {
            return raw.body();
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        JsonNode json() {
            try {
                return JSON.readTree(raw.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + raw.body(), e);
            }
        }

        @Override
        public String toString() {
            return raw.request().method() + " " + raw.uri() + " -> " + status + " " + raw.body();
        }
    }

    final class Request {
        private final String method;
        private final String path;
        private final HttpRequest.Builder b;
        private String body;

        Request(String method, String path) {
            this.method = method;
            this.path = path;
            this.b =
                    HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        }

        Request token(String token) {
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return this;
        }

        Request ifMatch(long version) {
            return header("If-Match", "\"" + version + "\"");
        }

        Request header(String name, String value) {
            b.header(name, value);
            return this;
        }

        Request yaml(String text) {
            body = text;
            return header("Content-Type", "application/yaml");
        }

        Request json(String text) {
            body = text;
            return header("Content-Type", "application/json");
        }

        Response send() {
            b.method(
                    method,
                    body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                return new Response(r.statusCode(), r);
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + path, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
