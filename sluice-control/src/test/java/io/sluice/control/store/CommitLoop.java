package io.sluice.control.store;

import java.nio.file.Path;

/**
 * A writer in another JVM for {@link FileConfigStoreProcessesTest}: commits {@code count} versions
 * to a file store, retrying on conflicts, and prints how many conflicts it met.
 */
public final class CommitLoop {
    private CommitLoop() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String writer = args[1];
        int count = Integer.parseInt(args[2]);
        int conflicts = 0;
        try (ConfigStore store = FileConfigStore.open(dir, ConfigValidator.acceptAll())) {
            for (int i = 0; i < count; ) {
                try {
                    store.commit(
                            "writer: " + writer + "\ncommit: " + i + "\n",
                            store.latest(),
                            writer,
                            "");
                    i++;
                } catch (ConflictException e) {
                    conflicts++;
                }
            }
        }
        System.out.println("conflicts " + conflicts);
    }
}
