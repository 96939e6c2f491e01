-- Signet's first schema. Times are INTEGER microseconds since the Unix epoch, UTC.

-- +goose Up
CREATE TABLE clients (
    client_id    TEXT    NOT NULL PRIMARY KEY,
    client_name  TEXT    NOT NULL,
    client_owner TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL,
    doc          TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE jwk_sets (
    set_id     TEXT    NOT NULL PRIMARY KEY,
    generation INTEGER NOT NULL
);

CREATE TABLE jwk_keys (
    set_id         TEXT    NOT NULL,
    kid            TEXT    NOT NULL,
    public_jwk     TEXT    NOT NULL,
    sealed_private BLOB,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (set_id, kid)
);

CREATE TABLE access_tokens (
    digest     BLOB    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    subject    TEXT    NOT NULL,
    scopes     TEXT    NOT NULL,
    audience   TEXT    NOT NULL,
    grant_type TEXT    NOT NULL,
    strategy   TEXT    NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    ext        TEXT,
    request_id TEXT    NOT NULL
);
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
CREATE INDEX access_tokens_request_id ON access_tokens (request_id);

-- +goose Down
DROP TABLE access_tokens;
DROP TABLE jwk_keys;
DROP TABLE jwk_sets;
DROP TABLE clients;
