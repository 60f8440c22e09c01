package io.sluice.cli;

import io.sluice.control.api.AdminServer;
import io.sluice.control.api.TokenConfig;
import io.sluice.control.store.ConfigValidator;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.SpecException;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sluice serve}: the admin API (REST/JSON) on a spec's config store, until Ctrl-C. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve the admin API (REST/JSON under /api) for a job's live routes until Ctrl-C:"
                    + " read, change, diff and roll back versions over HTTP, checked like"
                    + " 'sluice config set'.",
            "Callers send 'Authorization: Bearer TOKEN'; the --tokens file lists who may do"
                    + " what, by the tokens' SHA-256 only:",
            "  tokens:",
            "    - {name: alice, sha256: HEX, role: admin}",
            "    - {name: bob, sha256: HEX, role: editor, tenants: [acme]}",
            "    - {name: carol, sha256: HEX, role: viewer}",
            "Make HEX with: sluice serve --hash-token   (reads the token from stdin)"
        })
final class ServeCommand implements Callable<Integer> {
    /** Shortest token --hash-token accepts: hashes are unsalted, so tokens must be random. */
    static final int MIN_TOKEN = 16;

    @Mixin ConfigCommand.Target target;

    @Option(
            names = "--tokens",
            required = true,
            paramLabel = "FILE",
            description = "the accepted tokens (YAML, hashes only; see above)")
    Path tokens;

    @Option(
            names = "--host",
            paramLabel = "HOST",
            description = "address to listen on (default: ${DEFAULT-VALUE}, this machine only)")
    String host = "127.0.0.1";

    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port = 8080;

    // help = true: picocli then asks for neither SPEC nor --tokens
    @Option(
            names = "--hash-token",
            help = true,
            description =
                    "print the SHA-256 of a token read from stdin, for the --tokens file, and"
                            + " exit")
    boolean hashToken;

    @CommandLine.Spec CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        try {
            return hashToken ? hash(out, err) : serve(out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int hash(PrintWriter out, PrintWriter err) throws IOException {
        String token = readToken();
        if (token == null || token.isEmpty()) {
            err.println(
                    "error: no token on stdin; e.g. openssl rand -hex 32 | sluice serve"
                            + " --hash-token");
            return CommandLine.ExitCode.USAGE;
        }
        if (token.length() < MIN_TOKEN) {
            err.println(
                    "error: a token needs at least "
                            + MIN_TOKEN
                            + " characters, random ones: only its SHA-256 is stored, and short"
                            + " tokens are guessed from that; make one with: openssl rand -hex 32");
            return CommandLine.ExitCode.USAGE;
        }
        out.println(TokenConfig.hash(token));
        return 0;
    }

    private static String readToken() throws IOException {
        Console console = System.console();
        if (console != null) {
            char[] typed = console.readPassword("Token (not shown): ");
            return typed == null ? null : new String(typed).strip();
        }
        String line =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                        .readLine();
        // the server strips the Authorization value the same way
        return line == null ? null : line.strip();
    }

    private int serve(PrintWriter out, PrintWriter err) throws Exception {
        if (port < 0 || port > 65535) {
            err.println("error: --port must be between 0 and 65535, not " + port);
            return CommandLine.ExitCode.USAGE;
        }
        TokenConfig accepted;
        try {
            accepted = TokenConfig.load(tokens);
        } catch (SpecException e) {
            printProblems(e, err);
            err.println(
                    "error: the token file has "
                            + e.problems().size()
                            + " problem(s); the server did not start");
            return SluiceCli.BAD_SPEC;
        } catch (NoSuchFileException e) {
            err.println("error: " + tokens + ": no such file (the --tokens file)");
            return SluiceCli.BAD_SPEC;
        }
        ConfigCommand.Opened opened;
        try {
            opened = target.open();
        } catch (SpecException e) {
            printProblems(e, err);
            err.println("error: the spec has " + e.problems().size() + " problem(s)");
            return SluiceCli.BAD_SPEC;
        } catch (Exception e) {
            err.println("error: " + Errors.oneLine(e));
            return SluiceCli.FAILED;
        }
        return run(opened, accepted, out, err);
    }

    private int run(
            ConfigCommand.Opened opened, TokenConfig accepted, PrintWriter out, PrintWriter err)
            throws InterruptedException {
        ConfigValidator validator =
                (file, text) -> opened.loader().validate(file, text, opened.catalog());
        AdminServer server;
        try {
            server =
                    AdminServer.builder(opened.store(), validator, accepted)
                            .host(host)
                            .port(port)
                            .build()
                            .start();
        } catch (RuntimeException e) {
            opened.close();
            err.println("error: cannot listen on " + host + ":" + port + ": " + Errors.oneLine(e));
            return SluiceCli.FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    server.close();
                                    opened.close();
                                    out.println("Admin API stopped.");
                                    out.flush();
                                    stopped.countDown();
                                },
                                "sluice-serve-shutdown"));
        out.println(
                "Serving the admin API at "
                        + server.url()
                        + "/api for "
                        + opened.store().describe()
                        + " ("
                        + accepted.principals().size()
                        + " tokens; Ctrl-C stops it)");
        out.flush();
        stopped.await(); // the shutdown hook ends the wait; the JVM exits right after it
        return 0;
    }

    private static void printProblems(SpecException e, PrintWriter err) {
        for (Problem p : e.problems()) {
            err.println(p);
        }
    }
}
