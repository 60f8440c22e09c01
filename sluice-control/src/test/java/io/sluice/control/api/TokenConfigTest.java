package io.sluice.control.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenConfigTest {

    static String resource(String name) {
        try (InputStream in = TokenConfigTest.class.getResourceAsStream("/api/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("test resource api/" + name, e);
        }
    }

    @Test
    void hashesAreTheHexSha256OfTheTokensUtf8Bytes() {
        // FIPS 180-2 test vector, and the empty string's
        assertThat(TokenConfig.hash("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(TokenConfig.hash(""))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void readsRolesAndTenantsAndFindsTokensByTheirHash() {
        TokenConfig tokens = TokenConfig.parse("tokens.yaml", resource("tokens.yaml"));

        assertThat(tokens.principals())
                .containsExactly(
                        new Principal("ann", Role.ADMIN, Set.of()),
                        new Principal("ed", Role.EDITOR, Set.of("acme")),
                        new Principal("vic", Role.VIEWER, Set.of()),
                        new Principal("gil", Role.EDITOR, Set.of("globex", "initech")));
        assertThat(tokens.authenticate("admin-secret-token-0001"))
                .map(Principal::name)
                .hasValue("ann");
        // the file writes ed's hash in upper case
        assertThat(tokens.authenticate("editor-acme-token-0002"))
                .map(Principal::name)
                .hasValue("ed");
        assertThat(tokens.authenticate("viewer-token-0003"))
                .map(Principal::role)
                .hasValue(Role.VIEWER);
        assertThat(tokens.authenticate("viewer-token-0004")).isEmpty();
        assertThat(tokens.authenticate("")).isEmpty();
        assertThat(tokens.authenticate(null)).isEmpty();
        // a hash is not a token
        assertThat(tokens.authenticate(TokenConfig.hash("viewer-token-0003"))).isEmpty();
    }

    @Test
    void everyProblemOfATokenFileIsListedWhereItIs() {
        assertThatThrownBy(() -> TokenConfig.parse("bad-tokens.yaml", resource("bad-tokens.yaml")))
                .isInstanceOfSatisfying(
                        SpecException.class,
                        e ->
                                assertThat(e.problems().stream().map(Problem::toString))
                                        .containsExactlyElementsOf(
                                                resource("bad-tokens.expected").lines().toList()));
    }

    @Test
    void aFileWithoutTokensOrNotYamlIsRejectedWithItsPlace() {
        assertThatThrownBy(() -> TokenConfig.parse("t.yaml", "tokens: []\n"))
                .isInstanceOfSatisfying(
                        SpecException.class,
                        e ->
                                assertThat(e.problems().stream().map(Problem::toString))
                                        .containsExactly(
                                                "t.yaml:1:9: tokens: no tokens: add at least one,"
                                                        + " e.g. {name: alice, sha256: <sluice"
                                                        + " serve --hash-token>, role: admin}"));
        assertThatThrownBy(() -> TokenConfig.parse("t.yaml", "tokens: [\n"))
                .isInstanceOf(SpecException.class)
                .hasMessageStartingWith("1 problem:\nt.yaml:")
                .hasMessageContaining(": YAML syntax: ");
        assertThatThrownBy(() -> TokenConfig.parse("t.yaml", ""))
                .isInstanceOf(SpecException.class)
                .hasMessage("1 problem:\nt.yaml:1:1: the file is empty");
    }

    @Test
    void loadsAFileAndNamesItInProblems(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mine.yaml");
        Files.writeString(file, "tokens:\n  - {name: a, sha256: abc, role: admin}\n");
        assertThatThrownBy(() -> TokenConfig.load(file))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining(
                        "mine.yaml:2:23: tokens[0].sha256: expected the token's SHA-256");
    }
}
