-- The janitor (`signet janitor` and the janitor.* background task) deletes
-- dead rows in bounded batches, each chosen through an index in the order
-- of the column that made it dead. Expiry columns were indexed by earlier
-- migrations; this indexes revocation. The indexes are partial (revoked
-- rows only), so no query looking for live tokens (revoked_at IS NULL) can
-- be planned through them, and they stay as small as the revoked set. The
-- janitor's lock is an advisory lock, so no lock table is needed here.

-- +goose Up
CREATE INDEX access_tokens_revoked_at ON access_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_tokens_revoked_at ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX refresh_tokens_revoked_at;
DROP INDEX access_tokens_revoked_at;
