package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// sessionLocker is a lock held by one database connection.
type sessionLocker interface {
	SessionLock(ctx context.Context, conn *sql.Conn) error
	SessionUnlock(ctx context.Context, conn *sql.Conn) error
}

// withMigrationLock runs fn while holding the cross-process migration lock
// of the dialect, so that two processes starting together never both apply
// a version or read a half-made version table: an advisory lock on
// PostgreSQL and a named lock on MySQL, each held by a connection set aside
// for it (so the pool needs at least two). SQLite files are locked for the
// whole of Open instead (see Store.start), and an in-memory database
// belongs to one process.
func (s *Store) withMigrationLock(ctx context.Context, fn func() error) error {
	var l sessionLocker
	switch s.d.name {
	case DialectPostgres:
		l = pgLocker{}
	case DialectMySQL:
		l = mysqlLocker{}
	default:
		return fn()
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migration lock: %w", err)
	}
	defer conn.Close()
	if err := l.SessionLock(ctx, conn); err != nil {
		return err
	}
	// Unlock even when ctx has ended: the lock must not outlive the call.
	defer l.SessionUnlock(context.WithoutCancel(ctx), conn)
	return fn()
}

// pgLocker holds a session advisory lock while a migration runs. The second
// key is the current schema, so separate schemas in one database (as the
// conformance suite uses) migrate independently while two processes on the
// same schema wait for each other. pg_advisory_lock blocks until granted or
// the context ends.
type pgLocker struct{}

// pgLockClass is an arbitrary constant that namespaces Signet's lock.
const pgLockClass = 0x5167 // "Sg"

func (pgLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, hashtext(current_schema()))", int32(pgLockClass))
	if err != nil {
		return fmt.Errorf("sqlstore: migration lock: %w", err)
	}
	return nil
}

func (pgLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", int32(pgLockClass))
	return err
}

// mysqlLocker uses a named lock (GET_LOCK), which belongs to the connection
// and is released if it drops. The name is derived from the database so
// separate databases migrate independently; hashing keeps it under MySQL's
// 64-character limit.
type mysqlLocker struct{}

const mysqlLockName = "CONCAT('signet_migrate_', SHA1(DATABASE()))"

// mysqlLockWait is how long a second process waits, in seconds, for the
// first to finish migrating before giving up.
const mysqlLockWait = 600

func (mysqlLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	var got sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+mysqlLockName+", ?)", mysqlLockWait).Scan(&got)
	if err != nil {
		return fmt.Errorf("sqlstore: migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("sqlstore: migration lock: another process held it for %ds", mysqlLockWait)
	}
	return nil
}

func (mysqlLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "DO RELEASE_LOCK("+mysqlLockName+")")
	return err
}
