package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
	"github.com/signet-oidc/signet/internal/token"
	"github.com/signet-oidc/signet/internal/trust"
)

// janitorDB is a SQLite file holding dead and live access tokens and trust
// grants, relative to the wall clock the command uses.
type janitorDB struct {
	dsn   string
	store *sqlstore.Store
}

func tokenDigest(name string) []byte {
	d := sha256.Sum256([]byte(name))
	return d[:]
}

func seedJanitorDB(t *testing.T, deadTokens int) *janitorDB {
	t.Helper()
	dsn := storetest.SQLiteFileDSN(t)
	s := storetest.OpenDSN(t, dsn)
	ctx := context.Background()
	now := time.Now()
	if err := s.CreateClient(ctx, &client.Client{ID: "app", SecretHash: "x", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, exp time.Time) {
		err := s.CreateAccess(ctx, &token.AccessRecord{Digest: tokenDigest(name), ClientID: "app", Scopes: []string{},
			Audience: []string{}, GrantType: "client_credentials", Strategy: "opaque", IssuedAt: now.Add(-2 * time.Hour),
			ExpiresAt: exp, RequestID: "r-" + name})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range deadTokens {
		mk(fmt.Sprint("dead-", i), now.Add(-time.Hour))
	}
	mk("live", now.Add(time.Hour))
	err := s.CreateTrustGrant(ctx, &trust.Grant{ID: "tg", Issuer: "https://i", Subject: "s", KeyID: "k",
		PublicKey: []byte(`{}`), ExpiresAt: now.Add(-time.Hour), CreatedAt: now.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return &janitorDB{dsn: dsn, store: s}
}

func (db *janitorDB) tokenStored(t *testing.T, name string) bool {
	t.Helper()
	_, err := db.store.GetAccess(context.Background(), tokenDigest(name))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// wantLines matches stdout line by line against patterns.
func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(patterns) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(patterns), out)
	}
	for i, p := range patterns {
		if !regexp.MustCompile("^" + p + "$").MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i+1, lines[i], p)
		}
	}
}

const took = `in [0-9.]+[µnm]?s( \([0-9]+/s\))?`

// TestJanitorCommand: one line per table, in the order Hydra's flags
// name them, then the total; exactly the dead rows are gone.
func TestJanitorCommand(t *testing.T) {
	db := seedJanitorDB(t, 3)
	r := run(t, nil, "", "janitor", "--batch-size", "2", db.dsn)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	wantLines(t, r.stdout,
		"janitor: access_tokens: deleted 3 "+took,
		"janitor: refresh_tokens: deleted 0 "+took,
		"janitor: auth_codes: deleted 0 "+took,
		"janitor: device_codes: deleted 0 "+took,
		"janitor: used_verifiers: deleted 0 "+took,
		"janitor: login_sessions: deleted 0 "+took,
		"janitor: consent_sessions: deleted 0 "+took,
		"janitor: pushed_requests: deleted 0 "+took,
		"janitor: trust_jwt_bearer_issuers: deleted 1 "+took,
		"janitor: deleted 4 records in [0-9.]+[µnm]?s",
	)
	for i := range 3 {
		if db.tokenStored(t, fmt.Sprint("dead-", i)) {
			t.Errorf("dead-%d is still stored", i)
		}
	}
	if !db.tokenStored(t, "live") {
		t.Error("the live token was deleted")
	}
}

