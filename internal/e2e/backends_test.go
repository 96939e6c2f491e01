package e2e

import (
	"testing"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// database is one of the three supported databases, as the signettest
// options that select it. The PostgreSQL and MySQL ones use a schema or
// database of their own, migrated first as an operator would, and skip
// (fail under SIGNET_TEST_REQUIRE_DB=1) when the server is down.
type database struct {
	name string
	opts func(t *testing.T) []signettest.Option
}

func databases() []database {
	return []database{
		{"SQLite", func(*testing.T) []signettest.Option { return nil }},
		{"PostgreSQL", migrated(storetest.PostgresDSN)},
		{"MySQL", migrated(storetest.MySQLDSN)},
	}
}

// migrated opens and migrates a fresh database named by dsn, and selects it.
func migrated(dsn func(*testing.T) string) func(t *testing.T) []signettest.Option {
	return func(t *testing.T) []signettest.Option {
		d := dsn(t)
		storetest.OpenDSN(t, d) // applies the migrations
		return []signettest.Option{signettest.WithEnv("DSN=" + d)}
	}
}

// backend starts Signet on one database.
type backend struct {
	name  string
	start func(t *testing.T) *signettest.Server
}

// backends starts Signet with opts on each database.
func backends(opts ...signettest.Option) []backend {
	var out []backend
	for _, db := range databases() {
		out = append(out, backend{db.name, func(t *testing.T) *signettest.Server {
			return signettest.Start(t, append(db.opts(t), opts...)...)
		}})
	}
	return out
}
