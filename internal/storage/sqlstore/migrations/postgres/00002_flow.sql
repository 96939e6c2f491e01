-- The login/consent flow and the authorization code and refresh grants.
-- The flow itself travels sealed in challenges; only what must outlive it is
-- stored. Identifiers use COLLATE "C" (bytewise, as on SQLite and MySQL);
-- lists and claims are JSON text.

-- +goose Up
CREATE TABLE used_verifiers (
    verifier_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX used_verifiers_expires_at ON used_verifiers (expires_at);

CREATE TABLE login_sessions (
    id                           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    subject                      TEXT COLLATE "C" NOT NULL,
    authenticated_at             TIMESTAMPTZ NOT NULL,
    remember                     BOOLEAN     NOT NULL,
    expires_at                   TIMESTAMPTZ,
    identity_provider_session_id TEXT        NOT NULL
);
CREATE INDEX login_sessions_subject ON login_sessions (subject);
CREATE INDEX login_sessions_expires_at ON login_sessions (expires_at);

CREATE TABLE consent_sessions (
    id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    subject          TEXT COLLATE "C" NOT NULL,
    client_id        TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    login_session_id TEXT COLLATE "C" NOT NULL,
    granted_scopes   TEXT        NOT NULL,
    granted_audience TEXT        NOT NULL,
    remember         BOOLEAN     NOT NULL,
    remember_until   TIMESTAMPTZ,
    session          TEXT,
    context          TEXT,
    requested_at     TIMESTAMPTZ NOT NULL,
    handled_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX consent_sessions_subject ON consent_sessions (subject, handled_at, id);
CREATE INDEX consent_sessions_subject_client ON consent_sessions (subject, client_id, handled_at);
CREATE INDEX consent_sessions_client_id ON consent_sessions (client_id);

CREATE TABLE auth_codes (
    digest                BYTEA       NOT NULL PRIMARY KEY,
    client_id             TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    request_id            TEXT COLLATE "C" NOT NULL,
    redirect_uri          TEXT        NOT NULL,
    code_challenge        TEXT        NOT NULL,
    code_challenge_method TEXT        NOT NULL,
    subject               TEXT        NOT NULL,
    scopes                TEXT        NOT NULL,
    audience              TEXT        NOT NULL,
    session               TEXT,
    issued_at             TIMESTAMPTZ NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL,
    used_at               TIMESTAMPTZ
);
CREATE INDEX auth_codes_client_id ON auth_codes (client_id);
CREATE INDEX auth_codes_request_id ON auth_codes (request_id);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE refresh_tokens (
    digest     BYTEA       NOT NULL PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    request_id TEXT COLLATE "C" NOT NULL,
    subject    TEXT        NOT NULL,
    scopes     TEXT        NOT NULL,
    audience   TEXT        NOT NULL,
    session    TEXT,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    use_count  INTEGER     NOT NULL,
    revoked_at TIMESTAMPTZ
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
