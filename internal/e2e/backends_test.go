package e2e

import (
	"testing"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// backend starts Signet on one database. The PostgreSQL and MySQL ones use
// a schema or database of their own, migrated first as an operator would,
// and skip (fail under SIGNET_TEST_REQUIRE_DB=1) when the server is down.
type backend struct {
	name  string
	start func(t *testing.T) *signettest.Server
}

func backends(opts ...signettest.Option) []backend {
	on := func(dsn func(*testing.T) string) func(t *testing.T) *signettest.Server {
		return func(t *testing.T) *signettest.Server {
			d := dsn(t)
			storetest.OpenDSN(t, d) // applies the migrations
			return signettest.Start(t, append([]signettest.Option{signettest.WithEnv("DSN=" + d)}, opts...)...)
		}
	}
	return []backend{
		{"SQLite", func(t *testing.T) *signettest.Server { return signettest.Start(t, opts...) }},
		{"PostgreSQL", on(storetest.PostgresDSN)},
		{"MySQL", on(storetest.MySQLDSN)},
	}
}
