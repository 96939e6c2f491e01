package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	cases := []struct {
		dsn, dialect string
		memory       bool
		sqliteName   string
		maxConns     int
	}{
		{"memory", DialectSQLite, true, "", 1},
		{"sqlite://:memory:", DialectSQLite, true, "", 1},
		{"sqlite:///var/lib/signet/db.sqlite?_fk=true", DialectSQLite, false, "/var/lib/signet/db.sqlite?", 0},
		{"sqlite://./db.sqlite?mode=rwc&_journal=DELETE", DialectSQLite, false, "./db.sqlite?", 0},
		{"sqlite://file:/tmp/x.db", DialectSQLite, false, "/tmp/x.db?", 0},
		{"postgres://u:p@localhost:5432/db?sslmode=disable&max_conns=7&max_conn_lifetime=1m", DialectPostgres, false, "", 7},
		{"postgresql://localhost/db", DialectPostgres, false, "", 0},
		{"mysql://root:pw@tcp(127.0.0.1:3306)/db?max_conns=3&max_idle_conns=1", DialectMySQL, false, "", 3},
		{"mysql://root@tcp(127.0.0.1:3306)/db", DialectMySQL, false, "", 0},
	}
	for _, c := range cases {
		got, err := parseDSN(c.dsn)
		if err != nil {
			t.Errorf("%s: %v", c.dsn, err)
			continue
		}
		if got.d.name != c.dialect || got.memory != c.memory || got.pool.maxConns != c.maxConns {
			t.Errorf("%s: dialect=%s memory=%v maxConns=%d", c.dsn, got.d.name, got.memory, got.pool.maxConns)
		}
		if c.sqliteName != "" && !strings.HasPrefix(got.sqliteName, c.sqliteName) {
			t.Errorf("%s: sqlite name %q", c.dsn, got.sqliteName)
		}
		// Whatever the user passed, the pragmas the store relies on are set.
		if c.dialect == DialectSQLite && !c.memory && !strings.HasSuffix(got.sqliteName, sqlitePragmas) {
			t.Errorf("%s: pragmas missing from %q", c.dsn, got.sqliteName)
		}
	}
}

func TestParseDSNRejects(t *testing.T) {
	bad := []string{
		"", "mem", "sqlite://", "sqlite://?_fk=true", "oracle://x", "cockroach://x",
		"postgres://u:secretpw@host:notaport/db",
		"postgres://u:secretpw@host/db?max_conns=-1",
		"mysql://u:secretpw@tcp(h:3306)/db?max_conn_lifetime=forever",
		"mysql://u:secretpw@nonsense",
	}
	for _, dsn := range bad {
		_, err := parseDSN(dsn)
		if !errors.Is(err, ErrBadDSN) {
			t.Errorf("%q: err = %v, want ErrBadDSN", dsn, err)
			continue
		}
		if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%q: error leaks the password: %v", dsn, err)
		}
	}
}

func TestOpenMemoryIsPrivate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := Open(ctx, "memory", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, "memory", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.db.ExecContext(ctx, "INSERT INTO jwk_sets (set_id, generation) VALUES ('x', 1)"); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.KeysVersion(ctx); v != "0" {
		t.Errorf("second memory store sees the first one's data: version %q", v)
	}
	if a.Dialect() != DialectSQLite {
		t.Errorf("dialect %q", a.Dialect())
	}
}

// TestMySQLConfigForcesWhatTheStoreReliesOn: whatever the DSN says, one
// round trip per query (interpolateParams), utf8mb4 with byte-exact
// collation, UTC times and rows-matched counts.
func TestMySQLConfigForcesWhatTheStoreReliesOn(t *testing.T) {
	for _, dsn := range []string{
		"root@tcp(127.0.0.1:3306)/db",
		"root@tcp(127.0.0.1:3306)/db?interpolateParams=false&charset=gbk&collation=gbk_bin&clientFoundRows=false&max_conns=4",
	} {
		cfg, pool, err := mysqlConfig(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if !cfg.InterpolateParams || !cfg.ParseTime || !cfg.ClientFoundRows || cfg.Loc != time.UTC || cfg.Collation != "utf8mb4_bin" {
			t.Errorf("%s: interpolate=%v parseTime=%v foundRows=%v loc=%v collation=%q", dsn,
				cfg.InterpolateParams, cfg.ParseTime, cfg.ClientFoundRows, cfg.Loc, cfg.Collation)
		}
		if formatted := cfg.FormatDSN(); strings.Contains(formatted, "charset=") || strings.Contains(formatted, "max_conns") {
			t.Errorf("%s: the driver would receive %q", dsn, formatted)
		}
		if strings.Contains(dsn, "max_conns=4") && pool.maxConns != 4 {
			t.Errorf("%s: pool %+v", dsn, pool)
		}
	}
}
