package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// Pushed authorization requests (RFC 9126, migration 00006): stored by the
// digest of their reference, used once.
//
// Consuming is one statement on SQLite and PostgreSQL: a conditional
// UPDATE … RETURNING matches only an unused, unexpired row of the client,
// so of concurrent callers exactly one gets the parameters. MySQL has no
// UPDATE … RETURNING, so there the same conditional UPDATE decides and a
// primary-key read returns the parameters: two statements, still without
// a transaction, because only the caller whose UPDATE matched reads.

type pushedSQL struct {
	insert, consume, consumeMySQL, get string
}

func buildPushedSQL(d dialect) pushedSQL {
	const cond = " WHERE digest = ? AND client_id = ? AND used_at IS NULL AND expires_at > ?"
	return pushedSQL{
		insert:       d.rebind("INSERT INTO pushed_requests (digest, client_id, params, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)"),
		consume:      d.rebind("UPDATE pushed_requests SET used_at = ?" + cond + " RETURNING params"),
		consumeMySQL: d.rebind("UPDATE pushed_requests SET used_at = ?" + cond),
		get:          d.rebind("SELECT params FROM pushed_requests WHERE digest = ?"),
	}
}

func errPushedNotFound() error {
	return fmt.Errorf("sqlstore: pushed request: %w", storage.ErrNotFound)
}

// CreatePushedRequest stores a pushed request: one write.
// storage.ErrNotFound for an unknown client, storage.ErrConflict for a
// digest that exists.
func (s *Store) CreatePushedRequest(ctx context.Context, digest []byte, clientID, params string, expiresAt time.Time) error {
	if err := checkText("create pushed request", ident("client_id", clientID), text("params", params)); err != nil {
		return err
	}
	_, err := s.q().exec(ctx, s.pushed.insert, digest, clientID, params, s.d.timeArg(expiresAt))
	return s.d.classify("create pushed request", err)
}

// ConsumePushedRequest marks the request used at now and returns its
// parameters. storage.ErrNotFound when the digest is unknown, used,
// expired or of another client.
func (s *Store) ConsumePushedRequest(ctx context.Context, digest []byte, clientID string, now time.Time) (string, error) {
	q, st, at := s.q(), s.pushed, s.d.timeArg(now)
	var params string
	if s.d.name != DialectMySQL {
		err := q.queryRow(ctx, st.consume, at, digest, clientID, at).Scan(&params)
		if errors.Is(err, sql.ErrNoRows) {
			return "", errPushedNotFound()
		}
		if err != nil {
			return "", s.d.classify("consume pushed request", err)
		}
		return params, nil
	}
	n, err := q.execN(ctx, st.consumeMySQL, at, digest, clientID, at)
	if err != nil {
		return "", s.d.classify("consume pushed request", err)
	}
	if n == 0 {
		return "", errPushedNotFound()
	}
	if err := q.queryRow(ctx, st.get, digest).Scan(&params); err != nil {
		return "", s.d.classify("read pushed request", err)
	}
	return params, nil
}

// DeleteExpiredPushedRequests deletes at most n pushed requests that
// expired before before, used or not: after expiry neither can be used.
func (s *Store) DeleteExpiredPushedRequests(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "pushed requests", s.d.boundedDelete("pushed_requests", "expires_at"), before, n)
}
