-- The janitor (`signet janitor` and the janitor.* background task) deletes
-- dead rows in bounded batches, each chosen through an index in the order
-- of the column that made it dead. Expiry columns were indexed by earlier
-- migrations; this indexes revocation.
--
-- MySQL has no partial indexes, and a plain index on revoked_at is taken
-- by the optimizer for the hot statements that look for live tokens
-- ("digest = ? AND revoked_at IS NULL", "revoked_at IS NULL AND request_id
-- IN …"): it then scans and locks every live token, and concurrent refresh
-- rotations deadlock. The index is therefore on revoked_sweep, a virtual
-- copy of revoked_at that only the janitor names, so no other statement's
-- plan can change. The janitor's lock is a named lock (GET_LOCK), so no
-- lock table is needed here.

-- +goose Up
ALTER TABLE access_tokens
    ADD COLUMN revoked_sweep DATETIME(6) AS (revoked_at) VIRTUAL,
    ADD INDEX access_tokens_revoked_sweep (revoked_sweep);
ALTER TABLE refresh_tokens
    ADD COLUMN revoked_sweep DATETIME(6) AS (revoked_at) VIRTUAL,
    ADD INDEX refresh_tokens_revoked_sweep (revoked_sweep);

-- +goose Down
ALTER TABLE refresh_tokens DROP INDEX refresh_tokens_revoked_sweep, DROP COLUMN revoked_sweep;
ALTER TABLE access_tokens DROP INDEX access_tokens_revoked_sweep, DROP COLUMN revoked_sweep;
