package sqlstore_test

import (
	"testing"

	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// TestPushedTwoStatements runs the pushed-request cases with the
// two-statement consume that MySQL uses, on every database.
func TestPushedTwoStatements(t *testing.T) {
	for name, open := range map[string]storetest.Opener{
		"SQLite": storetest.SQLite, "Postgres": storetest.Postgres, "MySQL": storetest.MySQL,
	} {
		t.Run(name, func(t *testing.T) {
			storetest.RunPushed(t, func(t *testing.T) *sqlstore.Store { return sqlstore.WithoutDeleteReturning(open(t)) })
		})
	}
}
