-- Pushed authorization requests (RFC 9126). A row is a request pushed to
-- /oauth2/par, kept under the SHA-256 digest of its request_uri's opaque
-- reference until its one use deletes it or it expires. params is the request's
-- form encoding (never client credentials). Times are DATETIME(6) in UTC.

-- +goose Up
CREATE TABLE pushed_requests (
    digest     VARBINARY(64)  NOT NULL PRIMARY KEY,
    client_id  VARBINARY(255) NOT NULL,
    params     MEDIUMTEXT     NOT NULL,
    expires_at DATETIME(6)    NOT NULL,
    INDEX pushed_requests_client_id (client_id),
    INDEX pushed_requests_expires_at (expires_at),
    CONSTRAINT pushed_requests_client FOREIGN KEY (client_id) REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE pushed_requests;
