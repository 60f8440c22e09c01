package io.sluice.cli;

import io.sluice.control.store.ConfigStore;
import io.sluice.control.store.ConfigStores;
import io.sluice.control.store.ConfigVersion;
import io.sluice.control.store.ConflictException;
import io.sluice.control.store.RejectedException;
import io.sluice.control.store.StoreLocation;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import io.sluice.spec.problem.Problem;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.SpecException;
import io.sluice.spec.routes.RouteCatalog;
import io.sluice.spec.routes.RoutesLoader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice config ...}: the live routes of a spec's config store, versioned. */
@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        description =
                "Read and change a job's live routes in its config store. Every change is a new"
                        + " version; a running job applies it within a fraction of a second.",
        subcommands = {
            ConfigCommand.Get.class,
            ConfigCommand.Set.class,
            ConfigCommand.Validate.class,
            ConfigCommand.History.class,
            ConfigCommand.Diff.class,
            ConfigCommand.Rollback.class
        })
final class ConfigCommand {
    /** Exit code when another writer changed the config first. */
    static final int CONFLICT = 3;

    static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    /** The spec whose routes are meant, and optionally another store than the spec's. */
    static final class Target {
        @Parameters(index = "0", paramLabel = "SPEC", description = "the job's spec (YAML)")
        Path spec;

        @Option(
                names = "--store",
                paramLabel = "STORE",
                description = "config store to use instead of the spec's (a folder or a jdbc: URL)")
        String store;

        @Option(
                names = "--pipeline",
                paramLabel = "ID",
                description = "the pipeline, when several have live routes")
        String pipeline;

        @Option(
                names = "--store-user",
                paramLabel = "USER",
                description = "database user (default: $SLUICE_STORE_USER or the URL's)")
        String user = System.getenv("SLUICE_STORE_USER");

        @Option(
                names = "--store-password-env",
                paramLabel = "VAR",
                description =
                        "environment variable holding the database password (default:"
                                + " SLUICE_STORE_PASSWORD)")
        String passwordEnv = "SLUICE_STORE_PASSWORD";

