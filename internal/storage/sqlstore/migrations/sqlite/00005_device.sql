-- The device authorization grant (RFC 8628): one row per request, keyed by
-- the device code's digest. The user code is stored as a keyed digest too.
-- Each state change (user code accepted, approved or denied, polled,
-- tokens issued) is one conditional UPDATE on its own column. Times are
-- INTEGER microseconds since the Unix epoch, UTC; interval_ms is the
-- polling interval in milliseconds.

-- +goose Up
CREATE TABLE device_codes (
    device_digest     BLOB    NOT NULL PRIMARY KEY,
    user_digest       BLOB    NOT NULL UNIQUE,
    request_id        TEXT    NOT NULL UNIQUE,
    client_id         TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes            TEXT    NOT NULL,
    audience          TEXT    NOT NULL,
    issued_at         INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    interval_ms       INTEGER NOT NULL,
    last_polled_at    INTEGER,
    user_code_used_at INTEGER,
    approved_at       INTEGER,
    denied_at         INTEGER,
    subject           TEXT    NOT NULL,
    granted_scopes    TEXT    NOT NULL,
    granted_audience  TEXT    NOT NULL,
    session           TEXT,
    used_at           INTEGER
);
CREATE INDEX device_codes_client_id ON device_codes (client_id);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);

-- +goose Down
DROP TABLE device_codes;
