package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Access tokens are keyed by their digest; the raw token is never stored.
// Deleting a client deletes its tokens through ON DELETE CASCADE.

const accessCols = "digest, client_id, subject, scopes, audience, grant_type, strategy, " +
	"issued_at, expires_at, revoked_at, ext, request_id"

type tokenSQL struct {
	get, revoke, revokeClient string
}

func buildTokenSQL(d dialect) tokenSQL {
	return tokenSQL{
		get: d.rebind("SELECT " + accessCols + " FROM access_tokens WHERE digest = ?"),
		// COALESCE keeps the first revocation time: revoking twice is not
		// an error and does not rewrite history.
		revoke:       d.rebind("UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE digest = ? AND client_id = ?"),
		revokeClient: d.rebind("UPDATE access_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL"),
	}
}

// CreateAccess records a newly minted token: one write, which concurrent
// calls share (see batcher). A digest that exists is storage.ErrConflict;
// an unknown client is storage.ErrNotFound.
func (s *Store) CreateAccess(ctx context.Context, a *token.AccessRecord) error {
	scopes, err := jsonText(a.Scopes)
	if err != nil {
		return err
	}
	aud, err := jsonText(a.Audience)
	if err != nil {
		return err
	}
	err = s.accessInserts.insert(ctx, []any{a.Digest, a.ClientID, a.Subject, scopes, aud,
		a.GrantType, a.Strategy, s.d.timeArg(a.IssuedAt), s.d.timeArg(a.ExpiresAt),
		s.d.nullTimeArg(a.RevokedAt), rawOrNil(a.Ext), a.RequestID})
	return s.d.classify("create access token", err)
}

// GetAccess returns the record for a digest, expired or revoked included,
// or storage.ErrNotFound. One primary-key read.
func (s *Store) GetAccess(ctx context.Context, digest []byte) (*token.AccessRecord, error) {
	var (
		a             token.AccessRecord
		scopes, aud   string
		ext           sql.NullString
		revoked       *time.Time
		digestScanned []byte
	)
	err := s.q().queryRow(ctx, s.tokens.get, digest).Scan(&digestScanned, &a.ClientID, &a.Subject,
		&scopes, &aud, &a.GrantType, &a.Strategy, timeCol{&a.IssuedAt}, timeCol{&a.ExpiresAt},
		nullTimeCol{&revoked}, &ext, &a.RequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: access token: %w", storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read access token: %w", err)
	}
	if err := json.Unmarshal([]byte(scopes), &a.Scopes); err != nil {
		return nil, fmt.Errorf("sqlstore: decode scopes: %w", err)
	}
	if err := json.Unmarshal([]byte(aud), &a.Audience); err != nil {
		return nil, fmt.Errorf("sqlstore: decode audience: %w", err)
	}
	a.Digest, a.RevokedAt = digestScanned, revoked
	if ext.Valid {
		a.Ext = json.RawMessage(ext.String)
	}
	return &a, nil
}

// RevokeAccess marks the token revoked if it belongs to clientID;
// storage.ErrNotFound when that client has no such token. Revoking an
// already revoked token succeeds and keeps the first time.
func (s *Store) RevokeAccess(ctx context.Context, digest []byte, clientID string, at time.Time) error {
	n, err := s.q().execN(ctx, s.tokens.revoke, s.d.timeArg(at), digest, clientID)
	if err != nil {
		return s.d.classify("revoke access token", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: access token: %w", storage.ErrNotFound)
	}
	return nil
}

// RevokeByClient marks every live token of the client revoked at at.
func (s *Store) RevokeByClient(ctx context.Context, clientID string, at time.Time) error {
	_, err := s.q().exec(ctx, s.tokens.revokeClient, s.d.timeArg(at), clientID)
	return s.d.classify("revoke client tokens", err)
}
