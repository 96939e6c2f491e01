package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

const (
	secretA = "system-secret-A-0123456789abcdef"
	secretB = "system-secret-B-0123456789abcdef"
)

// sealedDB is a database whose keys and client secrets were sealed with
// secret A: three keys and two client_secret_jwt clients, one with a
// rotated secret.
type sealedDB struct {
	dsn   string
	store *sqlstore.Store
}

// clientPlain is what each sealed client secret decrypts to.
var clientPlain = map[string][]string{"hs-1": {"current-1"}, "hs-2": {"current-2", "rotated-2"}}

func seedSealedDB(t *testing.T, dsn string) *sealedDB {
	t.Helper()
	s := storetest.OpenDSN(t, dsn)
	ctx := context.Background()
	kA := keyringOf(t, secretA)
	m, err := jwk.NewManager(jwk.ManagerDeps{Store: s, Keyring: kA, Rand: rand.Reader, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i, set := range []string{jwk.SetIDToken, jwk.SetAccessToken, "operator.set"} {
		if _, err := m.Generate(ctx, set, "EdDSA", "sig", fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for id, plains := range clientPlain {
		c := &client.Client{ID: id, SecretHash: "x", TokenEndpointAuthMethod: client.AuthClientSecretJWT, CreatedAt: now, UpdatedAt: now}
		for i, p := range plains {
			sealed, err := client.SealSecret(kA, id, p)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				c.Credentials.SealedSecret = sealed
			} else {
				c.Credentials.Rotated = append(c.Credentials.Rotated, client.StoredSecret{Hash: "y", Sealed: sealed, RotatedAt: now})
			}
		}
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return &sealedDB{dsn: dsn, store: s}
}

func keyringOf(t *testing.T, secrets ...string) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// opensWith reports whether every stored key and client secret opens with
// the keyring of secrets alone.
func (db *sealedDB) opensWith(t *testing.T, secrets ...string) bool {
	t.Helper()
	ctx := context.Background()
	k := keyringOf(t, secrets...)
	m, err := jwk.NewManager(jwk.ManagerDeps{Store: db.store, Keyring: k, Rand: rand.Reader, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []string{jwk.SetIDToken, jwk.SetAccessToken, "operator.set"} {
		if _, err := m.List(ctx, set); err != nil {
			return false
		}
	}
	for id, plains := range clientPlain {
		c, err := db.store.GetClient(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sealed := [][]byte{c.Credentials.SealedSecret}
		for _, r := range c.Credentials.Rotated {
			sealed = append(sealed, r.Sealed)
		}
		for i, s := range sealed {
			if got, err := client.OpenSecret(k, id, s); err != nil || got != plains[i] {
				return false
			}
		}
	}
	return true
}

// configFile writes a configuration naming dsn and secrets.
func configFile(t *testing.T, dsn string, secrets ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "signet.yaml")
	body := fmt.Sprintf("dsn: %q\nsecrets:\n  system: [%s]\n", dsn, strings.Join(secrets, ", "))
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRotateSecrets is the whole procedure on each database: sealed with
// A; with [B, A] the command re-encrypts everything; with [B] alone every
// value still opens; a second run has nothing to do.
func TestRotateSecrets(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  storetest.DSNFunc
	}{{"SQLite", storetest.SQLiteFileDSN}, {"PostgreSQL", storetest.PostgresDSN}, {"MySQL", storetest.MySQLDSN}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			d := seedSealedDB(t, db.dsn(t))
			if d.opensWith(t, secretB) {
				t.Fatal("the seeded values open with B before any rotation")
			}
			r := run(t, nil, "", "rotate", "secrets", "-c", configFile(t, d.dsn, secretB, secretA), "--batch-size", "2")
			if r.code != 0 {
				t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{
				"keys: 2 checked, 2 re-encrypted so far\n", "keys: 3 checked, 3 re-encrypted so far\n",
				"private keys:   3 checked, 3 re-encrypted, 0 already current, 0 changed meanwhile, 0 unreadable\n",
				"client secrets: 3 checked, 3 re-encrypted, 0 already current, 0 changed meanwhile, 0 unreadable\n",
				"Every stored value is encrypted with the first secret of secrets.system.\n",
			} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
			if !d.opensWith(t, secretB) {
				t.Fatal("after the command, B alone does not open every stored value")
			}
			r = run(t, nil, "", "rotate", "secrets", "-c", configFile(t, d.dsn, secretB, secretA))
			if r.code != 0 || !strings.Contains(r.stdout, "private keys:   3 checked, 0 re-encrypted, 3 already current") ||
				!strings.Contains(r.stdout, "client secrets: 3 checked, 0 re-encrypted, 3 already current") {
				t.Errorf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestRotateSecretsDryRun writes nothing.
func TestRotateSecretsDryRun(t *testing.T) {
	d := seedSealedDB(t, storetest.SQLiteFileDSN(t))
	r := run(t, nil, "", "rotate", "secrets", "--dry-run", "-c", configFile(t, d.dsn, secretB, secretA))
	if r.code != 0 || !strings.Contains(r.stdout, "3 checked, 3 to re-encrypt") || !strings.Contains(r.stdout, "Dry run: nothing was written.") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if d.opensWith(t, secretB) || !d.opensWith(t, secretA) {
		t.Error("a dry run changed stored values")
	}
}

// TestRotateSecretsUnreadable: run with the old secret already gone, the
// command names what no secret opens and fails, so a script stops before
// anything else is removed.
func TestRotateSecretsUnreadable(t *testing.T) {
	d := seedSealedDB(t, storetest.SQLiteFileDSN(t))
	r := run(t, nil, "", "rotate", "secrets", "-c", configFile(t, d.dsn, secretB))
	if r.code == 0 || !strings.Contains(r.stderr, "6 stored value(s) open with no configured secret") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`keys: no configured secret opens key "k0" of set "hydra.openid.id-token"`,
		`client secrets: no configured secret opens 2 sealed secret(s) of client "hs-2"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !d.opensWith(t, secretA) {
		t.Error("unreadable values were changed")
	}
}

func TestRotateSecretsRefusals(t *testing.T) {
	file := storetest.SQLiteFileDSN(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch-size", "0"}, "--batch-size must be between 1 and 10000"},
		{[]string{"-c", configFile(t, file)}, "secrets.system"},
		{[]string{"-c", configFile(t, "memory", secretA)}, "in-memory database"},
		{[]string{"-c", configFile(t, "sqlite:///nonexistent/signet.sqlite", secretA)}, "no SQLite database"},
		{[]string{"extra"}, "unknown command"},
	} {
		r := run(t, nil, "", append([]string{"rotate", "secrets"}, tc.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
