package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the admin connection

	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// Opener returns a fresh, migrated, empty store; it registers Close (and
// the removal of any schema or database it made) with t.Cleanup.
type Opener func(t *testing.T) *sqlstore.Store

// DSNFunc returns the DSN of a fresh, empty, unmigrated database.
type DSNFunc func(t *testing.T) string

const (
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultMySQL    = "mysql://root@tcp(127.0.0.1:3306)/test"
	startPostgres   = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
	startMySQL      = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
)

// SQLite opens a private in-memory database (DSN "memory").
func SQLite(t *testing.T) *sqlstore.Store {
	return OpenDSN(t, "memory")
}

// SQLiteFile opens a fresh SQLite file in t.TempDir(): the deployment shape
// whose concurrent writers must never see "database is locked".
func SQLiteFile(t *testing.T) *sqlstore.Store {
	return OpenDSN(t, SQLiteFileDSN(t))
}

// Postgres opens a store in a schema of its own.
func Postgres(t *testing.T) *sqlstore.Store { return OpenDSN(t, PostgresDSN(t)) }

// MySQL opens a store in a database of its own.
func MySQL(t *testing.T) *sqlstore.Store { return OpenDSN(t, MySQLDSN(t)) }

// OpenDSN opens dsn with AutoMigrate and closes it at cleanup.
func OpenDSN(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// SQLiteFileDSN names a database file in t.TempDir().
func SQLiteFileDSN(t *testing.T) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "signet.sqlite") + "?_fk=true"
}

// PostgresDSN creates a schema named for this test, drops it at cleanup,
// and returns a DSN whose search_path points at it.
func PostgresDSN(t *testing.T) string {
	t.Helper()
	base := envOr("SIGNET_TEST_POSTGRES", defaultPostgres)
	admin := adminDB(t, "pgx", base, base, startPostgres)
	schema := "signet_t_" + randomHex(t)
	mustExec(t, admin, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { dropAndClose(t, admin, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SIGNET_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MySQLDSN creates a database named for this test, drops it at cleanup,
// and returns a DSN in Hydra's mysql:// form that selects it.
func MySQLDSN(t *testing.T) string {
	t.Helper()
	base := envOr("SIGNET_TEST_MYSQL", defaultMySQL)
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(base, "mysql://"))
	if err != nil {
		t.Fatalf("SIGNET_TEST_MYSQL must look like %s: %v", defaultMySQL, err)
	}
	admin := adminDB(t, "mysql", cfg.FormatDSN(), base, startMySQL)
	name := "signet_t_" + randomHex(t)
	mustExec(t, admin, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	t.Cleanup(func() { dropAndClose(t, admin, "DROP DATABASE "+name) })
	cfg.DBName = name
	return "mysql://" + cfg.FormatDSN()
}

// adminDB connects for creating and dropping test schemas, or skips the
// test (fails it under SIGNET_TEST_REQUIRE_DB=1) when nothing answers.
func adminDB(t *testing.T, driver, dsn, shown, start string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		msg := "database unreachable at %s (%v); start it with: %s"
		if os.Getenv("SIGNET_TEST_REQUIRE_DB") == "1" {
			t.Fatalf(msg, redact(shown), err, start)
		}
		t.Skipf(msg, redact(shown), err, start)
	}
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		_ = db.Close()
		t.Fatalf("%s: %v", q, err)
	}
}

func dropAndClose(t *testing.T, db *sql.DB, q string) {
	if _, err := db.Exec(q); err != nil {
		t.Errorf("cleanup %s: %v", q, err)
	}
	_ = db.Close()
}

// redact hides a password in a DSN shown in a skip message.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	user := dsn[scheme+3 : at]
	if name, _, ok := strings.Cut(user, ":"); ok {
		return dsn[:scheme+3] + name + ":***" + dsn[at:]
	}
	return dsn
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
