package sqlstore_test

import (
	"testing"

	"github.com/signet-oidc/signet/internal/storage/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, storetest.SQLite)
	storetest.RunConcurrency(t, storetest.SQLite)
	t.Run("File", func(t *testing.T) {
		storetest.RunConcurrency(t, storetest.SQLiteFile)
		storetest.RunOpen(t, storetest.SQLiteFileDSN)
	})
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, storetest.Postgres)
	storetest.RunConcurrency(t, storetest.Postgres)
	storetest.RunOpen(t, storetest.PostgresDSN)
}

func TestMySQL(t *testing.T) {
	storetest.Run(t, storetest.MySQL)
	storetest.RunConcurrency(t, storetest.MySQL)
	storetest.RunOpen(t, storetest.MySQLDSN)
}
