package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/janitor"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// BenchmarkJanitor measures the janitor deleting expired access tokens
// from a table that also holds live ones, on each database: the figure
// docs/janitor.md reports. Each iteration seeds the table (untimed), then
// times one janitor run with the default batch size.
//
//	go test ./internal/storage/sqlstore -run '^$' -bench BenchmarkJanitor -benchtime 1x -timeout 60m
//
// SIGNET_BENCH_JANITOR_DEAD (default 1000000) and SIGNET_BENCH_JANITOR_LIVE
// (default 100000) size the table, SIGNET_BENCH_JANITOR_BATCH (default
// janitor.DefaultBatchSize) sets --batch-size; SIGNET_TEST_POSTGRES and
// SIGNET_TEST_MYSQL name the servers as for the conformance suite, and an
// unreachable one is skipped. It reports deleted rows per second and
// statements per batch, and logs each sweep's query plan (-v).
func BenchmarkJanitor(b *testing.B) {
	dead, live := envInt(b, "SIGNET_BENCH_JANITOR_DEAD", 1_000_000), envInt(b, "SIGNET_BENCH_JANITOR_LIVE", 100_000)
	batch := envInt(b, "SIGNET_BENCH_JANITOR_BATCH", janitor.DefaultBatchSize)
	for _, db := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"SQLite", func(b *testing.B) string {
			return "sqlite://" + filepath.Join(b.TempDir(), "bench.sqlite")
		}},
		{"PostgreSQL", benchPostgresDSN},
		{"MySQL", benchMySQLDSN},
	} {
		b.Run(db.name, func(b *testing.B) { benchJanitor(b, db.dsn(b), dead, live, batch) })
	}
}

func benchJanitor(b *testing.B, dsn string, dead, live, batch int) {
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	if err := s.CreateClient(ctx, &client.Client{ID: "bench", SecretHash: "x", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := sqlstore.SeedAccessTokens(ctx, s, "bench", "live-", live, now.Add(24*time.Hour)); err != nil {
		b.Fatalf("seeding live tokens: %v", err)
	}
	j := &janitor.Janitor{Store: s, Now: func() time.Time { return now }}
	var deleted int
	var statements int64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if err := sqlstore.SeedAccessTokens(ctx, s, "bench", "dead-"+strconv.Itoa(i)+"-", dead, now.Add(-time.Minute)); err != nil {
			b.Fatalf("seeding dead tokens: %v", err)
		}
		if i == 0 {
			logPlans(b, s)
		}
		s.ResetStats()
		b.StartTimer()
		sum, err := j.Run(ctx, janitor.Options{Tokens: true, BatchSize: batch}, nil)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		deleted += sum.Deleted
		statements += s.Stats().Queries
		if sum.Deleted != dead {
			b.Fatalf("deleted %d, want %d", sum.Deleted, dead)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(deleted)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(statements)/float64(b.N), "statements/op")
	if n, err := sqlstore.CountRows(ctx, s, "access_tokens"); err != nil || n != int64(live) {
		b.Fatalf("after the runs %d tokens remain (%v), want the %d live ones", n, err, live)
	}
}

// logPlans logs the plan of every sweep on the seeded tables, after the
// statistics a production database would have.
func logPlans(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	if err := sqlstore.Analyze(ctx, s); err != nil {
		b.Fatal(err)
	}
	plans, err := sqlstore.ExplainSweeps(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(plans)) {
		b.Logf("plan of %s:\n%s", k, plans[k])
	}
}

func envInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s must be a non-negative integer", key)
	}
	return n
}

// benchAdmin connects for creating a schema or database, or skips.
func benchAdmin(b *testing.B, driver, dsn string) *sql.DB {
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		b.Skipf("database unreachable: %v", err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchName() string {
	r := make([]byte, 6)
	_, _ = rand.Read(r)
	return "signet_bench_" + hex.EncodeToString(r)
}

func benchPostgresDSN(b *testing.B) string {
	base := orEnv("SIGNET_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	admin := benchAdmin(b, "pgx", base)
	schema := benchName()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func benchMySQLDSN(b *testing.B) string {
	base := orEnv("SIGNET_TEST_MYSQL", "mysql://root@tcp(127.0.0.1:3306)/test")
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(base, "mysql://"))
	if err != nil {
		b.Fatal(err)
	}
	admin := benchAdmin(b, "mysql", cfg.FormatDSN())
	name := benchName()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE " + name) })
	cfg.DBName = name
	return "mysql://" + cfg.FormatDSN()
}

func orEnv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
