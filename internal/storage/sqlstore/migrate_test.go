package sqlstore

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
)

// The three dialects must offer the same versions, or `migrate status`
// would disagree between deployments of one release.
func TestMigrationVersionsMatch(t *testing.T) {
	lists := map[string][]string{}
	for _, d := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		entries, err := fs.ReadDir(migrationFiles, path.Join("migrations", d))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".sql") {
				t.Errorf("%s/%s: not a migration", d, e.Name())
			}
			lists[d] = append(lists[d], e.Name())
		}
		if len(lists[d]) == 0 {
			t.Errorf("%s: no migrations", d)
		}
	}
	for d, l := range lists {
		if !slices.Equal(l, lists[DialectSQLite]) {
			t.Errorf("%s migrations %q differ from sqlite's %q", d, l, lists[DialectSQLite])
		}
	}
}

// Every migration must be reversible: operators rely on a down step.
func TestMigrationsHaveDown(t *testing.T) {
	err := fs.WalkDir(migrationFiles, "migrations", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrationFiles, p)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "-- +goose Up") || !strings.Contains(string(b), "-- +goose Down") {
			t.Errorf("%s: needs both -- +goose Up and -- +goose Down", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
