-- Issue 5: the hidden credentials of clients (rotated secrets, the sealed
-- secret of client_secret_jwt clients, the registration token digest) and
-- the trust relationships of the RFC 7523 JWT bearer grant. Used JTIs share
-- used_verifiers (keys prefixed "jti:"). Issuer, subject and key ID are at
-- most 255 bytes each, so their unique index fits InnoDB's key limit.

-- +goose Up
ALTER TABLE clients ADD COLUMN credentials MEDIUMTEXT NULL;

CREATE TABLE trust_jwt_bearer_issuers (
    id                VARBINARY(255) NOT NULL PRIMARY KEY,
    issuer            VARBINARY(255) NOT NULL,
    subject           VARBINARY(255) NOT NULL,
    allow_any_subject BOOLEAN        NOT NULL,
    scope             MEDIUMTEXT     NOT NULL,
    key_id            VARBINARY(255) NOT NULL,
    public_key        MEDIUMTEXT     NOT NULL,
    expires_at        DATETIME(6)    NOT NULL,
    created_at        DATETIME(6)    NOT NULL,
    UNIQUE KEY trust_jwt_bearer_issuers_key (issuer, subject, key_id),
    INDEX trust_jwt_bearer_issuers_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE trust_jwt_bearer_issuers;
ALTER TABLE clients DROP COLUMN credentials;
