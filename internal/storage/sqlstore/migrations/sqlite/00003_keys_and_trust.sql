-- Issue 5: the hidden credentials of clients (rotated secrets, the sealed
-- secret of client_secret_jwt clients, the registration token digest) and
-- the trust relationships of the RFC 7523 JWT bearer grant. Used JTIs share
-- used_verifiers (keys prefixed "jti:").

-- +goose Up
ALTER TABLE clients ADD COLUMN credentials TEXT;

CREATE TABLE trust_jwt_bearer_issuers (
    id                TEXT    NOT NULL PRIMARY KEY,
    issuer            TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    allow_any_subject INTEGER NOT NULL,
    scope             TEXT    NOT NULL,
    key_id            TEXT    NOT NULL,
    public_key        TEXT    NOT NULL,
    expires_at        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (issuer, subject, key_id)
);
CREATE INDEX trust_jwt_bearer_issuers_expires_at ON trust_jwt_bearer_issuers (expires_at);

-- +goose Down
DROP TABLE trust_jwt_bearer_issuers;
ALTER TABLE clients DROP COLUMN credentials;
