package io.sluice.cli.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Where the CLI's parts are, and the job jar with a spec packed into it. */
public final class JobJar {
    /** The job's entry class ({@code sluice-job}). */
    public static final String ENTRY_CLASS = "io.sluice.job.SluiceJob";

    private JobJar() {}

    /** The folder holding the CLI's jar (or classes), its {@code lib/} and the job jar. */
    static Path home() {
        try {
            Path self =
                    Path.of(
                            JobJar.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            return self.getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CLI's dependencies: the classpath a local cluster runs on. */
    public static Path lib() {
        String env = System.getenv("SLUICE_LIB");
        return env != null ? Path.of(env) : home().resolve("lib");
    }

    /** The shaded job jar, without a spec. */
    public static Path template() throws IOException {
        String env = System.getenv("SLUICE_JOB_JAR");
        Path jar = env != null ? Path.of(env) : home().resolve("sluice-job.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IOException(
                    "no job jar at " + jar + ": build it with ./mvnw -pl sluice-cli -am package");
        }
        return jar;
    }

    /**
     * A copy of the job jar in {@code dir} holding {@code spec} (its text and file name), named
     * after the spec and its hash.
     */
    public static Path withSpec(Path spec, String specName, String hash, Path dir)
            throws IOException {
        Files.createDirectories(dir);
        String base = specName.replaceAll("\\.ya?ml$", "").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path jar = dir.resolve("sluice-job-" + base + "-" + hash + ".jar");
        Files.copy(template(), jar, StandardCopyOption.REPLACE_EXISTING);
        URI uri = URI.create("jar:" + jar.toUri());
        try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
            Path entry = fs.getPath("sluice/spec.yaml");
            Files.createDirectories(entry.getParent());
            Files.writeString(entry, Files.readString(spec));
            Files.writeString(
                    fs.getPath("sluice/spec-name"),
                    spec.getFileName().toString(),
                    StandardCharsets.UTF_8);
            // plugins of SLUICE_CLASSPATH (e.g. a processor of your own) go along as nested
            // libraries: Flink puts a program jar's lib/*.jar on the job's class path
            String extra = System.getenv("SLUICE_CLASSPATH");
            if (extra != null && !extra.isBlank()) {
                for (String part : extra.split(java.io.File.pathSeparator)) {
                    Path p = Path.of(part);
                    if (part.endsWith(".jar") && Files.isRegularFile(p)) {
                        Path lib = fs.getPath("lib", p.getFileName().toString());
                        Files.createDirectories(lib.getParent());
                        Files.copy(p, lib, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        return jar;
    }
}
