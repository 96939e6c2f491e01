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
	"issued_at, expires_at, revoked_at, ext, request_id, jkt"

type tokenSQL struct {
	get, revoke, revokeClient, stored string
}

func buildTokenSQL(d dialect) tokenSQL {
	return tokenSQL{
		get: d.rebind("SELECT " + accessCols + " FROM access_tokens WHERE digest = ?"),
		// COALESCE keeps the first revocation time: revoking twice is not
		// an error and does not rewrite history.
		revoke:       d.rebind("UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE digest = ? AND client_id = ?"),
		revokeClient: d.rebind("UPDATE access_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL"),
		// The columns that tell one minted token from another record that
		// happens to reuse its digest.
		stored: d.rebind("SELECT COUNT(*) FROM access_tokens WHERE digest = ? AND client_id = ? AND request_id = ? AND issued_at = ?"),
	}
}

// CreateAccess records a newly minted token: one write, which concurrent
// calls share (see batcher). A digest that exists is storage.ErrConflict;
// an unknown client is storage.ErrNotFound; a text column that cannot be
// stored is storage.ErrInvalidValue.
func (s *Store) CreateAccess(ctx context.Context, a *token.AccessRecord) error {
	if err := checkAccess("create access token", a); err != nil {
		return err
	}
	row, err := s.accessRow(a)
	if err != nil {
		return err
	}
	return s.d.classify("create access token", s.accessInserts.insert(ctx, row))
}

// checkAccess screens the text columns of an access token write.
func checkAccess(op string, a *token.AccessRecord) error {
	return checkText(op, text("client_id", a.ClientID), text("subject", a.Subject),
		text("grant_type", a.GrantType), text("strategy", a.Strategy), text("request_id", a.RequestID),
		ident("jkt", a.JKT),
		textBytes("ext", a.Ext))
}

// accessRow is a's row for the batcher, in accessCols order.
func (s *Store) accessRow(a *token.AccessRecord) (*pendingRow, error) {
	scopes, err := jsonText(a.Scopes)
	if err != nil {
		return nil, err
	}
	aud, err := jsonText(a.Audience)
	if err != nil {
		return nil, err
	}
	args := []any{a.Digest, a.ClientID, a.Subject, scopes, aud,
		a.GrantType, a.Strategy, s.d.timeArg(a.IssuedAt), s.d.timeArg(a.ExpiresAt),
		s.d.nullTimeArg(a.RevokedAt), rawOrNil(a.Ext), a.RequestID, textOrNil(a.JKT)}
	return &pendingRow{args: args, stored: s.accessStored(a)}, nil
}

// accessStored tells the batcher whether a's own row is in the table, when
// a retried insert of it meets a unique violation.
func (s *Store) accessStored(a *token.AccessRecord) func(context.Context, counted) (bool, error) {
	return func(ctx context.Context, q counted) (bool, error) {
		var n int64
		err := q.queryRow(ctx, s.tokens.stored, a.Digest, a.ClientID, a.RequestID, s.d.timeArg(a.IssuedAt)).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("sqlstore: read back access token: %w", err)
		}
		return n == 1, nil
	}
}

// GetAccess returns the record for a digest, expired or revoked included,
// or storage.ErrNotFound. One primary-key read.
func (s *Store) GetAccess(ctx context.Context, digest []byte) (*token.AccessRecord, error) {
	var (
		a             token.AccessRecord
		scopes, aud   string
		ext, jkt      sql.NullString
		revoked       *time.Time
		digestScanned []byte
	)
	err := s.q().queryRow(ctx, s.tokens.get, digest).Scan(&digestScanned, &a.ClientID, &a.Subject,
		&scopes, &aud, &a.GrantType, &a.Strategy, timeCol{&a.IssuedAt}, timeCol{&a.ExpiresAt},
		nullTimeCol{&revoked}, &ext, &a.RequestID, &jkt)
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
	a.Digest, a.RevokedAt, a.JKT = digestScanned, revoked, jkt.String
	if ext.Valid {
		a.Ext = json.RawMessage(ext.String)
	}
	return &a, nil
}

// RevokeAccess marks the token revoked if it belongs to clientID;
// storage.ErrNotFound when that client has no such token. Revoking an
// already revoked token succeeds and keeps the first time.
func (s *Store) RevokeAccess(ctx context.Context, digest []byte, clientID string, at time.Time) error {
	if !storable(clientID) {
		return fmt.Errorf("sqlstore: access token: %w", storage.ErrNotFound)
	}
	n, err := s.q().execN(ctx, s.tokens.revoke, s.d.timeArg(at), digest, clientID)
	if err != nil {
		return s.d.classify("revoke access token", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: access token: %w", storage.ErrNotFound)
	}
	return nil
}

// RevokeByClient marks every live token of the client revoked at at. A
// client without tokens, or an id no client can have, has nothing to revoke.
func (s *Store) RevokeByClient(ctx context.Context, clientID string, at time.Time) error {
	if !storable(clientID) {
		return nil
	}
	_, err := s.q().exec(ctx, s.tokens.revokeClient, s.d.timeArg(at), clientID)
	return s.d.classify("revoke client tokens", err)
}
