-- The login/consent flow and the authorization code and refresh grants.
-- The flow itself travels sealed in challenges; only what must outlive it is
-- stored. Identifiers are VARBINARY(255) (byte-exact, no pad collation);
-- subjects are MEDIUMBLOB of any length, indexed on a 255-byte prefix (the
-- comparison itself stays exact). Times are DATETIME(6) in UTC.

-- +goose Up
CREATE TABLE used_verifiers (
    verifier_key VARBINARY(255) NOT NULL PRIMARY KEY,
    expires_at   DATETIME(6)    NOT NULL,
    INDEX used_verifiers_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE login_sessions (
    id                           VARBINARY(255) NOT NULL PRIMARY KEY,
    subject                      MEDIUMBLOB     NOT NULL,
    authenticated_at             DATETIME(6)    NOT NULL,
    remember                     BOOLEAN        NOT NULL,
    expires_at                   DATETIME(6)    NULL,
    identity_provider_session_id MEDIUMTEXT     NOT NULL,
    INDEX login_sessions_subject (subject(255)),
    INDEX login_sessions_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE consent_sessions (
    id               VARBINARY(255) NOT NULL PRIMARY KEY,
    subject          MEDIUMBLOB     NOT NULL,
    client_id        VARBINARY(255) NOT NULL,
    login_session_id VARBINARY(255) NOT NULL,
    granted_scopes   MEDIUMTEXT     NOT NULL,
    granted_audience MEDIUMTEXT     NOT NULL,
    remember         BOOLEAN        NOT NULL,
    remember_until   DATETIME(6)    NULL,
    session          MEDIUMTEXT     NULL,
    context          MEDIUMTEXT     NULL,
    requested_at     DATETIME(6)    NOT NULL,
    handled_at       DATETIME(6)    NOT NULL,
    INDEX consent_sessions_subject (subject(255), handled_at, id),
    INDEX consent_sessions_subject_client (subject(255), client_id, handled_at),
    INDEX consent_sessions_client_id (client_id),
    CONSTRAINT consent_sessions_client FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE auth_codes (
    digest                VARBINARY(64)  NOT NULL PRIMARY KEY,
    client_id             VARBINARY(255) NOT NULL,
    request_id            VARBINARY(255) NOT NULL,
    redirect_uri          MEDIUMTEXT     NOT NULL,
    code_challenge        MEDIUMTEXT     NOT NULL,
    code_challenge_method TEXT           NOT NULL,
    subject               MEDIUMTEXT     NOT NULL,
    scopes                MEDIUMTEXT     NOT NULL,
    audience              MEDIUMTEXT     NOT NULL,
    session               MEDIUMTEXT     NULL,
    issued_at             DATETIME(6)    NOT NULL,
    expires_at            DATETIME(6)    NOT NULL,
    used_at               DATETIME(6)    NULL,
    INDEX auth_codes_client_id (client_id),
    INDEX auth_codes_request_id (request_id),
    INDEX auth_codes_expires_at (expires_at),
    CONSTRAINT auth_codes_client FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE refresh_tokens (
    digest     VARBINARY(64)  NOT NULL PRIMARY KEY,
    client_id  VARBINARY(255) NOT NULL,
    request_id VARBINARY(255) NOT NULL,
    subject    MEDIUMTEXT     NOT NULL,
    scopes     MEDIUMTEXT     NOT NULL,
    audience   MEDIUMTEXT     NOT NULL,
    session    MEDIUMTEXT     NULL,
    issued_at  DATETIME(6)    NOT NULL,
    expires_at DATETIME(6)    NOT NULL,
    used_at    DATETIME(6)    NULL,
    use_count  INT            NOT NULL,
    revoked_at DATETIME(6)    NULL,
    INDEX refresh_tokens_client_id (client_id),
    INDEX refresh_tokens_request_id (request_id),
    INDEX refresh_tokens_expires_at (expires_at),
    CONSTRAINT refresh_tokens_client FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE auth_codes;
DROP TABLE consent_sessions;
DROP TABLE login_sessions;
DROP TABLE used_verifiers;