        /** The routes' catalog from the spec, and the store, opened with the routes validator. */
        Opened open() throws Exception {
            PluginRegistry registry = PluginRegistry.load();
            Spec s = new SpecLoader(registry).load(spec);
            Spec.PipelineSpec p =
                    s.pipelines().stream()
                            .filter(x -> x.routes() != null || x.scenarios() != null)
                            .filter(x -> pipeline == null || x.id().equals(pipeline))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    spec
                                                            + ": no pipeline"
                                                            + (pipeline == null
                                                                    ? ""
                                                                    : " '" + pipeline + "'")
                                                            + " has live routes or scenarios"));
            RouteCatalog catalog = RouteCatalog.of(s, p);
            RoutesLoader loader = new RoutesLoader(registry);
            String where =
                    store != null
                            ? store
                            : p.routes() != null ? p.routes().store() : p.scenarios().store();
            StoreLocation loc;
            if (where.startsWith("jdbc:")) {
                loc = StoreLocation.parse(where);
            } else {
                String path = where.startsWith("file:") ? where.substring(5) : where;
                Path base = store != null ? Path.of(".") : spec.toAbsolutePath().getParent();
                loc = StoreLocation.parse(base.resolve(path).normalize().toString());
            }
            String password = passwordEnv == null ? null : System.getenv(passwordEnv);
            if (user != null || password != null) {
                loc = loc.withCredentials(user, password);
            }
            ConfigStore st =
                    ConfigStores.open(loc, (file, text) -> loader.validate(file, text, catalog));
            return new Opened(st, loader, catalog);
        }
    }

    /** Who makes a change and why, recorded with the version it writes. */
    static final class Change {
        @Option(names = "--author", description = "who makes the change (default: $USER)")
        String author;

        @Option(
                names = {"-m", "--comment"},
                description = "why")
        String comment;

        String author() {
            if (author != null) {
                return author;
            }
            String user = System.getenv("USER");
            return user == null || user.isBlank() ? "cli" : user;
        }
    }

    record Opened(ConfigStore store, RoutesLoader loader, RouteCatalog catalog)
            implements AutoCloseable {
        @Override
        public void close() {
            store.close();
        }
    }

    /** Shared: run with the store open, turning the usual failures into clear exit codes. */
    abstract static class Sub implements Callable<Integer> {
        @Mixin Target target;

        @CommandLine.Spec CommandLine.Model.CommandSpec cmd;

        PrintWriter out() {
            return cmd.commandLine().getOut();
        }

        PrintWriter err() {
            return cmd.commandLine().getErr();
        }

        abstract int run(Opened o) throws Exception;

        @Override
        public Integer call() {
            try {
                return runOpened();
            } finally {
                out().flush();
                err().flush();
            }
        }

        private int runOpened() {
            try (Opened o = target.open()) {
                importHandEdits(o);
                return run(o);
            } catch (SpecException e) {
                e.problems().forEach(p -> err().println(p));
                err().println("error: " + e.problems().size() + " problem(s); nothing was changed");
                return SluiceCli.BAD_SPEC;
            } catch (RejectedException e) {
                printProblems(e.problems());
                err().println(
                                "error: the routes have "
                                        + e.problems().size()
                                        + " problem(s); no version was written and the running config"
                                        + " stays");
                return SluiceCli.BAD_SPEC;
            } catch (ConflictException e) {
                err().println(
                                "error: the config changed meanwhile (now version "
                                        + e.actual()
                                        + ", expected "
                                        + e.expected()
                                        + "); look at it with 'config get' and try again");
                return CONFLICT;
            } catch (Exception e) {
                err().println("error: " + Errors.oneLine(e));
                return SluiceCli.FAILED;
            }
        }

        /**
         * A file store's routes.yaml edited by hand becomes a version first, as a running job would
         * take it; an edit with problems is reported and left out.
         */
        private void importHandEdits(Opened o) {
            if (o.store() instanceof io.sluice.control.store.FileConfigStore f) {
                try {
                    f.importEdits()
                            .ifPresent(
                                    v ->
                                            err().println(
                                                            "note: the hand edit of "
                                                                    + f.documentFile()
                                                                    + " became "
                                                                    + describe(v)));
                } catch (RejectedException e) {
                    printProblems(e.problems());
                    err().println(
                                    "warning: "
                                            + f.documentFile()
                                            + " was edited by hand and has problems; it was not taken as"
                                            + " a version");
                }
            }
        }

        void printProblems(Problems problems) {
            for (Problem p : problems.list()) {
                err().println(p);
            }
        }

        static String describe(ConfigVersion v) {
            return "version "
                    + v.number()
                    + " by "
                    + v.author()
                    + " at "
                    + TIME.format(v.time())
                    + (v.comment() == null || v.comment().isBlank() ? "" : ": " + v.comment());
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            description = "Print the current routes (or another version's).")
    static final class Get extends Sub {
        @Option(names = "--version", paramLabel = "N", description = "this version")
        Long version;

        @Override
        int run(Opened o) {
            ConfigVersion v =
                    (version == null ? o.store().current() : o.store().version(version))
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    version == null
                                                            ? o.store().describe()
                                                                    + " has no version yet"
                                                            : "no version " + version));
            out().println("# " + describe(v));
            out().print(v.text().endsWith("\n") ? v.text() : v.text() + "\n");
            return 0;
        }
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description =
                    "Write FILE as the new version after checking it; a file with problems is"
                            + " rejected whole (exit 2).")
    static final class Set extends Sub {
        @Parameters(index = "1", paramLabel = "FILE", description = "the new routes (YAML)")
        Path file;

        @Mixin Change change;

        @Option(
                names = "--expect",
                paramLabel = "N",
                description =
                        "write only if the current version is N (default: the one read just"
                                + " before writing)")
        Long expect;

        @Override
        int run(Opened o) throws Exception {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            long expected = expect != null ? expect : o.store().latest();
            ConfigVersion v =
                    o.store()
                            .commit(
                                    text,
                                    expected,
                                    change.author(),
                                    change.comment == null ? "" : change.comment);
            out().println("Wrote " + describe(v));
            return 0;
        }
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = "Check FILE as routes for the spec without writing anything.")
    static final class Validate extends Sub {
        @Parameters(index = "1", paramLabel = "FILE", description = "routes (YAML)")
        Path file;

        @Override
        int run(Opened o) throws Exception {
            Problems p =
                    o.loader()
                            .validate(
                                    file.getFileName().toString(),
                                    Files.readString(file, StandardCharsets.UTF_8),
                                    o.catalog());
            if (!p.isEmpty()) {
                printProblems(p);
                err().println("error: " + p.size() + " problem(s)");
                return SluiceCli.BAD_SPEC;
            }
            out().println(file + ": valid routes");
            return 0;
        }
    }

    @Command(
            name = "history",
            mixinStandardHelpOptions = true,
            description = "List versions, newest first.")
    static final class History extends Sub {
        @Option(names = "--limit", description = "at most this many (default: ${DEFAULT-VALUE})")
        int limit = 20;

        @Override
        int run(Opened o) {
            for (ConfigVersion v : o.store().history(limit)) {
                out().println(describe(v));
            }
            return 0;
        }
    }

    @Command(
            name = "diff",
            mixinStandardHelpOptions = true,
            description = "Show what changed from version A to version B (default: the current).")
    static final class Diff extends Sub {
        @Parameters(index = "1", paramLabel = "A", description = "the older version")
        long a;

        @Parameters(index = "2", arity = "0..1", paramLabel = "B", description = "the newer")
        Long b;

        @Override
        int run(Opened o) {
            out().print(o.store().diff(a, b == null ? o.store().latest() : b));
            return 0;
        }
    }

    @Command(
            name = "rollback",
            mixinStandardHelpOptions = true,
            description =
                    "Make version N current again, as a new version equal to it (checked again"
                            + " first).")
    static final class Rollback extends Sub {
        @Parameters(index = "1", paramLabel = "N", description = "the version to return to")
        long to;

        @Mixin Change change;

        @Override
        int run(Opened o) {
            ConfigVersion v =
                    o.store().rollback(to, o.store().latest(), change.author(), change.comment);
            out().println("Wrote " + describe(v));
            return 0;
        }
    }
}