// TestJanitorSelectionAndLimit: --grants cleans only grants; --limit stops
// and says how to continue; Hydra's lifespan flags are accepted.
func TestJanitorSelectionAndLimit(t *testing.T) {
	db := seedJanitorDB(t, 5)
	r := run(t, nil, "", "janitor", "--grants", "--access-lifespan", "1h", db.dsn)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	wantLines(t, r.stdout, "janitor: trust_jwt_bearer_issuers: deleted 1 "+took, "janitor: deleted 1 records in .*")
	if !strings.Contains(r.stderr, "--access-lifespan has no effect") || !db.tokenStored(t, "dead-0") {
		t.Errorf("--grants: stderr %q; dead-0 stored = %v, want a deprecation note and tokens untouched", r.stderr, db.tokenStored(t, "dead-0"))
	}
	r = run(t, map[string]string{"DSN": db.dsn}, "", "janitor", "-e", "--tokens", "--limit", "3", "--batch-size", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	wantLines(t, r.stdout, "janitor: access_tokens: deleted 3 .*", "janitor: deleted 3 records in .*",
		`janitor: stopped at --limit 3; run again to delete the rest`)
}

// TestJanitorFromConfig: -c reads dsn and janitor.* from a file that a
// server would refuse (no secrets.system, no issuer): the janitor needs
// neither, as in Hydra.
func TestJanitorFromConfig(t *testing.T) {
	db := seedJanitorDB(t, 2)
	file := filepath.Join(t.TempDir(), "signet.yaml")
	body := "dsn: " + db.dsn + "\njanitor:\n  batch_size: 1\n  keep_if_younger: 30m\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "janitor", "--tokens", "-c", file)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	wantLines(t, r.stdout, "janitor: access_tokens: deleted 2 .*", "janitor: refresh_tokens: deleted 0 .*",
		"janitor: auth_codes: deleted 0 .*", "janitor: device_codes: deleted 0 .*", "janitor: deleted 2 records in .*")
	// keep_if_younger from the file: the tokens died an hour ago, so a
	// file keeping two hours keeps them.
	db2 := seedJanitorDB(t, 1)
	body = "dsn: " + db2.dsn + "\njanitor:\n  keep_if_younger: 2h\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "", "janitor", "--tokens", "-c", file); r.code != 0 || !db2.tokenStored(t, "dead-0") {
		t.Errorf("keep_if_younger from the file was ignored: exit %d, %s", r.code, r.stderr)
	}
}

// TestJanitorRefusals: every wrong invocation exits non-zero with a
// message naming the fix, and touches nothing.
func TestJanitorRefusals(t *testing.T) {
	db := seedJanitorDB(t, 1)
	missing := filepath.Join(t.TempDir(), "nope.sqlite")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no database", nil, nil, "exactly one of"},
		{"argument and -e", map[string]string{"DSN": db.dsn}, []string{"-e", db.dsn}, "exactly one of"},
		{"empty DSN variable", nil, []string{"-e"}, "DSN environment variable is empty"},
		{"two arguments", nil, []string{db.dsn, db.dsn}, "accepts at most 1 arg"},
		{"batch size 0", nil, []string{"--batch-size", "0", db.dsn}, "--batch-size must be between 1 and 10000"},
		{"batch size too large", nil, []string{"--batch-size", "10001", db.dsn}, "--batch-size must be between 1 and 10000"},
		{"negative limit", nil, []string{"--limit", "-1", db.dsn}, "--limit must be 0"},
		{"negative keep", nil, []string{"--keep-if-younger", "-1h", db.dsn}, "--keep-if-younger must not be negative"},
		{"zero consent lifespan", nil, []string{"--consent-request-lifespan", "0s", db.dsn}, "--consent-request-lifespan"},
		{"not a duration", nil, []string{"--keep-if-younger", "soon", db.dsn}, "invalid argument"},
		{"memory", nil, []string{"memory"}, "in-memory database"},
		{"sqlite memory", nil, []string{"sqlite://:memory:"}, "in-memory database"},
		{"missing sqlite file", nil, []string{"sqlite://" + missing}, "no SQLite database at"},
		{"bad scheme", nil, []string{"oracle://x"}, "unsupported scheme"},
		{"missing config file", nil, []string{"-c", missing + ".yaml"}, "cannot read config file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.env, "", append([]string{"janitor"}, c.args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", r.code, r.stderr, c.want)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing SQLite file was created: %v", err)
	}
	if !db.tokenStored(t, "dead-0") {
		t.Error("a refused invocation deleted a token")
	}
}
