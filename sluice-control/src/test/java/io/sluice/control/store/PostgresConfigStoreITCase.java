package io.sluice.control.store;

import io.sluice.control.it.EmbeddedDatabase;
import io.sluice.control.it.EmbeddedDatabases;

/** The store contract on a real PostgreSQL server. */
class PostgresConfigStoreITCase extends JdbcConfigStoreContract {
    @Override
    EmbeddedDatabase server() {
        return EmbeddedDatabases.postgres();
    }
}
