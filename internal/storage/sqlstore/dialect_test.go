package sqlstore

import (
	"errors"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

func TestRebind(t *testing.T) {
	cases := []struct{ dialect, in, want string }{
		{DialectPostgres, "SELECT a FROM t WHERE a = ? AND b > ? LIMIT ?", "SELECT a FROM t WHERE a = $1 AND b > $2 LIMIT $3"},
		{DialectPostgres, "SELECT 1", "SELECT 1"},
		{DialectMySQL, "a = ?", "a = ?"},
		{DialectSQLite, "a = ?", "a = ?"},
	}
	for _, c := range cases {
		if got := (dialect{name: c.dialect}).rebind(c.in); got != c.want {
			t.Errorf("%s rebind(%q) = %q, want %q", c.dialect, c.in, got, c.want)
		}
	}
}

func TestOnConflict(t *testing.T) {
	key, cols := []string{"a", "b"}, []string{"c"}
	if got := (dialect{name: DialectMySQL}).onConflict(key, cols, "n = t.n + 1"); got != " ON DUPLICATE KEY UPDATE c = VALUES(c), n = t.n + 1" {
		t.Errorf("mysql: %q", got)
	}
	if got := (dialect{name: DialectPostgres}).onConflict(key, cols); got != " ON CONFLICT (a, b) DO UPDATE SET c = excluded.c" {
		t.Errorf("postgres: %q", got)
	}
}

func TestTimeArgIsUTCMicroseconds(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 6007008, time.FixedZone("x", -3600))
	if got := (dialect{name: DialectSQLite}).timeArg(in); got != in.UnixMicro() {
		t.Errorf("sqlite: %v", got)
	}
	got := (dialect{name: DialectPostgres}).timeArg(in).(time.Time)
	if got.Location() != time.UTC || got.Nanosecond() != 6007000 || !got.Equal(in.Truncate(time.Microsecond)) {
		t.Errorf("postgres: %v", got)
	}
}

func TestClassifyKeepsOtherErrors(t *testing.T) {
	d := dialect{name: DialectSQLite}
	err := d.classify("op", errors.New("boom"))
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) || err == nil {
		t.Errorf("plain error classified as %v", err)
	}
	if d.classify("op", nil) != nil {
		t.Error("nil must stay nil")
	}
}
