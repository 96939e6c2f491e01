package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/token"
)

// Options configure Open. The zero value is valid.
type Options struct {
	// Log receives migration progress; nil discards it. DSNs and passwords
	// are never logged.
	Log *slog.Logger
	// AutoMigrate applies pending migrations at Open. SQLite and memory
	// always migrate themselves; for PostgreSQL and MySQL operators run
	// `signet migrate sql` instead, and Open refuses a schema that is behind.
	AutoMigrate bool
	// SkipSchemaCheck opens a database whose schema is behind without
	// refusing. Only the migrate commands set it.
	SkipSchemaCheck bool
	// MaxConns caps the connection pool (PostgreSQL, MySQL, SQLite file).
	// Zero uses the DSN's max_conns, else DefaultMaxConns.
	MaxConns int
	// Tracer, when set, is told about every statement (tracing.provider
	// configured); nil traces nothing and costs one nil check.
	Tracer StatementTracer
}

// DefaultMaxConns is the pool size when neither Options nor the DSN set
// one. No store method holds more than one connection at a time, so any
// size is deadlock-free; this one keeps 16+ concurrent requests flowing
// while staying far below PostgreSQL's default max_connections (100).
const DefaultMaxConns = 32

// Store is the SQL implementation of client.Store, jwk.Store, token.Store,
// token.FlowStore, flow.Store and trust.Store. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	d        dialect
	log      *slog.Logger
	counters *counters
	tracer   StatementTracer
	mig      *goose.Provider
	// sqlitePath is set for SQLite files, which are locked while migrating.
	sqlitePath string

	clients clientSQL
	keys    keySQL
	tokens  tokenSQL
	flows   flowSQL
	trust   trustSQL
	device  deviceSQL
	pushed  pushedSQL
	// accessInserts coalesces concurrent CreateAccess calls.
	accessInserts *batcher

	// credentials re-encrypts sealed client secrets (client_credentials.go).
	credentials credentialsSQL
}

// Open connects to dsn, checks the connection, and makes sure the schema is
// current: it migrates SQLite (and memory) and, with AutoMigrate, the other
// dialects; otherwise a schema that is behind is an error wrapping
// ErrSchemaBehind.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db := openDB(t)
	configurePool(db, t, opts.MaxConns)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, d: t.d, log: log, counters: &counters{}, tracer: opts.Tracer, sqlitePath: t.sqlitePath}
	s.clients = buildClientSQL(t.d)
	s.credentials = buildCredentialsSQL(t.d)
	s.keys = buildKeySQL(t.d)
	s.tokens = buildTokenSQL(t.d)
	s.flows = buildFlowSQL(t.d)
	s.trust = buildTrustSQL(t.d)
	s.device = buildDeviceSQL(t.d)
	s.pushed = buildPushedSQL(t.d, t.d.name != DialectMySQL)
	s.accessInserts = newBatcher(t.d, s.q, "access_tokens", strings.Split(accessCols, ", "))
	if err := s.start(ctx, opts); err != nil {
		s.accessInserts.close()
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func openDB(t *target) *sql.DB {
	if t.connector != nil {
		return sql.OpenDB(t.connector)
	}
	// sql.Open with a registered driver name only fails for unknown names.
	db, _ := sql.Open("sqlite", t.sqliteName)
	return db
}

func configurePool(db *sql.DB, t *target, maxConns int) {
	p := t.pool
	if t.memory {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return
	}
	n := maxConns
	if n <= 0 {
		n = p.maxConns
	}
	if n <= 0 {
		n = DefaultMaxConns
	}
	idle := p.maxIdleConns
	if idle <= 0 || idle > n {
		idle = n
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxLifetime(orDefault(p.lifetime, 30*time.Minute))
	db.SetConnMaxIdleTime(orDefault(p.idleTime, 5*time.Minute))
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// start pings, then migrates or checks the schema. A SQLite file is locked
// for all of it: a fresh file's first connection switches it to WAL and
// migrates it, and a second process doing the same at that moment would be
// answered "database is locked" rather than made to wait.
func (s *Store) start(ctx context.Context, opts Options) error {
	if s.sqlitePath != "" {
		unlock, err := lockFile(s.sqlitePath)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if s.d.name == DialectMySQL && isMariaDB(ctx, s.db) {
		s.pushed = buildPushedSQL(s.d, true)
	}
	mig, err := newMigrator(s.db, s.d, s.log)
	if err != nil {
		return err
	}
	s.mig = mig
	if opts.AutoMigrate || s.d.name == DialectSQLite {
		return s.Migrate(ctx)
	}
	if opts.SkipSchemaCheck {
		return nil
	}
	return s.checkSchema(ctx)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: %s unreachable: %w", s.d.name, err)
	}
	return nil
}

// Close closes the pool. For memory this discards the database.
func (s *Store) Close() error {
	s.accessInserts.close()
	return s.db.Close()
}

// Dialect is "sqlite", "postgres" or "mysql".
func (s *Store) Dialect() string { return s.d.name }

// The interfaces *Store implements, checked at compile time.
var (
	_ client.Store = (*Store)(nil)
	_ jwk.Store    = (*Store)(nil)
	_ token.Store  = (*Store)(nil)
)
