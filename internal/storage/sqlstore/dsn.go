package sqlstore

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// target is a parsed DSN: which dialect, how to connect, and pool settings.
type target struct {
	d      dialect
	memory bool
	// sqliteName is the modernc DSN (SQLite only).
	sqliteName string
	// sqlitePath is the database file (SQLite files only), locked while
	// migrating.
	sqlitePath string
	// connector opens PostgreSQL and MySQL connections.
	connector driver.Connector
	pool      poolParams
}

// poolParams are Hydra's pop pool settings, accepted in the DSN query so
// existing Hydra DSNs keep working. They are removed before the DSN reaches
// a driver, which would otherwise send them to the server as session
// variables and fail. Zero means "use Signet's default".
type poolParams struct {
	maxConns     int
	maxIdleConns int
	lifetime     time.Duration
	idleTime     time.Duration
}

// ErrBadDSN wraps every DSN the store cannot use.
var ErrBadDSN = errors.New("sqlstore: invalid dsn")

// sqlitePragmas make a file database safe under concurrent writers: WAL lets
// readers run beside the writer, busy_timeout makes a writer wait for the
// lock instead of failing with "database is locked", and _txlock=immediate
// takes the write lock at BEGIN, so a transaction never has to upgrade a
// read lock (an upgrade that SQLite refuses immediately, busy_timeout or
// not, to avoid deadlock).
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// parseDSN understands the forms Hydra documents: memory, sqlite://path,
// postgres:// (or postgresql://) and mysql://user:pass@tcp(host:port)/db.
func parseDSN(dsn string) (*target, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	switch {
	case dsn == "memory":
		return sqliteMemory(), nil
	case !ok:
		return nil, fmt.Errorf("%w: want memory, sqlite://, postgres:// or mysql://", ErrBadDSN)
	}
	switch scheme {
	case "sqlite", "sqlite3":
		return parseSQLite(rest)
	case "postgres", "postgresql":
		return parsePostgres(dsn)
	case "mysql":
		return parseMySQL(rest)
	}
	return nil, fmt.Errorf("%w: unsupported scheme %q", ErrBadDSN, scheme)
}

// sqliteMemory is a private in-memory database behind exactly one
// connection. A shared-cache memory database (file:x?mode=memory&cache=shared)
// would allow several connections, but shared cache locks per table and
// answers SQLITE_LOCKED, which busy_timeout does not retry, so concurrent
// writers would fail. One connection serialises every statement in
// database/sql's pool instead; SQLite admits a single writer anyway. The
// connection is never recycled, since closing it would drop the database.
func sqliteMemory() *target {
	return &target{
		d:          dialect{name: DialectSQLite},
		memory:     true,
		sqliteName: ":memory:?_pragma=foreign_keys(1)",
		pool:       poolParams{maxConns: 1, maxIdleConns: 1},
	}
}

// parseSQLite takes the path after sqlite://. Query parameters that Hydra
// users carry (_fk=true, mode=rwc…) are ignored: Signet sets the pragmas it
// relies on itself and does not let a DSN weaken them.
func parseSQLite(rest string) (*target, error) {
	path, _, _ := strings.Cut(rest, "?")
	path = strings.TrimPrefix(path, "file:")
	switch path {
	case "":
		return nil, fmt.Errorf("%w: sqlite:// needs a path, e.g. sqlite:///var/lib/signet/db.sqlite", ErrBadDSN)
	case ":memory:":
		return sqliteMemory(), nil
	}
	return &target{
		d:          dialect{name: DialectSQLite},
		sqliteName: path + "?" + sqlitePragmas,
		sqlitePath: path,
	}, nil
}

func parsePostgres(dsn string) (*target, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url.Error repeats the DSN, password included: keep it out.
		return nil, fmt.Errorf("%w: postgres url does not parse", ErrBadDSN)
	}
	q := u.Query()
	pool, err := takePoolParams(q)
	if err != nil {
		return nil, err
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("%w: postgres: %s", ErrBadDSN, redactPgError(err))
	}
	return &target{d: dialect{name: DialectPostgres}, connector: stdlib.GetConnector(*cfg), pool: pool}, nil
}

// redactPgError says what is wrong without echoing the connection string:
// pgx redacts passwords only on a best-effort basis.
func redactPgError(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return "cannot parse the connection string"
}

// parseMySQL takes Hydra's form without the scheme and hands it to
// go-sql-driver with the settings of mysqlConfig.
func parseMySQL(rest string) (*target, error) {
	cfg, pool, err := mysqlConfig(rest)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: mysql: %v", ErrBadDSN, err)
	}
	return &target{d: dialect{name: DialectMySQL}, connector: conn, pool: pool}, nil
}

// mysqlConfig parses the DSN, forcing what the store relies on: time.Time
// scanning in UTC, "rows matched" rather than "rows changed" (so an UPDATE
// that rewrites identical values is not mistaken for a missing row),
// utf8mb4, and strict mode so an over-long value fails instead of being
// truncated silently.
//
// It also sets interpolateParams: without it the driver prepares, executes
// and closes a server-side statement for every query with arguments, three
// round trips instead of one. Client-side interpolation is safe here
// because the connection charset is always utf8mb4, set by the handshake
// collation (interpolating is unsafe only under multibyte charsets such as
// GBK or SJIS, whose bytes can hide a quote), and the driver follows the
// server's backslash mode. A charset in the DSN is therefore dropped: at
// best it repeats utf8mb4, at worst it would undo that guarantee.
func mysqlConfig(rest string) (*mysql.Config, poolParams, error) {
	base, query := rest, ""
	if slash := strings.LastIndex(rest, "/"); slash >= 0 {
		if i := strings.Index(rest[slash:], "?"); i >= 0 {
			base, query = rest[:slash+i], rest[slash+i+1:]
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, poolParams{}, fmt.Errorf("%w: mysql query string", ErrBadDSN)
	}
	pool, err := takePoolParams(q)
	if err != nil {
		return nil, poolParams{}, err
	}
	q.Del("charset")
	if len(q) > 0 {
		base += "?" + q.Encode()
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		return nil, poolParams{}, fmt.Errorf("%w: mysql: expected mysql://user:pass@tcp(host:port)/db", ErrBadDSN)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true
	cfg.InterpolateParams = true
	cfg.Collation = "utf8mb4_bin"
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'"
	return cfg, pool, nil
}

// takePoolParams removes Hydra's pool keys from q and parses them.
func takePoolParams(q url.Values) (poolParams, error) {
	var p poolParams
	ints := map[string]*int{"max_conns": &p.maxConns, "max_idle_conns": &p.maxIdleConns}
	for k, dst := range ints {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return p, fmt.Errorf("%w: %s must be a non-negative integer", ErrBadDSN, k)
			}
			*dst = n
		}
		q.Del(k)
	}
	durs := map[string]*time.Duration{"max_conn_lifetime": &p.lifetime, "max_conn_idle_time": &p.idleTime}
	for k, dst := range durs {
		if v := q.Get(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return p, fmt.Errorf("%w: %s must be a duration such as 5m", ErrBadDSN, k)
			}
			*dst = d
		}
		q.Del(k)
	}
	return p, nil
}
