package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Refresh tokens rotate on every use. All tokens of one grant share a
// request_id (the family); reuse of a rotated token beyond the grace
// period is reported, and the caller revokes the family.

func errRefreshNotFound() error {
	return fmt.Errorf("sqlstore: refresh token: %w", storage.ErrNotFound)
}

func checkRefresh(op string, r *token.RefreshRecord) error {
	return checkText(op, ident("client_id", r.ClientID), ident("request_id", r.RequestID),
		text("subject", r.Subject), textBytes("session", r.Session), ident("jkt", r.JKT))
}

func (s *Store) refreshArgs(r *token.RefreshRecord) ([]any, error) {
	scopes, err := jsonText(r.Scopes)
	if err != nil {
		return nil, err
	}
	aud, err := jsonText(r.Audience)
	if err != nil {
		return nil, err
	}
	return []any{r.Digest, r.ClientID, r.RequestID, r.Subject, scopes, aud, rawOrNil(r.Session),
		s.d.timeArg(r.IssuedAt), s.d.timeArg(r.ExpiresAt), s.d.nullTimeArg(r.UsedAt), r.UseCount,
		s.d.nullTimeArg(r.RevokedAt), textOrNil(r.JKT)}, nil
}

// CreateRefresh stores a new refresh token: one write. Errors as CreateCode.
func (s *Store) CreateRefresh(ctx context.Context, r *token.RefreshRecord) error {
	if err := checkRefresh("create refresh token", r); err != nil {
		return err
	}
	args, err := s.refreshArgs(r)
	if err != nil {
		return err
	}
	_, err = s.q().exec(ctx, s.flows.insertRefresh, args...)
	return s.d.classify("create refresh token", err)
}

// GetRefresh returns the record, used, revoked or expired included, or
// storage.ErrNotFound. One primary-key read.
func (s *Store) GetRefresh(ctx context.Context, digest []byte) (*token.RefreshRecord, error) {
	r, err := scanRefresh(s.q().queryRow(ctx, s.flows.getRefresh, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRefreshNotFound()
	}
	return r, err
}

// RotateRefresh marks old used at now and stores next and at, in one
// transaction. The first use is a conditional UPDATE (used_at IS NULL);
// a later use within g is a second conditional UPDATE that counts it. The
// conditions are re-evaluated on the locked row, so of concurrent callers
// exactly as many succeed as g allows. A revoked token, or a reuse beyond
// g, is storage.ErrAlreadyUsed; an unknown one storage.ErrNotFound; either
// way nothing is stored. Statements on success: 3 (first use) or 4 (reuse
// in grace); at may be nil, saving one.
func (s *Store) RotateRefresh(ctx context.Context, old []byte, now time.Time, g token.Grace,
	next *token.RefreshRecord, at *token.AccessRecord) error {
	if err := checkRefresh("rotate refresh token", next); err != nil {
		return err
	}
	nextArgs, err := s.refreshArgs(next)
	if err != nil {
		return err
	}
	var atArgs []any
	if at != nil {
		if err := checkAccess("rotate refresh token", at); err != nil {
			return err
		}
		row, err := s.accessRow(at)
		if err != nil {
			return err
		}
		atArgs = row.args
	}
	return s.inTx(ctx, func(q counted) error {
		if err := s.markRefreshUsed(ctx, q, old, now, g); err != nil {
			return err
		}
		if _, err := q.exec(ctx, s.flows.insertRefresh, nextArgs...); err != nil {
			return s.d.classify("rotate refresh token", err)
		}
		if atArgs == nil {
			return nil
		}
		_, err := q.exec(ctx, s.flows.insertAccess, atArgs...)
		return s.d.classify("rotate refresh token", err)
	})
}

// markRefreshUsed is the deciding write of a rotation.
func (s *Store) markRefreshUsed(ctx context.Context, q counted, old []byte, now time.Time, g token.Grace) error {
	n, err := q.execN(ctx, s.flows.useRefresh, s.d.timeArg(now), old)
	if err != nil || n == 1 {
		return s.d.classify("rotate refresh token", err)
	}
	if g.Period > 0 {
		since := s.d.timeArg(now.Add(-g.Period))
		if g.ReuseCount > 0 {
			n, err = q.execN(ctx, s.flows.reuseRefreshN, old, since, g.ReuseCount)
		} else {
			n, err = q.execN(ctx, s.flows.reuseRefresh, old, since)
		}
		if err != nil || n == 1 {
			return s.d.classify("rotate refresh token", err)
		}
	}
	var exists int64
	if err := q.queryRow(ctx, s.flows.refreshExists, old).Scan(&exists); err != nil {
		return fmt.Errorf("sqlstore: rotate refresh token: %w", err)
	}
	if exists == 0 {
		return errRefreshNotFound()
	}
	return fmt.Errorf("sqlstore: refresh token: %w", storage.ErrAlreadyUsed)
}

// RevokeRefresh revokes the token if it belongs to clientID, keeping the
// first revocation time; storage.ErrNotFound otherwise. One write.
func (s *Store) RevokeRefresh(ctx context.Context, digest []byte, clientID string, at time.Time) error {
	if !storableID(clientID) {
		return errRefreshNotFound()
	}
	n, err := s.q().execN(ctx, s.flows.revokeRefresh, s.d.timeArg(at), digest, clientID)
	if err != nil {
		return s.d.classify("revoke refresh token", err)
	}
	if n == 0 {
		return errRefreshNotFound()
	}
	return nil
}

// RevokeFamily revokes every live access and refresh token with requestID
// and marks its unused codes used, in one transaction of three UPDATEs.
// Already revoked tokens keep their first revocation time.
func (s *Store) RevokeFamily(ctx context.Context, requestID string, at time.Time) error {
	if !storableID(requestID) {
		return nil // no row can hold it: nothing to revoke
	}
	return s.inTx(ctx, func(q counted) error {
		return s.revokeFamilies(ctx, q, []string{requestID}, at)
	})
}

// revokeFamilies revokes the families of ids inside the caller's
// transaction: per chunk of ids, one UPDATE on each of the three tables.
func (s *Store) revokeFamilies(ctx context.Context, q counted, ids []string, at time.Time) error {
	lead := []any{s.d.timeArg(at)}
	for _, prefix := range []string{s.flows.familyAccess, s.flows.familyRefresh, s.flows.familyCodes} {
		if _, err := s.inList(ctx, q, prefix, lead, ids); err != nil {
			return s.d.classify("revoke family", err)
		}
	}
	return nil
}

func scanRefresh(r rowScanner) (*token.RefreshRecord, error) {
	var (
		t           token.RefreshRecord
		scopes, aud string
		session     sql.NullString
		jkt         sql.NullString
	)
	err := r.Scan(&t.Digest, &t.ClientID, &t.RequestID, &t.Subject, &scopes, &aud, &session,
		timeCol{&t.IssuedAt}, timeCol{&t.ExpiresAt}, nullTimeCol{&t.UsedAt}, &t.UseCount,
		nullTimeCol{&t.RevokedAt}, &jkt)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read refresh token: %w", err)
	}
	if err := decodeLists(scopes, aud, &t.Scopes, &t.Audience); err != nil {
		return nil, err
	}
	t.Session, t.JKT = rawFrom(session), jkt.String
	return &t, nil
}
