package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/token"
)

func digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func newAccess(raw, clientID string) *token.AccessRecord {
	return &token.AccessRecord{Digest: digest(raw), ClientID: clientID, Subject: "user-ü",
		Scopes: []string{"openid", "offline"}, Audience: []string{}, GrantType: "authorization_code",
		Strategy: "opaque", IssuedAt: baseTime(), ExpiresAt: baseTime().Add(time.Hour),
		Ext: json.RawMessage(`{"tenant":"'; --"}`), RequestID: "req-1"}
}

func mustClient(t *testing.T, s *sqlstore.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.CreateClient(ctx(t), newClient(id)); err != nil {
			t.Fatal(err)
		}
	}
}

func sameAccess(t *testing.T, got, want *token.AccessRecord) {
	t.Helper()
	sameTime(t, "issued_at", got.IssuedAt, want.IssuedAt)
	sameTime(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
	if (got.RevokedAt == nil) != (want.RevokedAt == nil) {
		t.Fatalf("revoked_at = %v, want %v", got.RevokedAt, want.RevokedAt)
	}
	if want.RevokedAt != nil {
		sameTime(t, "revoked_at", *got.RevokedAt, *want.RevokedAt)
	}
	g, w := *got, *want
	g.IssuedAt, g.ExpiresAt, g.RevokedAt = time.Time{}, time.Time{}, nil
	w.IssuedAt, w.ExpiresAt, w.RevokedAt = time.Time{}, time.Time{}, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("access record changed in storage:\n got %+v\nwant %+v", g, w)
	}
}

func testAccessRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "c1")
	full := newAccess("t1", "c1")
	bare := newAccess("t2", "c1")
	bare.Subject, bare.Scopes, bare.Audience, bare.Ext = "", nil, []string{"https://api"}, nil
	revoked := newAccess("t3", "c1")
	at := baseTime().Add(time.Minute)
	revoked.RevokedAt = &at
	for _, a := range []*token.AccessRecord{full, bare, revoked} {
		if err := s.CreateAccess(c, a); err != nil {
			t.Fatalf("create: %v", err)
		}
		got, err := s.GetAccess(c, a.Digest)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		sameAccess(t, got, a)
	}
	if err := s.CreateAccess(c, newAccess("t1", "c1")); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate digest: err = %v, want ErrConflict", err)
	}
	if err := s.CreateAccess(c, newAccess("t9", "no-such-client")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown client: err = %v, want ErrNotFound", err)
	}
	notFound(t, "unknown digest", errOnly(s.GetAccess(c, digest("never issued"))))
	notFound(t, "empty digest", errOnly(s.GetAccess(c, nil)))
}

func testAccessRevoke(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "owner", "other")
	a := newAccess("tok", "owner")
	if err := s.CreateAccess(c, a); err != nil {
		t.Fatal(err)
	}
	first, later := baseTime().Add(time.Minute), baseTime().Add(time.Hour)
	notFound(t, "revoke by another client", s.RevokeAccess(c, a.Digest, "other", first))
	notFound(t, "revoke unknown token", s.RevokeAccess(c, digest("nope"), "owner", first))
	if got, _ := s.GetAccess(c, a.Digest); got == nil || got.RevokedAt != nil {
		t.Fatalf("another client's revocation took effect: %+v", got)
	}
	if err := s.RevokeAccess(c, a.Digest, "owner", first); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAccess(c, a.Digest, "owner", later); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	got, err := s.GetAccess(c, a.Digest)
	if err != nil || got.RevokedAt == nil {
		t.Fatalf("after revoke: %+v, %v", got, err)
	}
	sameTime(t, "revoked_at keeps the first revocation", *got.RevokedAt, first)
}

func testAccessRevokeByClient(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "a", "b")
	early := baseTime().Add(time.Second)
	pre := newAccess("a-revoked", "a")
	pre.RevokedAt = &early
	recs := []*token.AccessRecord{newAccess("a1", "a"), newAccess("a2", "a"), pre, newAccess("b1", "b")}
	for _, r := range recs {
		if err := s.CreateAccess(c, r); err != nil {
			t.Fatal(err)
		}
	}
	at := baseTime().Add(time.Hour)
	if err := s.RevokeByClient(c, "a", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeByClient(c, "nobody", at); err != nil {
		t.Errorf("client without tokens: %v", err)
	}
	wantRevoked := map[string]*time.Time{"a1": &at, "a2": &at, "a-revoked": &early, "b1": nil}
	for raw, want := range wantRevoked {
		got, err := s.GetAccess(c, digest(raw))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want == nil && got.RevokedAt != nil:
			t.Errorf("%s: revoked, belongs to another client", raw)
		case want != nil && got.RevokedAt == nil:
			t.Errorf("%s: still live", raw)
		case want != nil:
			sameTime(t, raw+" revoked_at", *got.RevokedAt, *want)
		}
	}
}

func testDeleteClientCascades(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "gone", "stays")
	for _, r := range []*token.AccessRecord{newAccess("g1", "gone"), newAccess("g2", "gone"), newAccess("s1", "stays")} {
		if err := s.CreateAccess(c, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteClient(c, "gone"); err != nil {
		t.Fatal(err)
	}
	notFound(t, "token of deleted client", errOnly(s.GetAccess(c, digest("g1"))))
	notFound(t, "token of deleted client", errOnly(s.GetAccess(c, digest("g2"))))
	if got, err := s.GetAccess(c, digest("s1")); err != nil || !bytes.Equal(got.Digest, digest("s1")) {
		t.Errorf("other client's token: %v", err)
	}
	// A client recreated with the same id starts without tokens.
	mustClient(t, s, "gone")
	notFound(t, "token after recreate", errOnly(s.GetAccess(c, digest("g1"))))
}

// testQueryBudgets pins the round trips of the hot paths that end-to-end
// tests and the benchmark rely on.
func testQueryBudgets(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "budget")
	a := newAccess("hot", "budget")
	budgets := []struct {
		name string
		fn   func() error
	}{
		{"GetClient", func() error { return errOnly(s.GetClient(c, "budget")) }},
		{"CreateAccess", func() error { return s.CreateAccess(c, a) }},
		{"GetAccess", func() error { return errOnly(s.GetAccess(c, a.Digest)) }},
		{"GetAccess miss", func() error { _, _ = s.GetAccess(c, digest("miss")); return nil }},
	}
	for _, b := range budgets {
		s.ResetStats()
		if err := b.fn(); err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if st := s.Stats(); st.Queries != 1 || st.Transactions != 0 {
			t.Errorf("%s: %+v, want exactly 1 query and no transaction", b.name, st)
		}
	}
}
