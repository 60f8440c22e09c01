package io.sluice.control.api;

import io.sluice.spec.options.OptionType;
import io.sluice.spec.options.Options;
import io.sluice.spec.options.OptionsBinder;
import io.sluice.spec.options.OptionsSchema;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.SpecException;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The tokens the admin API accepts, read from a YAML file that holds only their SHA-256 hashes:
 *
 * <pre>
 * tokens:
 *   - name: alice                 # the author of alice's versions, the actor in the audit log
 *     sha256: 9f86d0...           # hex SHA-256 of the token's UTF-8 bytes (sluice serve --hash-token)
 *     role: admin                 # admin | editor | viewer
 *   - name: bob
 *     sha256: 60303a...
 *     role: editor
 *     tenants: [acme]             # editors only: the tenants whose routes bob may change
 * </pre>
 *
 * <p>Every problem in the file is reported, located like a spec's ({@code tokens.yaml:7:11:
 * tokens[1].role: ...}). A token is looked up by hashing it and comparing with every configured
 * hash in constant time, so neither the tokens nor the timing of a lookup tell an attacker which
 * prefix of a hash matched.
 */
public final class TokenConfig {
    /** Names are authors of versions, which stores keep up to 255 characters. */
    private static final int MAX_NAME = 255;

    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    private static final OptionsSchema TOKEN =
            OptionsSchema.builder()
                    .required("name", OptionType.STRING, "who uses the token")
                    .required(
                            "sha256",
                            OptionType.STRING,
                            "hex SHA-256 of the token (sluice serve --hash-token)")
                    .required("role", OptionType.oneOf("admin", "editor", "viewer"), "the role")
                    .optional(
                            "tenants",
                            OptionType.listOf(OptionType.STRING),
                            List.of(),
                            "editors: the tenants whose routes the token may change")
                    .build();

    private static final OptionsSchema TOP =
            OptionsSchema.builder()
                    .required(
                            "tokens",
                            OptionType.listOf(OptionType.object(TOKEN)),
                            "the accepted tokens")
                    .build();

    private record Entry(byte[] sha256, Principal principal) {}

    private final List<Entry> entries;

    private TokenConfig(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Reads and checks a token file.
     *
     * @throws SpecException listing every problem, located in the file
     * @throws IOException the file cannot be read
     */
    public static TokenConfig load(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Checks a token file's text.
     *
     * @param file names the file in the problems' positions
     * @throws SpecException listing every problem
     */
    public static TokenConfig parse(String file, String text) {
        Problems problems = new Problems();
        YNode root = YamlReader.read(file, text, problems);
        if (root == null) {
            problems.throwIfAny();
        }
        // no ${env:..} in a token file: hashes and names are literal
        Options top = new OptionsBinder(problems, name -> null).bind(root, TOP, "");
        List<Options> tokens = top.list("tokens");
        if (tokens.isEmpty() && top.get("tokens") != null) {
            problems.add(
                    top.pos("tokens"),
                    "tokens",
                    "no tokens: add at least one, e.g. {name: alice, sha256: <sluice serve"
                            + " --hash-token>, role: admin}");
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> hashes = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            Entry e = entry(tokens.get(i), i, names, hashes, problems);
            if (e != null) {
                entries.add(e);
            }
        }
        problems.throwIfAny();
        return new TokenConfig(entries);
    }

    private static Entry entry(
            Options t,
            int index,
            Map<String, Integer> names,
            Map<String, Integer> hashes,
            Problems problems) {
        if (t == null) {
            return null;
        }
        String name = t.string("name");
        String sha = t.string("sha256");
        String role = t.string("role");
        List<String> tenants = t.list("tenants");
        int before = problems.size();
        if (name != null) {
            if (name.isBlank() || name.length() > MAX_NAME) {
                problems.add(
                        t.pos("name"),
                        t.path("name"),
                        "a token needs a name of 1 to " + MAX_NAME + " characters");
            } else {
                Integer first = names.putIfAbsent(name, index);
                if (first != null) {
                    problems.add(
                            t.pos("name"),
                            t.path("name"),
                            "duplicate name '" + name + "' (first at tokens[" + first + "])");
                }
            }
        }
        if (sha != null) {
            if (!HEX64.matcher(sha).matches()) {
                problems.add(
                        t.pos("sha256"),
                        t.path("sha256"),
                        "expected the token's SHA-256 as 64 hex digits, found "
                                + sha.length()
                                + " characters; never put the token itself here: print its hash"
                                + " with 'sluice serve --hash-token' (reads the token from"
                                + " stdin)");
            } else {
                sha = sha.toLowerCase(Locale.ROOT);
                Integer first = hashes.putIfAbsent(sha, index);
                if (first != null) {
                    problems.add(
                            t.pos("sha256"),
                            t.path("sha256"),
                            "the same token as tokens["
                                    + first
                                    + "]: give every user a token of their own");
                }
            }
        }
        if ("editor".equals(role) && tenants.isEmpty()) {
            problems.add(
                    t.has("tenants") ? t.pos("tenants") : t.pos(),
                    t.path("tenants"),
                    "an editor needs the tenants whose routes it may change, e.g. tenants: [acme]"
                            + " (or make it an admin)");
        } else if (role != null && !"editor".equals(role) && !tenants.isEmpty()) {
            problems.add(
                    t.pos("tenants"),
                    t.path("tenants"),
                    "tenants apply to editors only: "
                            + ("admin".equals(role)
                                    ? "an admin may change every route"
                                    : "a viewer reads every route and changes none")
                            + "; remove tenants or make the token an editor");
        }
        for (int i = 0; i < tenants.size(); i++) {
            if (tenants.get(i) == null || tenants.get(i).isBlank()) {
                problems.add(
                        t.pos("tenants", i),
                        t.path("tenants") + "[" + i + "]",
                        "a tenant id cannot be empty");
            }
        }
        if (problems.size() > before || name == null || sha == null || role == null) {
            return null;
        }
        Role r = Role.valueOf(role.toUpperCase(Locale.ROOT));
        return new Entry(
                HexFormat.of().parseHex(sha), new Principal(name, r, new LinkedHashSet<>(tenants)));
    }

    /** The principal whose token this is, if any. Costs the same for every token. */
    public Optional<Principal> authenticate(String token) {
        if (token == null) {
            return Optional.empty();
        }
        byte[] digest = digest(token);
        Principal found = null;
        for (Entry e : entries) {
            // no early exit: every lookup compares against every hash
            if (MessageDigest.isEqual(e.sha256(), digest)) {
                found = e.principal();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The principals configured, in file order. */
    public List<Principal> principals() {
        return entries.stream().map(Entry::principal).toList();
    }

    /**
     * The lower-case hex SHA-256 of the token's UTF-8 bytes: what the file's {@code sha256} holds.
     */
    public static String hash(String token) {
        return HexFormat.of().formatHex(digest(token));
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return entries.size() + " token(s)";
    }
}
