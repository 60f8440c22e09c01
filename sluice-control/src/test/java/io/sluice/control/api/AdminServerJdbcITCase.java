package io.sluice.control.api;

import static io.sluice.control.api.AdminServerITCase.ADMIN;
import static io.sluice.control.api.AdminServerITCase.EDITOR;
import static io.sluice.control.api.AdminServerITCase.V1;
import static io.sluice.control.api.AdminServerITCase.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.control.api.ApiClient.Response;
import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The admin API's core write, read and conflict path on MariaDB and PostgreSQL stores. */
class AdminServerJdbcITCase {

    static Stream<Arguments> databases() {
        return Stream.of(
                Arguments.of("MariaDB", (Supplier<EmbeddedDatabase>) EmbeddedDatabases::mariadb),
                Arguments.of(
                        "PostgreSQL", (Supplier<EmbeddedDatabase>) EmbeddedDatabases::postgres));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databases")
    void writesReadsAndRefusesStaleWrites(String name, Supplier<EmbeddedDatabase> server)
            throws Exception {
        StubRoutesValidator validator = new StubRoutesValidator();
        TokenConfig tokens =
                TokenConfig.parse("tokens.yaml", TokenConfigTest.resource("tokens.yaml"));
        try (ConfigStore store = ConfigStores.open(server.get().fresh().location(), validator);
                AdminServer admin = AdminServer.builder(store, validator, tokens).build().start()) {
            ApiClient api = new ApiClient(admin.url());

            Response first =
                    api.request("PUT", "/api/routes").token(ADMIN).ifMatch(0).yaml(V1).send();
            assertThat(first.status()).as("%s", first).isEqualTo(200);
            assertThat(first.header("ETag")).isEqualTo("\"1\"");

            Response read = api.get("/api/routes").token(VIEWER).send();
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.header("ETag")).isEqualTo("\"1\"");
            assertThat(read.json().get("text").asText()).isEqualTo(V1);
            assertThat(read.json().get("routes"))
                    .isEqualTo(AdminServerITCase.json(AdminServerITCase.V1_ROUTES));

            Response route =
                    api.request("PUT", "/api/routes/acme-new")
                            .token(EDITOR)
                            .ifMatch(1)
                            .json(AdminServerITCase.ACME_NEW)
                            .send();
            assertThat(route.status()).as("%s", route).isEqualTo(200);
            assertThat(route.header("ETag")).isEqualTo("\"2\"");
            assertThat(
                            api.get("/api/routes/acme-new")
                                    .token(VIEWER)
                                    .send()
                                    .json()
                                    .get("tenant")
                                    .asText())
                    .isEqualTo("acme");

            Response stale =
                    api.request("PUT", "/api/routes").token(ADMIN).ifMatch(1).yaml(V1).send();
            assertThat(stale.status()).isEqualTo(412);
            assertThat(stale.json().get("version").asLong()).isEqualTo(2);
            Response rejected =
                    api.request("PUT", "/api/routes")
                            .token(ADMIN)
                            .ifMatch(2)
                            .yaml(AdminServerITCase.FITLER)
                            .send();
            assertThat(rejected.status()).isEqualTo(422);
            assertThat(rejected.json().get("problems"))
                    .isEqualTo(AdminServerITCase.json(AdminServerITCase.FITLER_PROBLEMS));
            assertThat(store.latest()).isEqualTo(2);

            // two writers, one ETag: one wins
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<Response>> answers = new ArrayList<>();
                for (String text : List.of(V1, V1.replace("amount > 100.0", "amount > 7.0"))) {
                    ApiClient.Request put =
                            api.request("PUT", "/api/routes").token(ADMIN).ifMatch(2).yaml(text);
                    answers.add(
                            pool.submit(
                                    () -> {
                                        together.await();
                                        return put.send();
                                    }));
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<Response> f : answers) {
                    statuses.add(f.get().status());
                }
                assertThat(statuses).containsExactlyInAnyOrder(200, 412);
            } finally {
                pool.shutdownNow();
            }
            assertThat(store.latest()).isEqualTo(3);

            // newest first: the two racing writers (either order), then the earlier attempts
            List<String> details =
                    api.get("/api/audit")
                            .token(ADMIN)
                            .send()
                            .json()
                            .get("entries")
                            .findValuesAsText("detail");
            assertThat(details).hasSize(6);
            assertThat(details.subList(0, 2).stream().map(d -> d.replaceAll(":.*", "")))
                    .containsExactlyInAnyOrder("version 3", "conflict");
            assertThat(details.subList(2, 6).stream().map(d -> d.replaceAll(":.*", "")))
                    .containsExactly("rejected", "conflict", "version 2", "version 1");
        }
    }
}
