package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"time"

	"github.com/pressly/goose/v3"
)

// migrationFiles holds one directory per dialect with the same versions in
// each (migrate_test.go checks they match).
//
//go:embed migrations
var migrationFiles embed.FS

// versionTable is where goose records applied versions; named for Signet
// so it cannot collide with another goose user of the same database.
const versionTable = "signet_migrations"

// ErrSchemaBehind is wrapped by Open when migrations are pending and the
// store was not allowed to apply them.
var ErrSchemaBehind = errors.New("sqlstore: database schema is behind this version of signet")

// MigrationState is one migration as `signet migrate status` lists it.
type MigrationState struct {
	Version   int64
	Name      string // file name, e.g. 00001_init.sql
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

func newMigrator(db *sql.DB, d dialect, log *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFiles, path.Join("migrations", d.name))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations for %s: %w", d.name, err)
	}
	opts := []goose.ProviderOption{
		goose.WithTableName(versionTable),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(log),
	}
	// Cross-process locking is not goose's session locker: goose's Up first
	// calls HasPending without the lock, which may create the version table,
	// and on MySQL (where DDL is not transactional) a second process can
	// then see the table before its zero row. Store.withMigrationLock holds
	// one lock around each whole goose call instead.
	p, err := goose.NewProvider(d.gooseDialect(), db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration (`signet migrate sql`).
func (s *Store) Migrate(ctx context.Context) error {
	var res []*goose.MigrationResult
	err := s.withMigrationLock(ctx, func() (err error) {
		res, err = s.mig.Up(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: migrate up: %w", err)
	}
	for _, r := range res {
		s.log.Info("applied migration", "dialect", s.d.name, "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// MigrateDown rolls back the newest applied migration, one step, for
// operators who must return to an older binary.
func (s *Store) MigrateDown(ctx context.Context) error {
	var r *goose.MigrationResult
	err := s.withMigrationLock(ctx, func() (err error) {
		r, err = s.mig.Down(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: migrate down: %w", err)
	}
	s.log.Info("rolled back migration", "dialect", s.d.name, "version", r.Source.Version)
	return nil
}

// MigrationStatus lists every known migration, oldest first.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	var st []*goose.MigrationStatus
	err := s.withMigrationLock(ctx, func() (err error) {
		st, err = s.mig.Status(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationState{
			Version:   m.Source.Version,
			Name:      path.Base(m.Source.Path),
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt.UTC(),
		})
	}
	return out, nil
}

// PendingMigrations counts the migrations not yet applied.
func (s *Store) PendingMigrations(ctx context.Context) (int, error) {
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range st {
		if !m.Applied {
			n++
		}
	}
	return n, nil
}

func (s *Store) checkSchema(ctx context.Context) error {
	n, err := s.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w: %d migration(s) pending; run `signet migrate sql -e --yes` (or `signet migrate status` to list them)", ErrSchemaBehind, n)
	}
	return nil
}
