package io.sluice.control.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;
import org.junit.jupiter.api.Test;

/** The store contract on a real MariaDB server. */
class MariaDbConfigStoreITCase extends JdbcConfigStoreContract {
    @Override
    EmbeddedDatabase server() {
        return EmbeddedDatabases.mariadb();
    }

    @Test
    void mysqlUrlsUseTheMariaDbDriver() {
        EmbeddedDatabase db = database();
        String mysql = db.jdbcUrl().replace("jdbc:mariadb:", "jdbc:mysql:");
        open().commit("a: 1\n", 0, AUTHOR, "");
        try (ConfigStore store =
                ConfigStores.open(new StoreLocation(mysql, db.user(), db.password()), validator)) {
            assertThat(store.describe()).startsWith("jdbc:mysql://");
            assertThat(store.latest()).isEqualTo(1);
        }
    }
}
