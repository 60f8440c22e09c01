package io.sluice.control.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file store's lock and atomic writes across processes: writers in two other JVMs and in this
 * one commit to the same directory at once, while this JVM reads.
 */
class FileConfigStoreProcessesTest {
    @TempDir Path dir;

    @Test
    void writersInSeveralProcessesNeverLoseOrSplitAVersion() throws Exception {
        int perWriter = 30;
        List<Process> children = new ArrayList<>();
        for (String writer : List.of("p1", "p2")) {
            children.add(
                    new ProcessBuilder(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    CommitLoop.class.getName(),
                                    dir.toString(),
                                    writer,
                                    Integer.toString(perWriter))
                            .redirectErrorStream(true)
                            .start());
        }
        try (FileConfigStore store = FileConfigStore.open(dir, ConfigValidator.acceptAll())) {
            for (int i = 0; i < perWriter; ) {
                // every version a reader sees is whole: its text matches the logged hash
                store.current()
                        .ifPresent(
                                v ->
                                        assertThat(ConfigStoreContract.sha256(v.text()))
                                                .isEqualTo(v.sha256()));
                try {
                    store.commit("writer: p0\ncommit: " + i + "\n", store.latest(), "p0", "");
                    i++;
                } catch (ConflictException e) {
                    // retry on the new latest
                }
            }
            for (Process child : children) {
                assertThat(child.waitFor(2, TimeUnit.MINUTES)).isTrue();
                assertThat(child.exitValue()).as(output(child)).isZero();
            }

            List<ConfigVersion> history = new ArrayList<>(store.history(1000));
            assertThat(history).hasSize(3 * perWriter);
            Map<String, List<Integer>> commitsByWriter = new HashMap<>();
            Collections.reverse(history);
            for (ConfigVersion v : history) {
                String[] lines = v.text().split("\n");
                assertThat(lines[0]).isEqualTo("writer: " + v.author());
                commitsByWriter
                        .computeIfAbsent(v.author(), w -> new ArrayList<>())
                        .add(Integer.parseInt(lines[1].substring("commit: ".length())));
            }
            // each writer's commits arrive once each, in its own order
            List<Integer> expected =
                    java.util.stream.IntStream.range(0, perWriter).boxed().toList();
            assertThat(commitsByWriter).containsOnlyKeys("p0", "p1", "p2");
            assertThat(commitsByWriter.values()).allSatisfy(c -> assertThat(c).isEqualTo(expected));
        }
    }

    private static String output(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
