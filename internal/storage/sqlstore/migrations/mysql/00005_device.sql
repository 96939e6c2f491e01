-- The device authorization grant (RFC 8628): one row per request, keyed by
-- the device code's digest. The user code is stored as a keyed digest too.
-- Each state change (user code accepted, approved or denied, polled,
-- tokens issued) is one conditional UPDATE on its own column; interval_ms
-- is the polling interval in milliseconds.

-- +goose Up
CREATE TABLE device_codes (
    device_digest     VARBINARY(64)  NOT NULL PRIMARY KEY,
    user_digest       VARBINARY(64)  NOT NULL,
    request_id        VARBINARY(255) NOT NULL,
    client_id         VARBINARY(255) NOT NULL,
    scopes            MEDIUMTEXT     NOT NULL,
    audience          MEDIUMTEXT     NOT NULL,
    issued_at         DATETIME(6)    NOT NULL,
    expires_at        DATETIME(6)    NOT NULL,
    interval_ms       BIGINT         NOT NULL,
    last_polled_at    DATETIME(6)    NULL,
    user_code_used_at DATETIME(6)    NULL,
    approved_at       DATETIME(6)    NULL,
    denied_at         DATETIME(6)    NULL,
    subject           MEDIUMTEXT     NOT NULL,
    granted_scopes    MEDIUMTEXT     NOT NULL,
    granted_audience  MEDIUMTEXT     NOT NULL,
    session           MEDIUMTEXT     NULL,
    used_at           DATETIME(6)    NULL,
    UNIQUE INDEX device_codes_user_digest (user_digest),
    UNIQUE INDEX device_codes_request_id (request_id),
    INDEX device_codes_client_id (client_id),
    INDEX device_codes_expires_at (expires_at),
    CONSTRAINT device_codes_client FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE device_codes;
