package sqlstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/signet-oidc/signet/internal/storage"
)

// Dialect names, as Store.Dialect reports them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
	DialectMySQL    = "mysql"
)

// dialect holds the handful of places where the three databases really
// differ. Statements are written once with ? placeholders and portable SQL;
// anything else goes through one of these methods.
type dialect struct {
	name string
}

func (d dialect) gooseDialect() goose.Dialect {
	switch d.name {
	case DialectPostgres:
		return goose.DialectPostgres
	case DialectMySQL:
		return goose.DialectMySQL
	default:
		return goose.DialectSQLite3
	}
}

// rebind turns ? placeholders into $1, $2… for PostgreSQL. It runs once per
// statement when the statement set is built, never per query. Our statements
// contain no string literals, so every ? is a placeholder.
func (d dialect) rebind(q string) string {
	if d.name != DialectPostgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// onConflict returns the clause that turns an INSERT into an upsert: when a
// row with the same key exists, each column in copyCols takes the value the
// INSERT tried to write, and each raw assignment is applied as written (raw
// assignments must be portable, e.g. "n = t.n + 1" with the table named).
func (d dialect) onConflict(key, copyCols []string, raw ...string) string {
	sets := make([]string, 0, len(copyCols)+len(raw))
	for _, c := range copyCols {
		if d.name == DialectMySQL {
			// VALUES() is deprecated in MySQL 8.0.20 but is the only form
			// MariaDB understands; both accept it.
			sets = append(sets, c+" = VALUES("+c+")")
		} else {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	sets = append(sets, raw...)
	if d.name == DialectMySQL {
		return " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
	}
	return " ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
}

// timeArg is the value bound for a time column: UTC, truncated to the
// microsecond so every dialect stores exactly the same instant.
func (d dialect) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.name == DialectSQLite {
		return t.UnixMicro()
	}
	return t
}

func (d dialect) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.timeArg(*t)
}

// classify maps driver errors callers must tell apart onto the storage
// sentinels, keeping the driver error in the chain for logs: a unique
// violation is storage.ErrConflict, a foreign-key violation (a token for a
// client that does not exist) is storage.ErrNotFound.
func (d dialect) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case d.isUnique(err):
		return fmt.Errorf("sqlstore: %s: %w (%w)", op, storage.ErrConflict, err)
	case d.isForeignKey(err):
		return fmt.Errorf("sqlstore: %s: %w (%w)", op, storage.ErrNotFound, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

func (d dialect) isUnique(err error) bool {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	var lite *sqlite.Error
	switch {
	case errors.As(err, &pg):
		return pg.Code == "23505"
	case errors.As(err, &my):
		return my.Number == 1062
	case errors.As(err, &lite):
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func (d dialect) isForeignKey(err error) bool {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	var lite *sqlite.Error
	switch {
	case errors.As(err, &pg):
		return pg.Code == "23503"
	case errors.As(err, &my):
		return my.Number == 1452
	case errors.As(err, &lite):
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
