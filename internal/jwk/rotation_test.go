package jwk

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/secret"
)

// t0 is the fake clock's origin in the rotation tests.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus h hours.
func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

// testPolicy: each key signs 10h, is published 2h before, kept 3h after.
var testPolicy = RotationPolicy{Interval: 10 * time.Hour, PublishBefore: 2 * time.Hour, RetainAfter: 3 * time.Hour}

func signing(kid string, nbfHours float64) keyState {
	return keyState{kid: kid, alg: "ES256", notBefore: at(nbfHours), signs: true}
}

func TestSigningIndex(t *testing.T) {
	publicOnly := keyState{kid: "pub", notBefore: at(5)}
	cases := []struct {
		name string
		keys []keyState // newest first
		now  float64
		want int
	}{
		{"one key", []keyState{signing("a", 0)}, 1, 0},
		{"the newest key whose not-before passed", []keyState{signing("b", 10), signing("a", 0)}, 10, 0},
		{"a pending key does not sign yet", []keyState{signing("b", 10), signing("a", 0)}, 9.99, 1},
		{"a public-only key never signs", []keyState{publicOnly, signing("a", 0)}, 6, 1},
		{"only pending keys: the one due first", []keyState{signing("c", 20), signing("b", 10)}, 5, 1},
		{"nothing can sign", []keyState{publicOnly}, 6, -1},
		{"empty set", nil, 6, -1},
	}
	for _, tc := range cases {
		if got := signingIndex(tc.keys, at(tc.now)); got != tc.want {
			t.Errorf("%s: index %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPlanRotation(t *testing.T) {
	publicOnly := keyState{kid: "pub", notBefore: at(-50)}
	cases := []struct {
		name       string
		keys       []keyState // newest first
		now        float64
		wantCreate bool
		wantNBF    float64 // hours, when a key is created
		wantRetire []string
	}{
		{"a young signing key: nothing to do", []keyState{signing("a", 0)}, 7.9, false, 0, nil},
		// I − P = 8h after a key started signing, its successor is due,
		// to sign exactly I after it.
		{"successor due", []keyState{signing("a", 0)}, 8, true, 10, nil},
		{"a late round still publishes P ahead", []keyState{signing("a", 0)}, 9.5, true, 11.5, nil},
		{"a successor is pending already", []keyState{signing("b", 10), signing("a", 0)}, 9, false, 0, nil},
		{"no key can sign: one that signs at once", []keyState{publicOnly}, 0, true, 0, nil},
		{"empty set", nil, 0, true, 0, nil},
		// a stopped signing at 10; kept until 10 + R = 13.
		{"retired key kept during retain_after", []keyState{signing("b", 10), signing("a", 0)}, 13, false, 0, nil},
		{"retired key deleted after retain_after", []keyState{signing("b", 10), signing("a", 0)}, 13.01, false, 0, []string{"a"}},
		{"older keys go too, public-only keys stay",
			[]keyState{signing("c", 20), signing("b", 10), publicOnly, signing("a", 0)}, 23.5, false, 0, []string{"b", "a"}},
		{"pending and signing keys are never deleted",
			[]keyState{signing("c", 40), signing("b", 30), signing("a", 0)}, 39, false, 0, []string{"a"}},
		{"a key overtaken by a newer one in the same instant",
			[]keyState{signing("b2", 10), signing("b1", 10), signing("a", 0)}, 13.5, false, 0, []string{"b1", "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			p := planRotation(tc.keys, testPolicy, now)
			if p.create != tc.wantCreate || (tc.wantCreate && !p.notBefore.Equal(at(tc.wantNBF))) {
				t.Errorf("create %v from %v, want %v from %v", p.create, p.notBefore, tc.wantCreate, at(tc.wantNBF))
			}
			if !slices.Equal(p.retire, tc.wantRetire) {
				t.Errorf("retire %v, want %v", p.retire, tc.wantRetire)
			}
			if want := now.Add(-8 * time.Hour); !p.cutoff.Equal(want) {
				t.Errorf("cutoff %v, want now − (I − P) = %v", p.cutoff, want)
			}
		})
	}
}

func TestSuccessorKeepsTheAlgorithm(t *testing.T) {
	now := at(1)
	for _, tc := range []struct {
		keys []keyState
		want string
	}{
		{[]keyState{signing("a", 0)}, "ES256"},
		{[]keyState{{kid: "ps", alg: "PS256", signs: true}}, "RS256"}, // imported; Signet cannot generate PS256
		{[]keyState{{kid: "ed", alg: "EdDSA", signs: true}}, "EdDSA"},
		{nil, "RS256"},
	} {
		if got := successorAlg(tc.keys, now); got != tc.want {
			t.Errorf("successor of %+v: %s, want %s", tc.keys, got, tc.want)
		}
	}
}

// fakeClock is a settable clock for app-less tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// rotatingManager is a Manager with testPolicy on store, read from clk.
func rotatingManager(t *testing.T, store Store, clk *fakeClock) *Manager {
	t.Helper()
	kr, err := secret.NewKeyring([]string{oldSecret}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := testPolicy
	m, err := NewManager(ManagerDeps{Store: store, Keyring: kr, Rand: rand.Reader, RSABits: 2048, Now: clk.Now, Rotation: &p})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// seedES256 gives both rotated sets an ES256 key (fast to generate, and
// rotation keeps the algorithm).
func seedES256(t *testing.T, m *Manager) {
	t.Helper()
	for _, set := range rotatedSets() {
		if _, err := m.Generate(context.Background(), set, "ES256", "sig", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRotationTimeline runs rounds every 15 minutes for ten intervals and
// checks what relying parties depend on, at every step: one key signs; a
// key is published at least publish_before before it signs; it stays
// published at least retain_after after it stops, and goes soon after; a
// token verifies exactly as long as its key is published.
func TestRotationTimeline(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: t0}
	store := newFakeStore()
	m := rotatingManager(t, store, clk)
	seedES256(t, m)

	const step = 15 * time.Minute
	type life struct{ published, firstSigned, lastSigned, gone time.Time }
	lives := map[string]*life{}
	var order []string
	tokens := map[string]string{} // the last token each key signed
	for now := t0; now.Before(at(100)); now = now.Add(step) {
		clk.Set(now)
		if err := m.Rotate(ctx); err != nil {
			t.Fatalf("%v: %v", now, err)
		}
		ks, err := m.PublicKeys(ctx, SetAccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if len(ks.Keys) > 3 {
			t.Fatalf("%v: %d keys published; retired keys pile up", now, len(ks.Keys))
		}
		published := map[string]bool{}
		for _, k := range ks.Keys {
			published[k.KeyID] = true
			if lives[k.KeyID] == nil {
				lives[k.KeyID] = &life{published: now}
				order = append(order, k.KeyID)
			}
		}
		for kid, l := range lives {
			if !published[kid] && l.gone.IsZero() {
				l.gone = now
			}
		}
		_, pub, err := m.Signer(ctx, SetAccessToken)
		if err != nil || !published[pub.KeyID] {
			t.Fatalf("%v: signer %q (%v) is not published", now, pub.KeyID, err)
		}
		l := lives[pub.KeyID]
		if l.firstSigned.IsZero() {
			l.firstSigned = now
		}
		l.lastSigned = now
		for kid, tok := range tokens {
			if verifies(t, tok, ks) != published[kid] {
				t.Fatalf("%v: a token of key %s verifies=%v, but its key is published=%v", now, kid, !published[kid], published[kid])
			}
		}
		tokens[pub.KeyID] = signWith(t, m)
	}

	gone := 0
	for _, l := range lives {
		if !l.gone.IsZero() {
			gone++
		}
	}
	if len(order) < 10 || gone < len(order)-2 {
		t.Fatalf("%d keys in 100h at a 10h interval, %d deleted", len(order), gone)
	}
	for i, kid := range order {
		l := lives[kid]
		if l.firstSigned.IsZero() {
			continue // the last successor, still pending
		}
		if i > 0 && l.firstSigned.Sub(l.published) < testPolicy.PublishBefore {
			t.Errorf("key %d signed %v after it was published, want at least %v", i, l.firstSigned.Sub(l.published), testPolicy.PublishBefore)
		}
		if i == 0 || l.gone.IsZero() {
			continue
		}
		// It signed for one interval (give or take a round).
		if d := l.lastSigned.Add(step).Sub(l.firstSigned); d != testPolicy.Interval {
			t.Errorf("key %d signed for %v, want %v", i, d, testPolicy.Interval)
		}
		kept := l.gone.Sub(l.lastSigned.Add(step))
		if kept < testPolicy.RetainAfter || kept > testPolicy.RetainAfter+step {
			t.Errorf("key %d was published %v after it stopped signing, want %v to %v", i, kept, testPolicy.RetainAfter, testPolicy.RetainAfter+step)
		}
	}
}

// signWith signs a payload with the access-token set's signer.
func signWith(t *testing.T, m *Manager) string {
	t.Helper()
	s, _, err := m.Signer(context.Background(), SetAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(`{"sub":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// verifies checks raw against the published keys, as a relying party does.
func verifies(t *testing.T, raw string, ks jose.JSONWebKeySet) bool {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks.Key(jws.Signatures[0].Header.KeyID) {
		if _, err := jws.Verify(k); err == nil {
			return true
		}
	}
	return false
}

// TestConcurrentRotationCreatesOneKey: instances whose rounds coincide
// (here eight managers on one store, released together) create one
// successor per set and delete each retired key once, without error.
func TestConcurrentRotationCreatesOneKey(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: t0}
	store := newFakeStore()
	managers := make([]*Manager, 8)
	for i := range managers {
		managers[i] = rotatingManager(t, store, clk)
	}
	seedES256(t, managers[0])
	for _, round := range []float64{8.5, 14} { // successor due (signs from 10.5); then the old key retired
		clk.Set(at(round))
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(managers))
		for i, m := range managers {
			wg.Go(func() { <-start; errs[i] = m.Rotate(ctx) })
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round at %vh: %v", round, err)
			}
		}
		for _, set := range rotatedSets() {
			if n := len(store.records(set)); n != map[float64]int{8.5: 2, 14: 1}[round] {
				t.Errorf("round at %vh: set %s holds %d keys", round, set, n)
			}
		}
	}
}

// TestRotationSparesUnrelatedSets: only the two token sets rotate.
func TestRotationSparesUnrelatedSets(t *testing.T) {
	clk := &fakeClock{now: t0}
	store := newFakeStore()
	m := rotatingManager(t, store, clk)
	seedES256(t, m)
	if _, err := m.Generate(context.Background(), "operator.set", "ES256", "sig", "mine"); err != nil {
		t.Fatal(err)
	}
	clk.Set(at(30))
	if err := m.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if recs := store.records("operator.set"); len(recs) != 1 || recs[0].KID != "mine" {
		t.Errorf("operator.set holds %v", recs)
	}
}

// TestSignerFallsBackToThePendingKey: an operator deleted the signing key
// while its successor was pending; the pending key signs at once rather
// than the set going silent.
func TestSignerFallsBackToThePendingKey(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: t0}
	m := rotatingManager(t, newFakeStore(), clk)
	seedES256(t, m)
	_, first, _ := m.Signer(ctx, SetAccessToken)
	clk.Set(at(9))
	if err := m.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, pub, _ := m.Signer(ctx, SetAccessToken); pub.KeyID != first.KeyID {
		t.Fatalf("the pending key signs before its time")
	}
	if err := m.Delete(ctx, SetAccessToken, first.KeyID); err != nil {
		t.Fatalf("deleting the signing key while a successor is pending: %v", err)
	}
	if _, pub, err := m.Signer(ctx, SetAccessToken); err != nil || pub.KeyID == first.KeyID {
		t.Errorf("after deleting the signing key: %q, %v; want the pending key", pub.KeyID, err)
	}
}

func TestRotationPolicyRefused(t *testing.T) {
	kr, err := secret.NewKeyring([]string{oldSecret}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []RotationPolicy{
		{Interval: 0, PublishBefore: 0, RetainAfter: time.Hour},
		{Interval: time.Hour, PublishBefore: time.Hour, RetainAfter: time.Hour},
		{Interval: time.Hour, PublishBefore: -time.Minute, RetainAfter: time.Hour},
		{Interval: time.Hour, PublishBefore: time.Minute, RetainAfter: -time.Hour},
	} {
		_, err := NewManager(ManagerDeps{Store: newFakeStore(), Keyring: kr, Rand: rand.Reader, Now: time.Now, Rotation: &p})
		if err == nil || !strings.Contains(err.Error(), "rotation") {
			t.Errorf("policy %+v accepted (%v)", p, err)
		}
	}
	m := newManager(t, newFakeStore())
	if err := m.Rotate(context.Background()); err == nil {
		t.Error("Rotate without a policy succeeded")
	}
}
