-- Signet's first schema. Identifiers, and the text columns that filters compare
-- (client name and owner), are binary types: byte-exact comparison and ordering
-- on both MySQL and MariaDB, whose _bin collations pad trailing spaces (so "a"
-- and "a " would be equal). Other text is utf8mb4; times are DATETIME(6) in UTC.

-- +goose Up
CREATE TABLE clients (
    client_id    VARBINARY(255) NOT NULL PRIMARY KEY,
    client_name  MEDIUMBLOB     NOT NULL,
    client_owner MEDIUMBLOB     NOT NULL,
    secret_hash  TEXT           NOT NULL,
    doc          MEDIUMTEXT     NOT NULL,
    created_at   DATETIME(6)    NOT NULL,
    updated_at   DATETIME(6)    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE jwk_sets (
    set_id     VARBINARY(255) NOT NULL PRIMARY KEY,
    generation BIGINT         NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE jwk_keys (
    set_id         VARBINARY(255) NOT NULL,
    kid            VARBINARY(255) NOT NULL,
    public_jwk     MEDIUMTEXT     NOT NULL,
    sealed_private MEDIUMBLOB,
    created_at     DATETIME(6)    NOT NULL,
    PRIMARY KEY (set_id, kid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE access_tokens (
    digest     VARBINARY(64)  NOT NULL PRIMARY KEY,
    client_id  VARBINARY(255) NOT NULL,
    subject    MEDIUMTEXT     NOT NULL,
    scopes     MEDIUMTEXT     NOT NULL,
    audience   MEDIUMTEXT     NOT NULL,
    grant_type TEXT           NOT NULL,
    strategy   TEXT           NOT NULL,
    issued_at  DATETIME(6)    NOT NULL,
    expires_at DATETIME(6)    NOT NULL,
    revoked_at DATETIME(6)    NULL,
    ext        MEDIUMTEXT     NULL,
    request_id VARBINARY(255) NOT NULL,
    INDEX access_tokens_client_id (client_id),
    INDEX access_tokens_expires_at (expires_at),
    INDEX access_tokens_request_id (request_id),
    CONSTRAINT access_tokens_client FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE access_tokens;
DROP TABLE jwk_keys;
DROP TABLE jwk_sets;
DROP TABLE clients;
