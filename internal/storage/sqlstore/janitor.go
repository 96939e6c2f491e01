package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The janitor's deletes (issue 7, migration 00004). Each method deletes at
// most n dead rows of one kind and returns how many it deleted; fewer than
// n means none were left when it ran. A row is dead when the column that
// ends its use is before the cutoff the caller gives (now minus
// --keep-if-younger), so a row still in use is never touched.
//
// Every batch is one short statement whose rows are chosen through an index
// on that column, in its order, so a batch costs the same at the millionth
// row as at the first and holds its locks for milliseconds: the server
// keeps serving while the janitor runs. Statements are built per call (a
// few string operations per thousand rows) so that this file stays the
// whole of the janitor's SQL.

// MaxSweepBatch bounds the rows one janitor statement deletes, whatever
// the caller asks: larger batches hold locks longer for no gain.
const MaxSweepBatch = 10000

// sweepBatch clamps a caller's batch size.
func sweepBatch(n int) int { return min(max(n, 0), MaxSweepBatch) }

// boundedDelete is "delete at most ? rows of table whose col is before ?,
// in col order", in each dialect's form; every form takes (before, n).
//   - SQLite deletes by rowid, which the subquery reads straight from the
//     col index; the statement is atomic under SQLite's single writer.
//   - PostgreSQL cannot LIMIT a DELETE: an InitPlan collects the rows'
//     physical addresses (ctid) from the col index, and a TID scan deletes
//     exactly those, so the plan never becomes a join over the table. A
//     row updated meanwhile (a login session extended) has a new ctid, so
//     the recheck PostgreSQL makes on a row as it locks it skips it.
//   - MySQL cannot read the table it deletes from in a subquery, but
//     deletes in index order with ORDER BY … LIMIT directly.
func (d dialect) boundedDelete(table, col string) string {
	switch d.name {
	case DialectSQLite:
		return "DELETE FROM " + table + " WHERE rowid IN (SELECT rowid FROM " + table +
			" WHERE " + col + " < ? ORDER BY " + col + " LIMIT ?)"
	case DialectMySQL:
		return "DELETE FROM " + table + " WHERE " + col + " < ? ORDER BY " + col + " LIMIT ?"
	}
	return "DELETE FROM " + table + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + table +
		" WHERE " + col + " < $1 ORDER BY " + col + " LIMIT $2))"
}

// revokedSweep is the column through which the janitor finds revoked
// tokens: revoked_at, indexed for revoked rows only, or on MySQL, which has
// no partial indexes, its indexed virtual copy revoked_sweep (see
// migration 00004: a plain index on revoked_at would change the plans of
// the statements that look for live tokens).
func (d dialect) revokedSweep() string {
	if d.name == DialectMySQL {
		return "revoked_sweep"
	}
	return "revoked_at"
}

// DeleteDeadAccessTokens deletes at most n access tokens that expired or
// were revoked before before. A token past either is refused by every
// endpoint already; introspection answers active=false for an unknown
// token just as for a dead one. Expired tokens go first, then revoked ones.
func (s *Store) DeleteDeadAccessTokens(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweepTwo(ctx, "access tokens", before, n,
		s.d.boundedDelete("access_tokens", "expires_at"),
		s.d.boundedDelete("access_tokens", s.d.revokedSweep()))
}

// DeleteDeadRefreshTokens deletes at most n refresh tokens that expired or
// were revoked before before. A rotated (used) token is kept until it
// expires or its family is revoked: while it lives, presenting it again is
// the reuse that revokes its family, and a deleted token could not tell.
func (s *Store) DeleteDeadRefreshTokens(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweepTwo(ctx, "refresh tokens", before, n,
		s.d.boundedDelete("refresh_tokens", "expires_at"),
		s.d.boundedDelete("refresh_tokens", s.d.revokedSweep()))
}

// DeleteExpiredCodes deletes at most n authorization codes that expired
// before before, used or not. A used code is kept until it expires, so a
// replay within its lifetime still revokes the tokens it led to (RFC 6749
// section 4.1.2); after it, the code is refused as expired either way.
func (s *Store) DeleteExpiredCodes(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "codes", s.d.boundedDelete("auth_codes", "expires_at"), before, n)
}

// DeleteExpiredVerifiers deletes at most n used-verifier records (login
// and logout verifiers, and the "jti:" records of JWTs) that expired
// before before: the sealed string or JWT they guard is refused as expired
// by then, so the record has nothing left to prevent.
func (s *Store) DeleteExpiredVerifiers(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "used verifiers", s.d.boundedDelete("used_verifiers", "expires_at"), before, n)
}

// DeleteExpiredLoginSessions deletes at most n remembered login sessions
// that expired before before; their cookies have stopped working. A
// session without an expiry (NULL) is kept.
func (s *Store) DeleteExpiredLoginSessions(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "login sessions", s.d.boundedDelete("login_sessions", "expires_at"), before, n)
}

