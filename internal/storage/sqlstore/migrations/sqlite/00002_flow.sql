-- The login/consent flow and the authorization code and refresh grants.
-- The flow itself travels sealed in challenges; only what must outlive it is
-- stored. Times are INTEGER microseconds since the Unix epoch, UTC; booleans
-- are 0/1; lists and claims are JSON text.

-- +goose Up
CREATE TABLE used_verifiers (
    verifier_key TEXT    NOT NULL PRIMARY KEY,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX used_verifiers_expires_at ON used_verifiers (expires_at);

CREATE TABLE login_sessions (
    id                           TEXT    NOT NULL PRIMARY KEY,
    subject                      TEXT    NOT NULL,
    authenticated_at             INTEGER NOT NULL,
    remember                     INTEGER NOT NULL,
    expires_at                   INTEGER,
    identity_provider_session_id TEXT    NOT NULL
);
CREATE INDEX login_sessions_subject ON login_sessions (subject);
CREATE INDEX login_sessions_expires_at ON login_sessions (expires_at);

CREATE TABLE consent_sessions (
    id               TEXT    NOT NULL PRIMARY KEY,
    subject          TEXT    NOT NULL,
    client_id        TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    login_session_id TEXT    NOT NULL,
    granted_scopes   TEXT    NOT NULL,
    granted_audience TEXT    NOT NULL,
    remember         INTEGER NOT NULL,
    remember_until   INTEGER,
    session          TEXT,
    context          TEXT,
    requested_at     INTEGER NOT NULL,
    handled_at       INTEGER NOT NULL
);
CREATE INDEX consent_sessions_subject ON consent_sessions (subject, handled_at, id);
CREATE INDEX consent_sessions_subject_client ON consent_sessions (subject, client_id, handled_at);
CREATE INDEX consent_sessions_client_id ON consent_sessions (client_id);

CREATE TABLE auth_codes (
    digest                BLOB    NOT NULL PRIMARY KEY,
    client_id             TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    request_id            TEXT    NOT NULL,
    redirect_uri          TEXT    NOT NULL,
    code_challenge        TEXT    NOT NULL,
    code_challenge_method TEXT    NOT NULL,
    subject               TEXT    NOT NULL,
    scopes                TEXT    NOT NULL,
    audience              TEXT    NOT NULL,
    session               TEXT,
    issued_at             INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    used_at               INTEGER
);
CREATE INDEX auth_codes_client_id ON auth_codes (client_id);
CREATE INDEX auth_codes_request_id ON auth_codes (request_id);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE refresh_tokens (
    digest     BLOB    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    request_id TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    scopes     TEXT    NOT NULL,
    audience   TEXT    NOT NULL,
    session    TEXT,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    use_count  INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_request_id ON refresh_tokens (request_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE auth_codes;
DROP TABLE consent_sessions;
DROP TABLE login_sessions;
DROP TABLE used_verifiers;
