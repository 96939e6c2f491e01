// Package sqlstore is Signet's single storage implementation: one set of SQL
// statements run against SQLite (modernc.org/sqlite), PostgreSQL (pgx/v5) and
// MySQL/MariaDB (go-sql-driver). Where it sits: at the bottom of every request
// path, below client, jwk, token and flow, whose store interfaces *Store
// satisfies.
// app.New opens it once; nothing above it knows which dialect runs.
//
// The few real dialect differences live in dialect.go. Every statement goes
// through a counting wrapper (query.go) so tests and the benchmark can assert
// round-trip budgets. Schema changes are goose migrations embedded from
// migrations/{sqlite,postgres,mysql}; the three directories hold the same
// versions, which a test checks.
//
// Time columns hold UTC with microsecond precision: TIMESTAMPTZ on
// PostgreSQL, DATETIME(6) on MySQL, and INTEGER microseconds since the Unix
// epoch on SQLite (exact, sortable, and free of text-format ambiguity).
package sqlstore
