package jwk_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// These tests run the Manager against the real store on the three
// databases, each instance with its own connection pool, as separate
// processes would be.

var databases = []struct {
	name string
	dsn  storetest.DSNFunc
}{
	{"SQLite", storetest.SQLiteFileDSN},
	{"PostgreSQL", storetest.PostgresDSN},
	{"MySQL", storetest.MySQLDSN},
}

const (
	secretA = "system-secret-A-0123456789abcdef"
	secretB = "system-secret-B-0123456789abcdef"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func keyring(t *testing.T, secrets ...string) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func manager(t *testing.T, s *sqlstore.Store, k *secret.Keyring, clk *clock, p *jwk.RotationPolicy) *jwk.Manager {
	t.Helper()
	m, err := jwk.NewManager(jwk.ManagerDeps{Store: s, Keyring: k, Rand: rand.Reader, RSABits: 2048, Now: clk.Now, Rotation: p})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConcurrentRotationOnDatabases: four instances on one database run
// their rounds at the same moment; each set gets exactly one successor,
// and every instance then signs with the same key at the same time.
func TestConcurrentRotationOnDatabases(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := db.dsn(t)
			t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			clk := &clock{now: t0}
			p := &jwk.RotationPolicy{Interval: 10 * time.Hour, PublishBefore: 2 * time.Hour, RetainAfter: 3 * time.Hour}
			k := keyring(t, secretA)
			var ms []*jwk.Manager
			for range 4 {
				ms = append(ms, manager(t, storetest.OpenDSN(t, dsn), k, clk, p))
			}
			for _, set := range []string{jwk.SetIDToken, jwk.SetAccessToken} {
				if _, err := ms[0].Generate(ctx, set, "ES256", "sig", "first-"+set); err != nil {
					t.Fatal(err)
				}
			}
			for round := range 3 {
				clk.Set(t0.Add(time.Duration(round)*10*time.Hour + 9*time.Hour)) // each successor is due
				var wg sync.WaitGroup
				start := make(chan struct{})
				errs := make([]error, len(ms))
				for i, m := range ms {
					wg.Go(func() { <-start; errs[i] = m.Rotate(ctx) })
				}
				close(start)
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				for _, set := range []string{jwk.SetIDToken, jwk.SetAccessToken} {
					ks, err := ms[0].List(ctx, set)
					if err != nil {
						t.Fatal(err)
					}
					// The pending successor and its signing predecessor; the
					// key before them was retired over 3h ago and deleted.
					if len(ks.Keys) != 2 {
						t.Errorf("round %d: set %s holds %d keys, want 2", round, set, len(ks.Keys))
					}
				}
			}
			// Once the last successor is due, every instance signs with it.
			clk.Set(t0.Add(35 * time.Hour))
			want := ""
			for i, m := range ms {
				if err := m.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
				_, pub, err := m.Signer(ctx, jwk.SetAccessToken)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					want = pub.KeyID
				} else if pub.KeyID != want {
					t.Errorf("instance %d signs with %s, instance 0 with %s", i, pub.KeyID, want)
				}
			}
		})
	}
}

// TestResealKeysOnDatabases: keys sealed with secret A; with [B, A] the
// pass re-encrypts them all, a second pass finds nothing to do, and B alone
// then opens every key.
func TestResealKeysOnDatabases(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.OpenDSN(t, db.dsn(t))
			clk := &clock{now: time.Now()}
			old := manager(t, s, keyring(t, secretA), clk, nil)
			const n = 7
			for i := range n {
				if _, err := old.Generate(ctx, "reseal.set", "EdDSA", "sig", string(rune('a'+i))); err != nil {
					t.Fatal(err)
				}
			}
			var batches int
			report := secret.ResealReport{OnProgress: func(secret.ResealCount) { batches++ },
				OnUnreadable: func(what string) { t.Errorf("unreadable: %s", what) }}
			both := keyring(t, secretB, secretA)
			got, err := jwk.ResealKeys(ctx, s, both, 3, report)
			if err != nil {
				t.Fatal(err)
			}
			if got != (secret.ResealCount{Checked: n, Resealed: n}) || batches != 3 {
				t.Errorf("first pass %+v in %d batches, want %d resealed in 3", got, batches, n)
			}
			again, err := jwk.ResealKeys(ctx, s, both, 3, secret.ResealReport{})
			if err != nil || again != (secret.ResealCount{Checked: n, Current: n}) {
				t.Errorf("second pass %+v, %v; want all %d current", again, err, n)
			}
			onlyB := manager(t, s, keyring(t, secretB), clk, nil)
			ks, err := onlyB.List(ctx, "reseal.set")
			if err != nil || len(ks.Keys) != n {
				t.Fatalf("with secret B alone: %d keys, %v", len(ks.Keys), err)
			}
			unreadable := 0
			_, err = jwk.ResealKeys(ctx, s, keyring(t, secretA), 3, secret.ResealReport{OnUnreadable: func(string) { unreadable++ }})
			if err != nil || unreadable != n {
				t.Errorf("with secret A alone: %d unreadable (%v), want %d named", unreadable, err, n)
			}
		})
	}
}
