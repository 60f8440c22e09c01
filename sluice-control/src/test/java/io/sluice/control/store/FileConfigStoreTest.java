package io.sluice.control.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a directory, plus what only the file store does: layout and hand edits. */
class FileConfigStoreTest extends ConfigStoreContract {
    @TempDir Path tmp;

    @Override
    StoreLocation freshLocation() {
        return StoreLocation.parse("file:" + tmp.resolve("config"));
    }

    FileConfigStore openFile() {
        return (FileConfigStore) open();
    }

    Path dir() {
        return tmp.resolve("config");
    }

    @Test
    void describesItselfByItsAbsoluteDirectory() throws IOException {
        FileConfigStore store = openFile();
        assertThat(store.describe()).isEqualTo("file:" + dir().toRealPath());
        assertThat(store.documentFile()).isEqualTo(dir().toRealPath().resolve("routes.yaml"));
    }

    @Test
    void keepsTheDocumentAnImmutableCopyAndALogLinePerVersion() throws IOException {
        FileConfigStore store = openFile();
        ConfigVersion v1 = store.commit("a: 1\n", 0, AUTHOR, "first");
        ConfigVersion v2 = store.commit("a: 2\n", 1, "bob", "second");

        assertThat(Files.readString(dir().resolve("routes.yaml"))).isEqualTo("a: 2\n");
        assertThat(Files.readString(dir().resolve(".versions/000001.yaml"))).isEqualTo("a: 1\n");
        assertThat(Files.readString(dir().resolve(".versions/000002.yaml"))).isEqualTo("a: 2\n");
        List<String> log = Files.readAllLines(dir().resolve(".versions/log.jsonl"));
        assertThat(log).hasSize(2);
        JsonNode line = new ObjectMapper().readTree(log.get(1));
        assertThat(line.get("number").asLong()).isEqualTo(2);
        assertThat(line.get("author").asText()).isEqualTo("bob");
        assertThat(line.get("time").asText()).isEqualTo(v2.time().toString());
        assertThat(line.get("comment").asText()).isEqualTo("second");
        assertThat(line.get("sha256").asText()).isEqualTo(sha256("a: 2\n"));
        assertThat(v1.sha256()).isEqualTo(sha256("a: 1\n"));
        // no temp files left over
        try (var files = Files.list(dir().resolve(".versions"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("000001.yaml", "000002.yaml", "log.jsonl", "lock");
        }
    }

    @Test
    void aValidHandEditBecomesAVersion() throws IOException {
        FileConfigStore store = openFile();
        store.commit("limit: 1\n", 0, AUTHOR, "");
        assertThat(store.importEdits()).isEmpty();

        Files.writeString(store.documentFile(), "limit: 5\n");
        Optional<ConfigVersion> imported = store.importEdits();

        assertThat(imported).isPresent();
        ConfigVersion v2 = imported.get();
        assertThat(v2.number()).isEqualTo(2);
        assertThat(v2.text()).isEqualTo("limit: 5\n");
        assertThat(v2.author()).isEqualTo("routes.yaml");
        assertThat(v2.comment()).isEqualTo("edited by hand");
        assertThat(store.current()).contains(v2);
        assertThat(store.importEdits()).isEmpty();
        assertThat(open().latest()).isEqualTo(2);
    }

    @Test
    void aDocumentInAnEmptyStoreIsImportedAsVersionOne() throws IOException {
        Files.createDirectories(dir());
        Files.writeString(dir().resolve("routes.yaml"), "routes: []\n");
        FileConfigStore store = openFile();

        assertThat(store.importEdits())
                .hasValueSatisfying(v -> assertThat(v.number()).isEqualTo(1));
        assertThat(store.current().map(ConfigVersion::text)).contains("routes: []\n");
    }

    @Test
    void anInvalidHandEditIsReportedOnceAndChangesNothing() throws IOException {
        FileConfigStore store = openFile();
        ConfigVersion v1 = store.commit("limit: 1\n", 0, AUTHOR, "");
        Files.writeString(store.documentFile(), "limit: BAD\n");

        assertThatThrownBy(store::importEdits)
                .isInstanceOf(RejectedException.class)
                .hasMessage("1 problem:\nroutes.yaml:1:8: 'BAD' is not allowed");
        assertThat(store.importEdits()).isEmpty();
        assertThat(store.importEdits()).isEmpty();
        assertThat(store.latest()).isEqualTo(1);
        assertThat(store.current()).contains(v1);
        assertThat(Files.readString(store.documentFile())).isEqualTo("limit: BAD\n");
        // the same bad content saved again (new mtime) is still old news
        Files.writeString(store.documentFile(), "limit: BAD\n");
        assertThat(store.importEdits()).isEmpty();

        // another bad content is news; so is a fix
        Files.writeString(store.documentFile(), "limit: BAD BAD\n");
        assertThatThrownBy(store::importEdits).isInstanceOf(RejectedException.class);
        Files.writeString(store.documentFile(), "limit: 2\n");
        assertThat(store.importEdits()).map(ConfigVersion::number).contains(2L);
    }

    @Test
    void aHandEditThatIsNotUtf8IsRejectedWithItsPosition() throws IOException {
        FileConfigStore store = openFile();
        store.commit("city: x\n", 0, AUTHOR, "");
        Files.write(store.documentFile(), "a: 1\ncity: Z\u00fcrich\n".getBytes("ISO-8859-1"));

        assertThatThrownBy(store::importEdits)
                .isInstanceOf(RejectedException.class)
                .hasMessage(
                        "1 problem:\nroutes.yaml:2:8: not valid UTF-8 (byte 0xfc); save the file"
                                + " as UTF-8");
        assertThat(store.importEdits()).isEmpty();
        assertThat(store.latest()).isEqualTo(1);
    }

    @Test
    void aDeletedDocumentIsLeftAlone() throws IOException {
        FileConfigStore store = openFile();
        store.commit("a: 1\n", 0, AUTHOR, "");
        Files.delete(store.documentFile());

        assertThat(store.importEdits()).isEmpty();
        assertThat(store.latest()).isEqualTo(1);
    }

    @Test
    void aHandEditIsSeenByEveryInstanceAndImportedOnce() throws IOException {
        FileConfigStore a = openFile();
        FileConfigStore b = openFile();
        a.commit("a: 1\n", 0, AUTHOR, "");
        Files.writeString(a.documentFile(), "a: 2\n");

        assertThat(b.importEdits()).map(ConfigVersion::number).contains(2L);
        assertThat(a.importEdits()).isEmpty();
        assertThat(a.current().map(ConfigVersion::text)).contains("a: 2\n");
    }

    @Test
    void aDamagedLogIsReportedWithItsLine() throws IOException {
        FileConfigStore store = openFile();
        store.commit("a: 1\n", 0, AUTHOR, "");
        Files.writeString(
                dir().resolve(".versions/log.jsonl"),
                "{\"number\": 3}\n",
                StandardOpenOption.APPEND);

        assertThatThrownBy(this::open)
                .isInstanceOf(ConfigStoreException.class)
                .hasMessage(
                        "file:"
                                + dir().toRealPath()
                                + " is damaged: .versions/log.jsonl:2: expected version 2, found 3");
    }

    @Test
    void aVersionFileThatDoesNotMatchItsHashIsReported() throws IOException {
        FileConfigStore store = openFile();
        store.commit("a: 1\n", 0, AUTHOR, "");
        Files.writeString(dir().resolve(".versions/000001.yaml"), "a: 666\n");

        assertThatThrownBy(store::current)
                .isInstanceOf(ConfigStoreException.class)
                .hasMessageContaining(".versions/000001.yaml does not match its sha256");
    }

    @Test
    void aTornAuditLineIsSkippedAndRepairedByTheNextEntry() throws IOException {
        FileConfigStore store = openFile();
        AuditEntry first = AuditEntry.now("ann", "login", "", "");
        store.audit(first);
        Files.write(
                dir().resolve(".versions/audit.jsonl"),
                "{\"time\":\"20".getBytes(UTF_8),
                StandardOpenOption.APPEND);

        assertThat(store.auditLog(10)).containsExactly(first);
        AuditEntry second = AuditEntry.now("bob", "login", "", "");
        store.audit(second);
        assertThat(store.auditLog(10)).containsExactly(second, first);
        assertThat(Files.readAllLines(dir().resolve(".versions/audit.jsonl"))).hasSize(2);
    }

    @Test
    void aFileWhereTheDirectoryShouldBeFailsWithOneLine() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> ConfigStores.open(StoreLocation.parse(file.toString()), validator))
                .isInstanceOf(ConfigStoreException.class)
                .hasMessage(
                        "config store file:" + file + " cannot be opened: it is not a directory")
                .hasMessageNotContaining("\n");
    }
}
