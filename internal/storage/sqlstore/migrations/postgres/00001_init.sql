-- Signet's first schema. Identifiers use COLLATE "C" so that ordering (keyset
-- pagination) is by bytes, as on SQLite and MySQL, whatever the database locale.

-- +goose Up
CREATE TABLE clients (
    client_id    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    client_name  TEXT        NOT NULL,
    client_owner TEXT        NOT NULL,
    secret_hash  TEXT        NOT NULL,
    doc          TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE jwk_sets (
    set_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    generation BIGINT NOT NULL
);

CREATE TABLE jwk_keys (
    set_id         TEXT COLLATE "C" NOT NULL,
    kid            TEXT COLLATE "C" NOT NULL,
    public_jwk     TEXT        NOT NULL,
    sealed_private BYTEA,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (set_id, kid)
);

CREATE TABLE access_tokens (
    digest     BYTEA       NOT NULL PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    subject    TEXT        NOT NULL,
    scopes     TEXT        NOT NULL,
    audience   TEXT        NOT NULL,
    grant_type TEXT        NOT NULL,
    strategy   TEXT        NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    ext        TEXT,
    request_id TEXT COLLATE "C" NOT NULL
);
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
CREATE INDEX access_tokens_request_id ON access_tokens (request_id);

-- +goose Down
DROP TABLE access_tokens;
DROP TABLE jwk_keys;
DROP TABLE jwk_sets;
DROP TABLE clients;
