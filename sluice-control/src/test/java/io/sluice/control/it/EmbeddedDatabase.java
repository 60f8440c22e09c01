package io.sluice.control.it;

import io.sluice.control.store.StoreLocation;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A database on one of the {@link EmbeddedDatabases} servers, and the account to use it with: a
 * password account with every privilege, so tests exercise real authentication.
 */
public record EmbeddedDatabase(
        Vendor vendor, String host, int port, String database, String user, String password) {

    public enum Vendor {
        MARIADB,
        POSTGRESQL
    }

    private static final AtomicInteger FRESH = new AtomicInteger();

    /** {@code jdbc:mariadb://localhost:PORT/DB} or {@code jdbc:postgresql://localhost:PORT/DB}. */
    public String jdbcUrl() {
        String scheme = vendor == Vendor.MARIADB ? "jdbc:mariadb" : "jdbc:postgresql";
        return scheme + "://" + host + ":" + port + "/" + database;
    }

    /** The database as a config store location, credentials given apart from the URL. */
    public StoreLocation location() {
        return new StoreLocation(jdbcUrl(), user, password);
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user, password);
    }

    /** A new, empty database on the same server, so a test starts from nothing. */
    public EmbeddedDatabase fresh() {
        String name = "sluice_t" + FRESH.incrementAndGet();
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + " on " + this, e);
        }
        return new EmbeddedDatabase(vendor, host, port, name, user, password);
    }

    @Override
    public String toString() {
        return jdbcUrl() + " (user " + user + ")";
    }
}
