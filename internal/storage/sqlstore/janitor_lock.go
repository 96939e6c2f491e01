package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// TryLock takes the lock called name for every process sharing this
// database, without waiting: ok is false when another holder has it. The
// janitor's background task takes one per round, so that of several
// instances only one cleans at a time. unlock releases it and must be
// called once ok is true.
//
//   - PostgreSQL: a session advisory lock (pg_try_advisory_lock), keyed by
//     the schema and name, held by a connection set aside until unlock.
//   - MySQL: a named lock (GET_LOCK with no wait), likewise per connection.
//     Both die with their connection, so a crashed holder frees the lock
//     at once.
//   - SQLite: a lease row in signet_locks, written by one conditional
//     upsert, valid until now+lease. No connection is held (a memory
//     database has only one), and it works for every process opening the
//     file. A crashed holder keeps the lock until the lease ends, so the
//     holder must finish within lease.
//
// PostgreSQL and MySQL need a pool of two connections or more: the lock
// holds one while the holder works through another.
func (s *Store) TryLock(ctx context.Context, name string, now time.Time, lease time.Duration) (unlock func(), ok bool, err error) {
	if name == "" || len(name) > 64 || !storable(name) {
		return nil, false, fmt.Errorf("sqlstore: lock name %q must be 1 to 64 bytes of text", name)
	}
	switch s.d.name {
	case DialectPostgres:
		return s.trySessionLock(ctx, name,
			"SELECT pg_try_advisory_lock($1, hashtext(current_schema() || '/' || $2))",
			"SELECT pg_advisory_unlock($1, hashtext(current_schema() || '/' || $2))", int32(pgNamedLockClass))
	case DialectMySQL:
		return s.trySessionLock(ctx, name,
			"SELECT GET_LOCK("+mysqlNamedLock+", 0) = 1",
			"DO RELEASE_LOCK("+mysqlNamedLock+")")
	}
	return s.tryLease(ctx, name, now, lease)
}

// pgNamedLockClass namespaces TryLock's advisory locks apart from the
// migration lock (pgLockClass).
const pgNamedLockClass = 0x534C // "SL"

// mysqlNamedLock is the lock's name on the server: per database, so
// separate databases on one server lock independently, and hashed to stay
// under MySQL's 64-character limit ("signet_lock_" and 40 hex digits).
const mysqlNamedLock = "CONCAT('signet_lock_', SHA1(CONCAT(DATABASE(), '/', ?)))"

// trySessionLock runs lock on a connection of its own, keeping the
// connection while the lock is held. lead is bound before the name.
func (s *Store) trySessionLock(ctx context.Context, name, lock, unlock string, lead ...any) (func(), bool, error) {
	if s.db.Stats().MaxOpenConnections == 1 {
		return nil, false, errors.New("sqlstore: lock: the connection pool has one connection, which the lock would hold; set max_conns to 2 or more")
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("sqlstore: lock %s: %w", name, err)
	}
	args := append(lead, name)
	s.counters.queries.Add(1)
	var got sql.NullBool
	if err := conn.QueryRowContext(ctx, lock, args...).Scan(&got); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("sqlstore: lock %s: %w", name, err)
	}
	if !got.Valid || !got.Bool {
		conn.Close()
		return nil, false, nil
	}
	release := func() {
		// Even when the caller's context has ended: the lock must not
		// outlive its holder's work.
		s.counters.queries.Add(1)
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), unlock, args...); err != nil {
			// The lock may still be held: retire the connection, which
			// ends its session and so the lock with it.
			s.log.Warn("releasing a database lock failed; closing its connection", "lock", name, "error", err)
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}
	return release, true, nil
}

// tryLease inserts the lease row, or replaces one whose lease has ended,
// in one statement: a row count of 1 means the lease is ours. The holder
// is random, so unlock removes only its own lease.
func (s *Store) tryLease(ctx context.Context, name string, now time.Time, lease time.Duration) (func(), bool, error) {
	holder := rand.Text()
	n, err := s.q().execN(ctx, "INSERT INTO signet_locks (name, holder, expires_at) VALUES (?, ?, ?)"+
		" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"+
		" WHERE signet_locks.expires_at <= ?",
		name, holder, s.d.timeArg(now.Add(lease)), s.d.timeArg(now))
	if err != nil {
		return nil, false, s.d.classify("lock "+name, err)
	}
	if n == 0 {
		return nil, false, nil
	}
	release := func() {
		_, err := s.q().exec(context.WithoutCancel(ctx), "DELETE FROM signet_locks WHERE name = ? AND holder = ?", name, holder)
		if err != nil {
			// The lease then ends on its own at now+lease.
			s.log.Warn("releasing a database lease failed; it expires by itself", "lock", name, "error", err)
		}
	}
	return release, true, nil
}
