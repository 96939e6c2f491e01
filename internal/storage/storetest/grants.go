package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/token"
)

// Authorization codes, refresh tokens and families (token.FlowStore, issue 3).

func newCode(raw, clientID, requestID string) *token.CodeRecord {
	return &token.CodeRecord{Digest: digest(raw), ClientID: clientID, RequestID: requestID,
		RedirectURI: "http://127.0.0.1:8080/cb?x='; --", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256", Subject: "user-ü", Scopes: []string{"openid"}, Audience: []string{},
		Session: json.RawMessage(`{"nonce":"n","auth_time":1}`), IssuedAt: baseTime(), ExpiresAt: baseTime().Add(10 * time.Minute)}
}

func newRefresh(raw, clientID, requestID string) *token.RefreshRecord {
	return &token.RefreshRecord{Digest: digest(raw), ClientID: clientID, RequestID: requestID, Subject: "user-ü",
		Scopes: []string{"openid", "offline"}, Audience: []string{"https://api"},
		Session: json.RawMessage(`{"sid":"s"}`), IssuedAt: baseTime(), ExpiresAt: baseTime().Add(720 * time.Hour)}
}

// sameRecord compares two records after checking and clearing their time
// fields (passed as pointers into copies).
func sameRecord(t *testing.T, what string, got, want any, times ...[2]*time.Time) {
	t.Helper()
	for _, p := range times {
		sameTime(t, what+" time", *p[0], *p[1])
		*p[0], *p[1] = time.Time{}, time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s changed in storage:\n got %+v\nwant %+v", what, got, want)
	}
}

func testCodeConsume(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	in := newCode("code-1", "app", "req-1")
	if err := s.CreateCode(c, in); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCode(c, newCode("code-1", "app", "req-2")); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate digest: err = %v, want ErrConflict", err)
	}
	notFound(t, "unknown client", s.CreateCode(c, newCode("code-2", "no-such-client", "req-2")))
	now := baseTime().Add(time.Minute)
	s.ResetStats()
	got, err := s.ConsumeCode(c, in.Digest, now)
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	if st := s.Stats(); st.Queries != 2 || st.Transactions != 0 {
		t.Errorf("ConsumeCode: %+v, want 2 queries and no transaction", st)
	}
	if got.UsedAt == nil {
		t.Fatal("consumed code has no used_at")
	}
	sameTime(t, "used_at", *got.UsedAt, now)
	g, w := *got, *in
	g.UsedAt = nil
	sameRecord(t, "code", &g, &w, [2]*time.Time{&g.IssuedAt, &w.IssuedAt}, [2]*time.Time{&g.ExpiresAt, &w.ExpiresAt})
	// A replay gets the record too, so the caller can revoke what the code issued.
	again, err := s.ConsumeCode(c, in.Digest, now.Add(time.Minute))
	if !errors.Is(err, storage.ErrAlreadyUsed) || again == nil || again.RequestID != "req-1" {
		t.Fatalf("replay: %+v, %v; want the record and ErrAlreadyUsed", again, err)
	}
	sameTime(t, "used_at keeps the first use", *again.UsedAt, now)
	rec, err := s.ConsumeCode(c, digest("never issued"), now)
	if rec != nil || !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown code: %+v, %v; want ErrNotFound", rec, err)
	}
}

func testRefreshRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app", "other")
	in := newRefresh("rt-1", "app", "req-1")
	bare := newRefresh("rt-bare", "app", "req-1")
	bare.Scopes, bare.Session = nil, nil
	for _, r := range []*token.RefreshRecord{in, bare} {
		if err := s.CreateRefresh(c, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRefresh(c, r.Digest)
		if err != nil {
			t.Fatal(err)
		}
		g, w := *got, *r
		sameRecord(t, "refresh", &g, &w, [2]*time.Time{&g.IssuedAt, &w.IssuedAt}, [2]*time.Time{&g.ExpiresAt, &w.ExpiresAt})
	}
	if err := s.CreateRefresh(c, in); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate: err = %v, want ErrConflict", err)
	}
	notFound(t, "unknown client", s.CreateRefresh(c, newRefresh("rt-2", "nope", "r")))
	notFound(t, "unknown digest", errOnly(s.GetRefresh(c, digest("nope"))))
	at, later := baseTime().Add(time.Minute), baseTime().Add(time.Hour)
	notFound(t, "revoke by another client", s.RevokeRefresh(c, in.Digest, "other", at))
	notFound(t, "revoke unknown", s.RevokeRefresh(c, digest("nope"), "app", at))
	if err := s.RevokeRefresh(c, in.Digest, "app", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRefresh(c, in.Digest, "app", later); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	got, _ := s.GetRefresh(c, in.Digest)
	if got == nil || got.RevokedAt == nil {
		t.Fatalf("after revoke: %+v", got)
	}
	sameTime(t, "revoked_at keeps the first revocation", *got.RevokedAt, at)
}

