package jwk

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

const (
	oldSecret = "the-old-system-secret-0123456789"
	newSecret = "the-new-system-secret-9876543210"
)

// newManager builds a Manager over store with a clock that moves one
// second per reading, so every key has a distinct CreatedAt.
func newManager(t *testing.T, store Store, secrets ...string) *Manager {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{oldSecret}
	}
	kr, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var tick atomic.Int64
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := NewManager(ManagerDeps{
		Store: store, Keyring: kr, Rand: rand.Reader, RSABits: 2048,
		Now: func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// signAndVerify signs with the set's signer and verifies against the
// published public keys, as a relying party would.
func signAndVerify(t *testing.T, m *Manager, set string) string {
	t.Helper()
	ctx := context.Background()
	s, pub, err := m.Signer(ctx, set)
	if err != nil {
		t.Fatalf("Signer(%s): %v", set, err)
	}
	jws, err := s.Sign([]byte(`{"sub":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := jws.CompactSerialize()
	parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(pub.Algorithm)})
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Signatures[0].Header.KeyID; got != pub.KeyID {
		t.Fatalf("kid header %q, want %q", got, pub.KeyID)
	}
	ks, err := m.PublicKeys(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	keys := ks.Key(pub.KeyID)
	if len(keys) != 1 {
		t.Fatalf("published keys with kid %q: %d", pub.KeyID, len(keys))
	}
	if out, err := parsed.Verify(keys[0]); err != nil || string(out) != `{"sub":"alice"}` {
		t.Fatalf("verify: %q, %v", out, err)
	}
	return pub.KeyID
}

func TestGenerateEachAlgorithmSignsAndVerifies(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, alg := range []string{"RS256", "RS512", "ES256", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			m := newManager(t, newFakeStore())
			ks, err := m.Generate(context.Background(), "s", alg, "sig", "")
			if err != nil {
				t.Fatal(err)
			}
			k := ks.Keys[0]
			if k.IsPublic() || k.Algorithm != alg || k.Use != "sig" || !uuidRE.MatchString(k.KeyID) {
				t.Fatalf("generated key: private=%v alg=%s use=%s kid=%s", !k.IsPublic(), k.Algorithm, k.Use, k.KeyID)
			}
			if kid := signAndVerify(t, m, "s"); kid != k.KeyID {
				t.Fatalf("signed with %s, generated %s", kid, k.KeyID)
			}
		})
	}
}

func TestGenerateRefusesBadRequests(t *testing.T) {
	m := newManager(t, newFakeStore())
	cases := []struct{ name, set, alg, use, kid string }{
		{"symmetric HS256", "s", "HS256", "sig", ""},
		{"none", "s", "none", "sig", ""},
		{"empty alg", "s", "", "sig", ""},
		{"unknown use", "s", "ES256", "wrap", ""},
		{"EdDSA cannot encrypt", "s", "EdDSA", "enc", ""},
		{"control char in kid", "s", "ES256", "sig", "a\x00b"},
		{"overlong set", strings.Repeat("x", 256), "ES256", "sig", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Generate(context.Background(), c.set, c.alg, c.use, c.kid)
			var he *httpx.Error
			if !errors.As(err, &he) || he.Status != 400 {
				t.Fatalf("want a 400, got %v", err)
			}
		})
	}
	if _, err := m.Generate(context.Background(), "s", "ES256", "sig", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(context.Background(), "s", "ES256", "sig", "k1"); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate kid: want ErrConflict, got %v", err)
	}
}

func TestPrivateKeysAreStoredSealed(t *testing.T) {
	store := newFakeStore()
	m := newManager(t, store)
	ks, err := m.Generate(context.Background(), "s", "ES256", "sig", "k1")
	if err != nil {
		t.Fatal(err)
	}
	full, _ := ks.Keys[0].MarshalJSON()
	d := regexp.MustCompile(`"d":"([^"]+)"`).FindSubmatch(full)[1]
	recs := store.records("s")
	if len(recs) != 1 || recs[0].SealedPrivate == nil {
		t.Fatalf("stored records: %+v", recs)
	}
	for _, field := range [][]byte{[]byte(`"d"`), d} {
		if bytes.Contains(recs[0].Public, field) || bytes.Contains(recs[0].SealedPrivate, field) {
			t.Fatalf("stored record holds private material %q", field)
		}
	}

	// A sealed key is bound to its set and kid: moved to another kid, it
	// no longer opens.
	moved := recs[0]
	moved.KID = "k2"
	if err := store.ReplaceKey(context.Background(), &moved); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(context.Background(), "s", "k2"); err == nil || !strings.Contains(err.Error(), "cannot be opened") {
		t.Fatalf("moved sealed key: want an open failure, got %v", err)
	}
}

func TestSecretRotation(t *testing.T) {
	store := newFakeStore()
	ctx := context.Background()
	old := newManager(t, store, oldSecret)
	if err := old.EnsureKeys(ctx, SetIDToken); err != nil {
		t.Fatal(err)
	}
	kid := signAndVerify(t, old, SetIDToken)

	rotated := newManager(t, store, newSecret, oldSecret)
	if got := signAndVerify(t, rotated, SetIDToken); got != kid {
		t.Fatalf("rotated keyring signs with %s, want %s", got, kid)
	}
	// New keys are sealed with the new (first) secret.
	if _, err := rotated.Generate(ctx, "other", "ES256", "sig", "fresh"); err != nil {
		t.Fatal(err)
	}
	onlyNew := newManager(t, store, newSecret)
	if _, err := onlyNew.Get(ctx, "other", "fresh"); err != nil {
		t.Fatalf("key sealed under the new secret: %v", err)
	}
	_, _, err := onlyNew.Signer(ctx, SetIDToken)
	if err == nil || !strings.Contains(err.Error(), "secrets.system") {
		t.Fatalf("keyring without the old secret: want a clear open failure, got %v", err)
	}
}

func TestEnsureKeysConcurrentFirstStartCreatesOneKeyPerSet(t *testing.T) {
	store := newFakeStore()
	const instances, perInstance = 4, 4
	managers := make([]*Manager, instances)
	for i := range managers {
		managers[i] = newManager(t, store)
	}
	var wg sync.WaitGroup
	errs := make(chan error, instances*perInstance)
	for _, m := range managers {
		for range perInstance {
			wg.Go(func() { errs <- m.EnsureKeys(context.Background(), SetIDToken, SetAccessToken) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, set := range []string{SetIDToken, SetAccessToken} {
		recs := store.records(set)
		if len(recs) != 1 {
			t.Fatalf("set %s has %d keys after a concurrent first start, want 1", set, len(recs))
		}
		for i, m := range managers {
			_, pub, err := m.Signer(context.Background(), set)
			if err != nil || pub.KeyID != recs[0].KID || pub.Algorithm != "RS256" {
				t.Fatalf("instance %d signs %s with %q (%v), want %q RS256", i, set, pub.KeyID, err, recs[0].KID)
			}
		}
	}
}

func TestSignerCostsNoStoreCallInSteadyState(t *testing.T) {
	store := newFakeStore()
	m := newManager(t, store)
	ctx := context.Background()
	if err := m.EnsureKeys(ctx, SetIDToken, SetAccessToken); err != nil {
		t.Fatal(err)
	}
	first, _, err := m.Signer(ctx, SetIDToken)
	if err != nil {
		t.Fatal(err)
	}
	before := store.calls.Load()
	for range 100 {
		s, _, err := m.Signer(ctx, SetIDToken)
		if err != nil || s != first {
			t.Fatalf("signer changed or failed: %v", err)
		}
		if _, err := m.PublicKeys(ctx, SetIDToken, SetAccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.calls.Load() - before; n != 0 {
		t.Fatalf("steady-state Signer/PublicKeys made %d store calls, want 0", n)
	}
	// A poll with nothing changed is one version read, and keeps the
	// parsed signer; an unrelated reload does not re-parse it either.
	if err := m.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := store.calls.Load() - before; n != 1 {
		t.Fatalf("idle poll made %d store calls, want 1", n)
	}
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := m.Signer(ctx, SetIDToken); s != first {
		t.Fatal("refresh re-parsed an unchanged key")
	}
}

func TestOtherInstanceChangesAreSeenOnPoll(t *testing.T) {
	store := newFakeStore()
	ctx := context.Background()
	a, b := newManager(t, store), newManager(t, store)
	if err := a.EnsureKeys(ctx, SetIDToken); err != nil {
		t.Fatal(err)
	}
	oldKID := signAndVerify(t, b, SetIDToken)

	ks, err := a.Generate(ctx, SetIDToken, "ES256", "sig", "rotated")
	if err != nil {
		t.Fatal(err)
	}
	if kid := signAndVerify(t, a, SetIDToken); kid != "rotated" {
		t.Fatalf("the instance that rotated signs with %s at once, want rotated", kid)
	}
	if _, pub, _ := b.Signer(ctx, SetIDToken); pub.KeyID != oldKID {
		t.Fatal("the other instance changed keys before polling")
	}
	if err := b.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if kid := signAndVerify(t, b, SetIDToken); kid != ks.Keys[0].KeyID {
		t.Fatalf("after polling the other instance signs with %s, want rotated", kid)
	}
	pub, _ := b.PublicKeys(ctx, SetIDToken)
	if len(pub.Keys) != 2 {
		t.Fatalf("published %d keys after rotation, want old and new", len(pub.Keys))
	}
}

func TestSignerRecreatesDeletedWellKnownKeys(t *testing.T) {
	store := newFakeStore()
	m := newManager(t, store)
	ctx := context.Background()
	if err := m.EnsureKeys(ctx, SetIDToken); err != nil {
		t.Fatal(err)
	}
	before := signAndVerify(t, m, SetIDToken)
	if err := m.DeleteSet(ctx, SetIDToken); err != nil {
		t.Fatal(err)
	}
	if after := signAndVerify(t, m, SetIDToken); after == before {
		t.Fatal("signer still uses the deleted key")
	}
	if _, _, err := m.Signer(ctx, "custom"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("an empty custom set: want ErrNotFound, got %v", err)
	}
	if err := m.DeleteSet(ctx, "custom"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleting an unknown set: want ErrNotFound, got %v", err)
	}
}

func TestSigningWhileKeysChangeIsRaceFree(t *testing.T) {
	m := newManager(t, newFakeStore())
	ctx := context.Background()
	if err := m.EnsureKeys(ctx, SetAccessToken); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				s, _, err := m.Signer(ctx, SetAccessToken)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Sign([]byte("x")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range 5 {
		if _, err := m.Generate(ctx, SetAccessToken, "ES256", "sig", "k"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
