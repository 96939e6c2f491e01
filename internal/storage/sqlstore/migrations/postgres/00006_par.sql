-- Pushed authorization requests (RFC 9126). A row is a request pushed to
-- /oauth2/par, kept under the SHA-256 digest of its request_uri's opaque
-- reference until its one use deletes it or it expires. params is the request's
-- form encoding (never client credentials).

-- +goose Up
CREATE TABLE pushed_requests (
    digest     BYTEA            NOT NULL PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    params     TEXT             NOT NULL,
    expires_at TIMESTAMPTZ      NOT NULL
);
CREATE INDEX pushed_requests_client_id ON pushed_requests (client_id);
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);

-- +goose Down
DROP TABLE pushed_requests;
