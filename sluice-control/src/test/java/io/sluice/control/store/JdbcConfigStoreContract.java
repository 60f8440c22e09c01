package io.sluice.control.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.control.it.EmbeddedDatabase;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The contract on a database server, plus connecting, credentials and the schema. */
abstract class JdbcConfigStoreContract extends ConfigStoreContract {
    /** The shared server's {@code sluice} database. */
    abstract EmbeddedDatabase server();

    private EmbeddedDatabase database;

    @Override
    StoreLocation freshLocation() {
        database = server().fresh();
        return database.location();
    }

    EmbeddedDatabase database() {
        location();
        return database;
    }

    @Test
    void describesItselfByItsUrl() {
        ConfigStore store = open();
        assertThat(store.describe()).isEqualTo(database().jdbcUrl());
    }

    @Test
    void credentialsMayComeInTheUrlAndFieldsOverrideThem() {
        EmbeddedDatabase db = database();
        String withCredentials = db.jdbcUrl() + "?user=" + db.user() + "&password=" + db.password();
        try (ConfigStore store =
                ConfigStores.open(StoreLocation.parse(withCredentials), validator)) {
            store.commit("a: 1\n", 0, AUTHOR, "");
            assertThat(store.describe())
                    .isEqualTo(db.jdbcUrl() + "?user=" + db.user() + "&password=***");
        }
        String wrongCredentials = db.jdbcUrl() + "?user=nobody&password=wrong";
        StoreLocation overridden = new StoreLocation(wrongCredentials, db.user(), db.password());
        try (ConfigStore store = ConfigStores.open(overridden, validator)) {
            assertThat(store.latest()).isEqualTo(1);
        }
    }

    @Test
    void aWrongPasswordFailsWithOneLineThatDoesNotShowIt() {
        EmbeddedDatabase db = database();
        StoreLocation wrong = new StoreLocation(db.jdbcUrl(), db.user(), "not-the-password");
        assertThatThrownBy(() -> ConfigStores.open(wrong, validator))
                .isInstanceOf(ConfigStoreException.class)
                .hasMessageStartingWith("config store " + db.jdbcUrl() + " cannot be opened: ")
                .hasMessageNotContaining("\n")
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void anUnreachableServerFailsWithOneLineNamingTheUrl() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String scheme = server().jdbcUrl().substring(0, server().jdbcUrl().indexOf("://"));
        String url = scheme + "://localhost:" + closedPort + "/sluice";
        assertThatThrownBy(() -> ConfigStores.open(new StoreLocation(url, "u", "p"), validator))
                .isInstanceOf(ConfigStoreException.class)
                .hasMessage("config store " + url + " is unreachable: Connection refused");
    }

    @Test
    void theTablesMayShareASchemaWithOthers() throws SQLException {
        EmbeddedDatabase db = database();
        try (Connection c = db.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE someone_elses (id INT PRIMARY KEY)");
        }
        ConfigStore store = open();
        store.commit("a: 1\n", 0, AUTHOR, "");
        try (Connection c = db.connect();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery(
                                "SELECT version FROM sluice_schema_history"
                                        + " WHERE success ORDER BY installed_rank")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("0"); // the baseline below V1
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("1");
        }
    }

    @Test
    void openingAgainDoesNotMigrateAgain() throws SQLException {
        open().commit("a: 1\n", 0, AUTHOR, "");
        open();
        try (Connection c = database().connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM sluice_schema_history")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }
}