// rotate rotates old into next (with its access token) at now.
func rotate(t *testing.T, s *sqlstore.Store, old, next string, now time.Time, g token.Grace) error {
	t.Helper()
	return s.RotateRefresh(ctx(t), digest(old), now, g, newRefresh(next, "app", "fam"), newAccess("at-"+next, "app"))
}

func testRefreshRotate(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	if err := s.CreateRefresh(c, newRefresh("r0", "app", "fam")); err != nil {
		t.Fatal(err)
	}
	now := baseTime().Add(time.Hour)
	s.ResetStats()
	if err := rotate(t, s, "r0", "r1", now, token.Grace{}); err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	if st := s.Stats(); st.Queries != 3 || st.Transactions != 1 {
		t.Errorf("RotateRefresh: %+v, want 3 statements in 1 transaction", st)
	}
	old, err := s.GetRefresh(c, digest("r0"))
	if err != nil || old.UsedAt == nil || old.UseCount != 1 {
		t.Fatalf("old after rotation: %+v, %v", old, err)
	}
	sameTime(t, "used_at", *old.UsedAt, now)
	if _, err := s.GetRefresh(c, digest("r1")); err != nil {
		t.Errorf("next not stored: %v", err)
	}
	if _, err := s.GetAccess(c, digest("at-r1")); err != nil {
		t.Errorf("access token not stored: %v", err)
	}
	// Reuse without grace: refused, and nothing of the attempt is stored.
	if err := rotate(t, s, "r0", "r1b", now, token.Grace{}); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("reuse: err = %v, want ErrAlreadyUsed", err)
	}
	notFound(t, "next of a refused rotation", errOnly(s.GetRefresh(c, digest("r1b"))))
	notFound(t, "access of a refused rotation", errOnly(s.GetAccess(c, digest("at-r1b"))))
	notFound(t, "rotate unknown", rotate(t, s, "never", "x", now, token.Grace{}))
	// A revoked token cannot rotate, grace or not.
	if err := s.RevokeRefresh(c, digest("r1"), "app", now); err != nil {
		t.Fatal(err)
	}
	if err := rotate(t, s, "r1", "r2", now, token.Grace{Period: time.Hour}); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("revoked: err = %v, want ErrAlreadyUsed", err)
	}
	// A next token whose digest exists fails the whole rotation.
	if err := s.CreateRefresh(c, newRefresh("r5", "app", "fam")); err != nil {
		t.Fatal(err)
	}
	if err := rotate(t, s, "r5", "r0", now, token.Grace{}); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("next collides: err = %v, want ErrConflict", err)
	}
	if got, _ := s.GetRefresh(c, digest("r5")); got == nil || got.UsedAt != nil {
		t.Errorf("failed rotation left the old token used: %+v", got)
	}
}