// DeleteExpiredTrustGrants deletes at most n jwt-bearer trust
// relationships that expired before before (Hydra's janitor --grants).
func (s *Store) DeleteExpiredTrustGrants(ctx context.Context, before time.Time, n int) (int, error) {
	return s.sweep(ctx, "trust grants", s.d.boundedDelete("trust_jwt_bearer_issuers", "expires_at"), before, n)
}

// sweepTwo runs first, and when it ran out of rows, second with what is
// left of n: two indexed passes (by expiry, by revocation) in one call,
// each with a plan as good as the other, where one "OR" would not be.
func (s *Store) sweepTwo(ctx context.Context, what string, before time.Time, n int, first, second string) (int, error) {
	n = sweepBatch(n)
	k, err := s.sweep(ctx, what, first, before, n)
	if err != nil || k == n {
		return k, err
	}
	m, err := s.sweep(ctx, what, second, before, n-k)
	return k + m, err
}

// sweep runs one bounded delete. On MySQL it runs in a READ COMMITTED
// transaction: under the default REPEATABLE READ, InnoDB would also lock
// the gaps of the index range it scans, making concurrent token writes
// wait on the janitor and, in unlucky orders, deadlock with it.
func (s *Store) sweep(ctx context.Context, what, stmt string, before time.Time, n int) (int, error) {
	n = sweepBatch(n)
	if n == 0 {
		return 0, nil
	}
	args := []any{s.d.timeArg(before), n}
	if s.d.name != DialectMySQL {
		k, err := s.q().execN(ctx, stmt, args...)
		return int(k), s.d.classify("delete dead "+what, err)
	}
	var k int64
	err := s.readCommitted(ctx, func(q counted) (err error) {
		k, err = q.execN(ctx, stmt, args...)
		return err
	})
	return int(k), s.d.classify("delete dead "+what, err)
}

// readCommitted is inTx at READ COMMITTED isolation.
func (s *Store) readCommitted(ctx context.Context, fn func(q counted) error) error {
	s.counters.txs.Add(1)
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	q := s.q() // the store's handle (counting, tracing), on the transaction
	q.e = tx
	if err := fn(q); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// A consent session is forgotten when nothing needs it any more:
//   - it is not remembered, or its remember_until has passed (so no flow
//     skips the consent app because of it);
//   - it was handled before handledBefore, which the caller sets at least
//     ttl.login_consent_request in the past: until then its row is what
//     makes the consent verifier single use (SaveConsent refuses a second
//     row), and the code or tokens of the flow may not be written yet;
//   - no access token, refresh token or code carries its id as request_id
//     (userinfo reads the consent's claims through that id, and revoking
//     the consent revokes them through it). The janitor deletes dead
//     tokens first, so this waits only for live ones.
const forgottenConsent = " handled_at < ? AND (remember = ? OR remember_until < ?)" +
	" AND NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.request_id = consent_sessions.id)" +
	" AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.request_id = consent_sessions.id)" +
	" AND NOT EXISTS (SELECT 1 FROM auth_codes c WHERE c.request_id = consent_sessions.id)"

// DeleteForgottenConsents deletes at most n forgotten consent sessions (see
// forgottenConsent), walking the table in primary-key order from after, a
// cursor it returned before ("" to start). It returns how many it deleted
// and the cursor to continue from, "" once the walk has passed the last
// consent. A consent that must stay is stepped over once per walk, never
// rescanned batch after batch, and the walk needs no index but the
// primary key (an index on handled_at would tempt MySQL's optimizer away
// from the subject indexes of the consent listings).
//
// Statements: one SELECT of at most n ids, then one DELETE per 500 of
// them that checks every condition again, so a token written for a
// consent between the two keeps it.
func (s *Store) DeleteForgottenConsents(ctx context.Context, before, handledBefore time.Time, after string, n int) (int, string, error) {
	n = sweepBatch(n)
	afterID, err := decodeIDToken(after)
	if err != nil || n == 0 {
		return 0, "", err
	}
	cond := []any{s.d.timeArg(handledBefore), false, s.d.timeArg(before)}
	q := "SELECT id FROM consent_sessions WHERE id > ? AND" + forgottenConsent + " ORDER BY id LIMIT ?"
	args := append(append([]any{afterID}, cond...), n)
	ids, err := queryStrings(ctx, s.q(), s.d.rebind(q), args...)
	if err != nil || len(ids) == 0 {
		return 0, "", err
	}
	deleted, err := s.inList(ctx, s.q(), "DELETE FROM consent_sessions WHERE"+forgottenConsent+" AND id IN ", cond, ids)
	if err != nil {
		return int(deleted), "", s.d.classify("delete forgotten consents", err)
	}
	next := ""
	if len(ids) == n {
		next = encodeIDToken(ids[len(ids)-1])
	}
	return int(deleted), next, nil
}
