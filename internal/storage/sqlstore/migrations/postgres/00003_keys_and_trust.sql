-- Issue 5: the hidden credentials of clients (rotated secrets, the sealed
-- secret of client_secret_jwt clients, the registration token digest) and
-- the trust relationships of the RFC 7523 JWT bearer grant. Used JTIs share
-- used_verifiers (keys prefixed "jti:").

-- +goose Up
ALTER TABLE clients ADD COLUMN credentials TEXT;

CREATE TABLE trust_jwt_bearer_issuers (
    id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    issuer            TEXT COLLATE "C" NOT NULL,
    subject           TEXT COLLATE "C" NOT NULL,
    allow_any_subject BOOLEAN     NOT NULL,
    scope             TEXT        NOT NULL,
    key_id            TEXT COLLATE "C" NOT NULL,
    public_key        TEXT        NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (issuer, subject, key_id)
);
CREATE INDEX trust_jwt_bearer_issuers_expires_at ON trust_jwt_bearer_issuers (expires_at);

-- +goose Down
DROP TABLE trust_jwt_bearer_issuers;
ALTER TABLE clients DROP COLUMN credentials;