func testRefreshGrace(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	if err := s.CreateRefresh(c, newRefresh("g0", "app", "fam")); err != nil {
		t.Fatal(err)
	}
	first := baseTime().Add(time.Hour)
	g := token.Grace{Period: 10 * time.Second, ReuseCount: 2}
	steps := []struct {
		next string
		at   time.Duration
		want error
	}{
		{"g1", 0, nil},
		{"g2", 5 * time.Second, nil},                     // reuse 1 of 2
		{"g3", 10 * time.Second, nil},                    // reuse 2 of 2, at the edge of the period
		{"g4", 10 * time.Second, storage.ErrAlreadyUsed}, // count exhausted
	}
	for _, st := range steps {
		if err := rotate(t, s, "g0", st.next, first.Add(st.at), g); !errors.Is(err, st.want) {
			t.Errorf("%s: err = %v, want %v", st.next, err, st.want)
		}
	}
	old, _ := s.GetRefresh(c, digest("g0"))
	if old == nil || old.UseCount != 3 {
		t.Errorf("use_count = %+v, want 3", old)
	}
	sameTime(t, "used_at stays the first use", *old.UsedAt, first)
	// Unlimited reuse within the period, none after it.
	if err := s.CreateRefresh(c, newRefresh("u0", "app", "fam")); err != nil {
		t.Fatal(err)
	}
	unl := token.Grace{Period: 10 * time.Second}
	for i, next := range []string{"u1", "u2", "u3", "u4"} {
		if err := rotate(t, s, "u0", next, first.Add(time.Duration(i)*time.Second), unl); err != nil {
			t.Errorf("%s: %v", next, err)
		}
	}
	if err := rotate(t, s, "u0", "u5", first.Add(10*time.Second+time.Microsecond), unl); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("after the period: err = %v, want ErrAlreadyUsed", err)
	}
}

// seedFamily stores a code, an access token and a refresh token of one
// request id for clientID; raw names are prefixed with the request id.
func seedFamily(t *testing.T, s *sqlstore.Store, clientID, requestID string) {
	t.Helper()
	c := ctx(t)
	a := newAccess(requestID+"-at", clientID)
	a.RequestID = requestID
	if err := s.CreateAccess(c, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRefresh(c, newRefresh(requestID+"-rt", clientID, requestID)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCode(c, newCode(requestID+"-code", clientID, requestID)); err != nil {
		t.Fatal(err)
	}
}

// familyRevoked reports whether each part of the family is revoked (the
// code: used).
func familyRevoked(t *testing.T, s *sqlstore.Store, requestID string) [3]bool {
	t.Helper()
	c := ctx(t)
	a, err1 := s.GetAccess(c, digest(requestID+"-at"))
	r, err2 := s.GetRefresh(c, digest(requestID+"-rt"))
	if err1 != nil || err2 != nil {
		t.Fatalf("family %s: %v, %v", requestID, err1, err2)
	}
	code, err := s.ConsumeCode(c, digest(requestID+"-code"), baseTime().Add(48*time.Hour))
	codeUsed := errors.Is(err, storage.ErrAlreadyUsed)
	if err != nil && !codeUsed {
		t.Fatalf("family %s code: %v", requestID, err)
	}
	if codeUsed {
		sameTime(t, "code used_at", *code.UsedAt, baseTime().Add(time.Hour))
	}
	return [3]bool{a.RevokedAt != nil, r.RevokedAt != nil, codeUsed}
}

func testRevokeFamily(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	seedFamily(t, s, "app", "fam-a")
	seedFamily(t, s, "app", "fam-b")
	s.ResetStats()
	if err := s.RevokeFamily(c, "fam-a", baseTime().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Queries != 3 || st.Transactions != 1 {
		t.Errorf("RevokeFamily: %+v, want 3 statements in 1 transaction", st)
	}
	if got := familyRevoked(t, s, "fam-a"); got != [3]bool{true, true, true} {
		t.Errorf("revoked family: access, refresh, code = %v", got)
	}
	if got := familyRevoked(t, s, "fam-b"); got != [3]bool{} {
		t.Errorf("other family touched: %v", got)
	}
	for _, id := range []string{"no-such-family", "\xff", string(make([]byte, 300))} {
		if err := s.RevokeFamily(c, id, baseTime()); err != nil {
			t.Errorf("revoke %q: %v, want nil (nothing to revoke)", id, err)
		}
	}
}

var noGrace token.Grace

func withRedirect(c *token.CodeRecord, uri string) *token.CodeRecord { c.RedirectURI = uri; return c }

func withSubject(r *token.RefreshRecord, sub string) *token.RefreshRecord { r.Subject = sub; return r }
