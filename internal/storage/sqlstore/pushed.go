package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// Pushed authorization requests (RFC 9126, migration 00006): stored by the
// digest of their reference, deleted by their one use.
//
// Consuming is one statement where the database has DELETE … RETURNING
// (SQLite, PostgreSQL, MariaDB): the DELETE matches only an unexpired row
// of the client, so of concurrent callers exactly one gets the parameters
// and a replay finds nothing. MySQL lacks it, so there a read fetches the
// parameters and the same conditional DELETE decides: two statements,
// still without a transaction, because only the caller whose DELETE
// matched returns what it read.

type pushedSQL struct {
	insert string
	// consume is the DELETE … RETURNING form, "" where unsupported.
	consume string
	// read and remove are the two-statement form.
	read, remove string
}

// buildPushedSQL builds the statements; returning says the database
// supports DELETE … RETURNING.
func buildPushedSQL(d dialect, returning bool) pushedSQL {
	const cond = " WHERE digest = ? AND client_id = ? AND expires_at > ?"
	s := pushedSQL{
		insert: d.rebind("INSERT INTO pushed_requests (digest, client_id, params, expires_at) VALUES (?, ?, ?, ?)"),
		read:   d.rebind("SELECT params FROM pushed_requests" + cond),
		remove: d.rebind("DELETE FROM pushed_requests" + cond),
	}
	if returning {
		s.consume = d.rebind("DELETE FROM pushed_requests" + cond + " RETURNING params")
	}
	return s
}

// isMariaDB reports whether a MySQL-protocol server is MariaDB, which has
// DELETE … RETURNING (since 10.0.5). It is asked once, at start-up,
// outside the statement counter.
func isMariaDB(ctx context.Context, db *sql.DB) bool {
	var v string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return false // the two-statement form works everywhere
	}
	return strings.Contains(strings.ToLower(v), "mariadb")
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

// ConsumePushedRequest deletes the request and returns its parameters.
// storage.ErrNotFound when the digest is unknown, used, expired at now or
// of another client (which leaves it for its own client).
func (s *Store) ConsumePushedRequest(ctx context.Context, digest []byte, clientID string, now time.Time) (string, error) {
	q, args := s.q(), []any{digest, clientID, s.d.timeArg(now)}
	var params string
	if s.pushed.consume != "" {
		err := q.queryRow(ctx, s.pushed.consume, args...).Scan(&params)
		if errors.Is(err, sql.ErrNoRows) {
			return "", errPushedNotFound()
		}
		if err != nil {
			return "", s.d.classify("consume pushed request", err)
		}
		return params, nil
	}
	err := q.queryRow(ctx, s.pushed.read, args...).Scan(&params)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errPushedNotFound()
	}
	if err != nil {
		return "", s.d.classify("read pushed request", err)
	}
	n, err := q.execN(ctx, s.pushed.remove, args...)
	if err != nil {
		return "", s.d.classify("consume pushed request", err)
	}
	if n == 0 { // a concurrent use won
		return "", errPushedNotFound()
	}
	return params, nil
}

// DeleteExpiredPushedRequests deletes at most n pushed requests that
// expired before before, unused (a used one is gone already).
func (s *Store) DeleteExpiredPushedRequests(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "pushed requests", s.d.boundedDelete("pushed_requests", "expires_at"), before, n)
}
