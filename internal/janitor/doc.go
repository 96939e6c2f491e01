// Package janitor deletes what Signet no longer needs: expired and revoked
// tokens, expired codes, used verifiers and JTIs past their expiry, ended
// login sessions, forgotten consents and expired trust grants. It sits
// beside the request path, not on it: `signet janitor` (internal/cli) runs
// it once, and Background runs it inside `serve` when janitor.enabled is
// set, one instance at a time through a database lock.
//
// Every delete is a bounded batch chosen through an index (see
// sqlstore/janitor.go), so the janitor can run while the server serves
// traffic on every backend. What counts as dead, table by table, is
// documented on the Store methods and in docs/janitor.md.
package janitor
