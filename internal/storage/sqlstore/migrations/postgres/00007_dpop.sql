-- DPoP (RFC 9449): the RFC 7638 thumbprint (base64url SHA-256, 43
-- characters) of the key a token is bound to. NULL for bearer tokens,
-- which all existing rows are. Access tokens bound to a key are
-- introspected with cnf.jkt; refresh tokens of public clients bound to one
-- need a proof by that key to be rotated. No index: the column is only
-- ever read together with the row found by its digest.

-- +goose Up
ALTER TABLE access_tokens ADD COLUMN jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN jkt;
ALTER TABLE access_tokens DROP COLUMN jkt;
