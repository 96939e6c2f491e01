package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// TestJanitorPlansUseIndexes: every bounded delete of the janitor finds its
// rows through an index, never by scanning the table, so a batch costs the
// same on a table of a million rows as on an empty one. SQLite's and
// MySQL's planners choose by the schema alone, so the check holds on the
// empty tables of a test; PostgreSQL's plan depends on statistics, and
// BenchmarkJanitor -v prints it on a seeded table.
func TestJanitorPlansUseIndexes(t *testing.T) {
	for _, db := range []struct {
		name    string
		open    storetest.Opener
		indexed func(plan string) bool
	}{
		{"SQLite", storetest.SQLite, func(p string) bool {
			return strings.Contains(p, "USING COVERING INDEX") && !strings.Contains(p, "detail=SCAN")
		}},
		{"MySQL", storetest.MySQL, func(p string) bool {
			return strings.Contains(p, "type=range") && !strings.Contains(p, "key=<nil>")
		}},
	} {
		t.Run(db.name, func(t *testing.T) {
			plans, err := sqlstore.ExplainSweeps(context.Background(), db.open(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(plans) != 9 {
				t.Errorf("%d plans, want one per sweep (9)", len(plans))
			}
			for sweep, plan := range plans {
				if !db.indexed(plan) {
					t.Errorf("%s is not planned through an index:\n%s", sweep, plan)
				}
			}
		})
	}
}
