-- Sluice config store (sluice-control JdbcConfigStore), PostgreSQL.
-- Times are UTC; the store writes them, so no column depends on the session time zone.

-- Every version of the live config document. Rows are only ever inserted.
CREATE TABLE sluice_config_versions (
    number     BIGINT       NOT NULL PRIMARY KEY,
    author     VARCHAR(255) NOT NULL,
    created_at TIMESTAMP(3) NOT NULL,
    comment    TEXT         NOT NULL,
    body       TEXT         NOT NULL,
    sha256     CHAR(64)     NOT NULL
);

-- Exactly one row: the current version number (0 = empty store). A commit moves it with
-- UPDATE ... WHERE number = <expected> in the transaction that inserts the version, so of two
-- writers with the same expected number only one updates a row.
CREATE TABLE sluice_config_head (
    id     INT    NOT NULL PRIMARY KEY,
    number BIGINT NOT NULL,
    CONSTRAINT sluice_config_head_one_row CHECK (id = 1)
);

INSERT INTO sluice_config_head (id, number) VALUES (1, 0);

CREATE TABLE sluice_config_audit (
    id         BIGINT       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at TIMESTAMP(3) NOT NULL,
    actor      VARCHAR(255) NOT NULL,
    action     VARCHAR(255) NOT NULL,
    target     TEXT         NOT NULL,
    detail     TEXT         NOT NULL
);
