package io.sluice.control.store;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.yaml.Pos;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded config store: a directory that people may also edit by hand.
 *
 * <pre>
 * DIR/routes.yaml               the current version's text; edit it and call importEdits()
 * DIR/.versions/000001.yaml     every version's text, never changed once written
 * DIR/.versions/log.jsonl       one JSON line per version: number, author, time, comment, sha256
 * DIR/.versions/audit.jsonl     one JSON line per audit entry
 * DIR/.versions/lock            held (FileChannel lock) by whoever writes
 * </pre>
 *
 * <p>The log is the truth: a version exists once its line is in {@code log.jsonl}. Writers take an
 * exclusive lock on {@code .versions/lock} (within this JVM and across processes) and check {@code
 * expected} under it; every file is replaced whole (temp file, then an atomic rename), so readers
 * in other processes see a version completely or not at all, without locking.
 *
 * <p>A commit writes {@code routes.yaml} just before the log line. If the process dies between the
 * two, {@code routes.yaml} holds a validated text that is not a version yet, and the next {@link
 * #importEdits()} commits it as a hand edit: nothing is lost, only attributed to "routes.yaml". A
 * hand edit that has not been imported yet when a commit arrives is replaced by the committed text,
 * as with any concurrent change the commit did not know about.
 */
public final class FileConfigStore extends AbstractConfigStore {
    /** The author of versions imported from hand edits of {@code routes.yaml}. */
    public static final String HAND_EDIT_AUTHOR = ConfigStores.DOCUMENT;

    public static final String HAND_EDIT_COMMENT = "edited by hand";

    // FileChannel locks are held per JVM, not per thread: a second lock() from this JVM on the
    // same file throws OverlappingFileLockException instead of waiting, so threads (and store
    // instances on the same directory) queue on this lock first.
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS =
            new ConcurrentHashMap<>();

    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path dir;
    private final Path document;
    private final Path versions;
    private final Path log;
    private final Path auditFile;
    private final Path lockFile;
    private final ReentrantLock jvmLock;

    private volatile LogSnapshot snapshot = LogSnapshot.NONE;

    // importEdits() state, guarded by this
    private FileStamp seen;
    private String rejectedSha256;

    private FileConfigStore(Path dir, ConfigValidator validator) {
        super(validator);
        this.dir = dir;
        this.document = dir.resolve(ConfigStores.DOCUMENT);
        this.versions = dir.resolve(".versions");
        this.log = versions.resolve("log.jsonl");
        this.auditFile = versions.resolve("audit.jsonl");
        this.lockFile = versions.resolve("lock");
        this.jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
    }

    /**
     * Opens the store in {@code dir}, creating the directory when missing.
     *
     * @throws ConfigStoreException the directory cannot be created or read, or its log is damaged
     */
    public static FileConfigStore open(Path dir, ConfigValidator validator) {
        Path absolute = dir.toAbsolutePath().normalize();
        if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
            throw new ConfigStoreException(
                    "config store file:" + absolute + " cannot be opened: it is not a directory");
        }
        Path real;
        try {
            Files.createDirectories(absolute.resolve(".versions"));
            real = absolute.toRealPath();
        } catch (IOException e) {
            throw new ConfigStoreException(
                    "config store file:" + absolute + " cannot be opened: " + describe(e), e);
        }
        FileConfigStore store = new FileConfigStore(real, validator);
        store.snapshot(); // a damaged log fails here, not at the first poll
        return store;
    }

    @Override
    public String describe() {
        return "file:" + dir;
    }

    /** The directory holding {@code routes.yaml} and {@code .versions/}. */
    public Path directory() {
        return dir;
    }

    /** The hand-editable {@code routes.yaml}. */
    public Path documentFile() {
        return document;
    }

    @Override
    public long latest() {
        return snapshot().lines().size();
    }

    @Override
    public Optional<ConfigVersion> current() {
        LogSnapshot s = snapshot();
        return s.lines().isEmpty() ? Optional.empty() : Optional.of(read(s, s.lines().size()));
    }

    @Override
    public Optional<ConfigVersion> version(long number) {
        LogSnapshot s = snapshot();
        if (number < 1 || number > s.lines().size()) {
            return Optional.empty();
        }
        return Optional.of(read(s, number));
    }

    @Override
    public List<ConfigVersion> history(int limit) {
        checkLimit(limit);
        LogSnapshot s = snapshot();
        List<ConfigVersion> out = new ArrayList<>();
        for (long n = s.lines().size(); n >= 1 && out.size() < limit; n--) {
            out.add(read(s, n));
        }
        return out;
    }

    @Override
    ConfigVersion append(String text, String sha256, long expected, String author, String comment) {
        return locked(() -> appendLocked(text, sha256, expected, author, comment, true));
    }

    private ConfigVersion appendLocked(
            String text,
            String sha256,
            long expected,
            String author,
            String comment,
            boolean writeDocument)
            throws IOException {
        byte[] logBytes = readIfExists(log);
        List<LogLine> lines = parseLog(logBytes);
        long actual = lines.size();
        if (actual != expected) {
            throw new ConflictException(expected, actual);
        }
        long number = actual + 1;
        Instant time = now();
        byte[] body = text.getBytes(UTF_8);
        writeAtomically(versionFile(number), body);
        if (writeDocument) {
            writeAtomically(document, body);
        }
        LogLine line = new LogLine(number, author, time.toString(), comment, sha256);
        ByteArrayOutputStream newLog = new ByteArrayOutputStream(logBytes.length + 256);
        newLog.write(logBytes, 0, completeLength(logBytes));
        newLog.write(JSON.writeValueAsBytes(line));
        newLog.write('\n');
        writeAtomically(log, newLog.toByteArray()); // the version exists from here on
        return new ConfigVersion(number, author, time, comment, text, sha256);
    }

    /**
     * Commits {@code routes.yaml} as a new version (author {@value #HAND_EDIT_AUTHOR}, comment
     * "{@value #HAND_EDIT_COMMENT}") when it differs from the current version's text, or exists
     * while the store is empty.
     *
     * <p>Meant to be polled: when neither {@code routes.yaml} (size, modification time, file) nor
     * the log changed since the last call, it returns at the cost of two {@code stat} calls. An
     * invalid edit throws {@link RejectedException} once; while the file keeps that content, later
     * calls return empty, and the store stays as it was. A deleted {@code routes.yaml} is ignored:
     * the current version stays in force.
     *
     * @return the new version, or empty when there was nothing (new) to import
     * @throws RejectedException the edit has problems (reported once per distinct content)
     */
    public synchronized Optional<ConfigVersion> importEdits() {
        try {
            BasicFileAttributes attrs = attributes(document);
            if (attrs == null) {
                return Optional.empty();
            }
            LogSnapshot s = snapshot();
            FileStamp stamp = FileStamp.of(attrs, s.lines().size());
            if (stamp.equals(seen)) {
                return Optional.empty();
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(document);
            } catch (NoSuchFileException e) {
                return Optional.empty(); // deleted since the stat
            }
            String sha256 = ConfigVersion.sha256Of(bytes);
            String currentSha256 =
                    s.lines().isEmpty() ? null : s.lines().get(s.lines().size() - 1).sha256();
            if (sha256.equals(currentSha256)) {
                rejectedSha256 = null; // back to the current text: a new bad edit is news again
                seen = stamp;
                return Optional.empty();
            }
            if (sha256.equals(rejectedSha256)) {
                seen = stamp;
                return Optional.empty();
            }
            rejectedSha256 = null;
            String text = decode(bytes, sha256, stamp);
            try {
                validate(text);
            } catch (RejectedException e) {
                rejectedSha256 = sha256;
                seen = stamp;
                throw e;
            }
            Optional<ConfigVersion> imported = locked(() -> importLocked(text, sha256));
            seen = null; // the commit changed the log; look again next time
            return imported;
        } catch (IOException e) {
            throw failure("import " + ConfigStores.DOCUMENT, e);
        }
    }

    private Optional<ConfigVersion> importLocked(String text, String sha256) throws IOException {
        // a commit may have written routes.yaml while we validated, or someone saved it again
        byte[] now = readIfExists(document);
        if (!ConfigVersion.sha256Of(now).equals(sha256)) {
            return Optional.empty();
        }
        List<LogLine> lines = parseLog(readIfExists(log));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).sha256().equals(sha256)) {
            return Optional.empty();
        }
        return Optional.of(
                appendLocked(
                        text, sha256, lines.size(), HAND_EDIT_AUTHOR, HAND_EDIT_COMMENT, false));
    }

    /** Strict UTF-8: a file saved in another encoding is a problem to report, not to guess at. */
    private String decode(byte[] bytes, String sha256, FileStamp stamp) {
        CharsetDecoder decoder =
                UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (!result.isError()) {
            return out.flip().toString();
        }
        int offset = in.position();
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        Problems problems = new Problems();
        problems.add(
                new Pos(ConfigStores.DOCUMENT, line, offset - lineStart + 1),
                "",
                "not valid UTF-8 (byte 0x"
                        + String.format("%02x", bytes[offset] & 0xff)
                        + "); save the file as UTF-8");
        rejectedSha256 = sha256;
        seen = stamp;
        throw new RejectedException(problems);
    }

    @Override
    public void audit(AuditEntry e) {
        Objects.requireNonNull(e, "audit entry");
        checkName("actor", e.actor());
        checkName("action", e.action());
        AuditLine line =
                new AuditLine(
                        e.time().truncatedTo(ChronoUnit.MILLIS).toString(),
                        e.actor(),
                        e.action(),
                        e.target(),
                        e.detail());
        byte[] bytes = withNewline(line);
        locked(
                () -> {
                    // appended, not rewritten: the audit log only grows and may grow long;
                    // readers skip a last line without its newline, so a torn append is invisible
                    try (FileChannel ch =
                            FileChannel.open(
                                    auditFile,
                                    StandardOpenOption.CREATE,
                                    StandardOpenOption.READ,
                                    StandardOpenOption.WRITE)) {
                        long end = ch.size();
                        if (end > 0 && !endsWithNewline(ch, end)) {
                            end = completeLength(Files.readAllBytes(auditFile));
                            ch.truncate(end);
                        }
                        ByteBuffer buffer = ByteBuffer.wrap(bytes);
                        while (buffer.hasRemaining()) {
                            end += ch.write(buffer, end);
                        }
                        ch.force(false);
                    }
                    return null;
                });
    }

    @Override
    public List<AuditEntry> auditLog(int limit) {
        checkLimit(limit);
        try {
            byte[] bytes = readIfExists(auditFile);
            List<String> lines = completeLines(bytes);
            List<AuditEntry> out = new ArrayList<>();
            for (int i = lines.size() - 1; i >= 0 && out.size() < limit; i--) {
                AuditLine a = parse(lines.get(i), AuditLine.class, "audit.jsonl", i + 1);
                out.add(
                        new AuditEntry(
                                Instant.parse(a.time()),
                                a.actor(),
                                a.action(),
                                a.target(),
                                a.detail()));
            }
            return out;
        } catch (IOException e) {
            throw failure("read the audit log", e);
        }
    }

    @Override
    public void close() {
        // nothing held between calls: each write takes and releases the lock
    }

    @Override
    public String toString() {
        return describe();
    }

    private ConfigVersion read(LogSnapshot s, long number) {
        LogLine line = s.lines().get((int) (number - 1));
        Path file = versionFile(number);
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (!ConfigVersion.sha256Of(bytes).equals(line.sha256())) {
                throw new ConfigStoreException(
                        describe()
                                + " is damaged: "
                                + dir.relativize(file)
                                + " does not match its sha256 in .versions/log.jsonl");
            }
            return new ConfigVersion(
                    number,
                    line.author(),
                    Instant.parse(line.time()),
                    line.comment(),
                    new String(bytes, UTF_8),
                    line.sha256());
        } catch (NoSuchFileException e) {
            throw new ConfigStoreException(
                    describe() + " is damaged: " + dir.relativize(file) + " is missing", e);
        } catch (IOException e) {
            throw failure("read version " + number, e);
        }
    }

    /** The log as of now; re-read only when the file changed, so polling is a single stat. */
    private LogSnapshot snapshot() {
        try {
            BasicFileAttributes attrs = attributes(log);
            if (attrs == null) {
                return LogSnapshot.NONE;
            }
            LogSnapshot s = snapshot;
            if (s.matches(attrs)) {
                return s;
            }
            // read after stat: the content is at least as new as the stamp, so a change between
            // the two is caught by the next call's stat
            s =
                    new LogSnapshot(
                            attrs.fileKey(),
                            attrs.size(),
                            attrs.lastModifiedTime(),
                            parseLog(readIfExists(log)));
            snapshot = s;
            return s;
        } catch (IOException e) {
            throw failure("read .versions/log.jsonl", e);
        }
    }

    private List<LogLine> parseLog(byte[] bytes) {
        List<String> text = completeLines(bytes);
        List<LogLine> lines = new ArrayList<>(text.size());
        for (int i = 0; i < text.size(); i++) {
            LogLine line = parse(text.get(i), LogLine.class, "log.jsonl", i + 1);
            if (line.number() != i + 1) {
                throw new ConfigStoreException(
                        describe()
                                + " is damaged: .versions/log.jsonl:"
                                + (i + 1)
                                + ": expected version "
                                + (i + 1)
                                + ", found "
                                + line.number());
            }
            lines.add(line);
        }
        return List.copyOf(lines);
    }

    private <T> T parse(String line, Class<T> type, String file, int lineNumber) {
        try {
            return JSON.readValue(line, type);
        } catch (JsonProcessingException e) {
            throw new ConfigStoreException(
                    describe()
                            + " is damaged: .versions/"
                            + file
                            + ":"
                            + lineNumber
                            + ": "
                            + e.getOriginalMessage(),
                    e);
        }
    }

    private <T> T locked(IoAction<T> action) {
        jvmLock.lock();
        try (FileChannel channel =
                        FileChannel.open(
                                lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            return action.run();
        } catch (IOException e) {
            throw failure("write", e);
        } finally {
            jvmLock.unlock();
        }
    }

    private Path versionFile(long number) {
        return versions.resolve(String.format("%06d.yaml", number));
    }

    /** Replaces {@code target} whole: readers see the old bytes or the new, never a mix. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp =
                target.resolveSibling(
                        "." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel ch =
                    FileChannel.open(
                            tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            try {
                Files.move(
                        tmp,
                        target,
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(
                        "the file system of " + target.getParent() + " cannot rename atomically",
                        e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] readIfExists(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }

    private static BasicFileAttributes attributes(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Length up to and including the last newline: a last line without one is not complete. */
    private static int completeLength(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i + 1;
            }
        }
        return 0;
    }

    private static List<String> completeLines(byte[] bytes) {
        String text = new String(bytes, 0, completeLength(bytes), UTF_8);
        return text.isEmpty() ? List.of() : text.lines().filter(l -> !l.isBlank()).toList();
    }

    private static boolean endsWithNewline(FileChannel ch, long size) throws IOException {
        ByteBuffer last = ByteBuffer.allocate(1);
        ch.read(last, size - 1);
        return last.get(0) == '\n';
    }

    private static byte[] withNewline(Object value) {
        try {
            String json = JSON.writeValueAsString(value);
            return (json + "\n").getBytes(UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen for a record of strings", e);
        }
    }

    private ConfigStoreException failure(String what, IOException e) {
        return new ConfigStoreException(
                "config store " + describe() + ": cannot " + what + ": " + describe(e), e);
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
    }

    @FunctionalInterface
    private interface IoAction<T> {
        T run() throws IOException;
    }

    private record LogLine(
            long number, String author, String time, String comment, String sha256) {}

    private record AuditLine(
            String time, String actor, String action, String target, String detail) {}

    /** The parsed log with the file attributes it was read at. */
    private record LogSnapshot(Object fileKey, long size, FileTime modified, List<LogLine> lines) {
        static final LogSnapshot NONE = new LogSnapshot(null, -1, null, List.of());

        boolean matches(BasicFileAttributes attrs) {
            return size == attrs.size()
                    && Objects.equals(modified, attrs.lastModifiedTime())
                    && Objects.equals(fileKey, attrs.fileKey());
        }
    }

    /** What routes.yaml and the log looked like when importEdits() last had nothing to do. */
    private record FileStamp(Object fileKey, long size, FileTime modified, long latest) {
        static FileStamp of(BasicFileAttributes attrs, long latest) {
            return new FileStamp(attrs.fileKey(), attrs.size(), attrs.lastModifiedTime(), latest);
        }
    }
}
