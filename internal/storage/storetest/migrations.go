package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

func testMigrateUpDownUp(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	st, err := s.MigrationStatus(c)
	if err != nil || len(st) == 0 {
		t.Fatalf("status: %v, %v", st, err)
	}
	for i, m := range st {
		if !m.Applied || m.AppliedAt.IsZero() || m.Name == "" || (i > 0 && m.Version <= st[i-1].Version) {
			t.Errorf("after open: %+v", m)
		}
	}
	mustClient(t, s, "before-down")
	if err := s.MigrateDown(c); err != nil {
		t.Fatalf("down: %v", err)
	}
	if n, err := s.PendingMigrations(c); err != nil || n != 1 {
		t.Fatalf("after one step down: %d pending, %v", n, err)
	}
	if err := s.Migrate(c); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n, err := s.PendingMigrations(c); err != nil || n != 0 {
		t.Fatalf("after up: %d pending, %v", n, err)
	}
	mustClient(t, s, "after-up")
}

// RunOpen checks what Open does with a schema it finds, given fresh empty
// databases from dsn: PostgreSQL and MySQL refuse a schema that is behind
// unless asked to migrate; SQLite migrates itself; two processes migrating
// one database at once both succeed.
func RunOpen(t *testing.T, dsn DSNFunc) {
	t.Run("SchemaBehind", func(t *testing.T) {
		t.Parallel()
		d := dsn(t)
		s, err := sqlstore.Open(ctx(t), d, sqlstore.Options{})
		if strings.HasPrefix(d, "sqlite") {
			if err != nil {
				t.Fatalf("sqlite must migrate itself: %v", err)
			}
			defer s.Close()
			if n, err := s.PendingMigrations(ctx(t)); n != 0 || err != nil {
				t.Errorf("sqlite after open: %d pending, %v", n, err)
			}
			return
		}
		if err == nil {
			s.Close()
			t.Fatal("open of an unmigrated database succeeded")
		}
		if !errors.Is(err, sqlstore.ErrSchemaBehind) || !strings.Contains(err.Error(), "signet migrate sql -e --yes") {
			t.Fatalf("err = %v, want ErrSchemaBehind naming the command", err)
		}
		testMigrateCommandPath(t, d)
	})
	t.Run("ConcurrentFirstStart", func(t *testing.T) {
		t.Parallel()
		openConcurrently(t, dsn(t), 4)
	})
}

// testMigrateCommandPath is what `signet migrate sql` then `serve` do.
func testMigrateCommandPath(t *testing.T, d string) {
	c := ctx(t)
	m, err := sqlstore.Open(c, d, sqlstore.Options{SkipSchemaCheck: true})
	if err != nil {
		t.Fatalf("open for migrate: %v", err)
	}
	if n, err := m.PendingMigrations(c); n == 0 || err != nil {
		t.Errorf("pending before migrate: %d, %v", n, err)
	}
	if err := m.Migrate(c); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateDown(c); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := sqlstore.Open(c, d, sqlstore.Options{}); !errors.Is(err, sqlstore.ErrSchemaBehind) {
		t.Errorf("after a down step: err = %v, want ErrSchemaBehind", err)
	}
	s, err := sqlstore.Open(c, d, sqlstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatalf("auto-migrate: %v", err)
	}
	s.Close()
	s, err = sqlstore.Open(c, d, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open after migrate: %v", err)
	}
	s.Close()
}

func openConcurrently(t *testing.T, d string, n int) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			<-start
			s, err := sqlstore.Open(ctx(t), d, sqlstore.Options{AutoMigrate: true})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent migrate: %v", err)
		}
	}
	s := OpenDSN(t, d)
	if n, err := s.PendingMigrations(ctx(t)); n != 0 || err != nil {
		t.Errorf("after concurrent start: %d pending, %v", n, err)
	}
}
