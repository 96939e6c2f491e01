-- DPoP (RFC 9449): the RFC 7638 thumbprint (base64url SHA-256, 43
-- characters) of the key a token is bound to. NULL for bearer tokens,
-- which all existing rows are. Access tokens bound to a key are
-- introspected with cnf.jkt; refresh tokens of public clients bound to one
-- need a proof by that key to be rotated. auth_codes.dpop_jkt is the
-- dpop_jkt of the authorization request (RFC 9449 section 10): the code is
-- redeemed only with a proof by that key. No index: the columns are only
-- ever read together with the row found by its digest.

-- +goose Up
ALTER TABLE access_tokens ADD COLUMN jkt VARBINARY(255) NULL;
ALTER TABLE refresh_tokens ADD COLUMN jkt VARBINARY(255) NULL;
ALTER TABLE auth_codes ADD COLUMN dpop_jkt VARBINARY(255) NULL;

-- +goose Down
ALTER TABLE auth_codes DROP COLUMN dpop_jkt;
ALTER TABLE refresh_tokens DROP COLUMN jkt;
ALTER TABLE access_tokens DROP COLUMN jkt;
