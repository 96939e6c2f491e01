package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// Verifiers and login sessions (flow.Store, issue 3).

func testVerifierSingleUse(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	exp := baseTime().Add(10 * time.Minute)
	s.ResetStats()
	if err := s.UseVerifier(c, "login_verifier:flow-1", exp); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if st := s.Stats(); st.Queries != 1 || st.Transactions != 0 {
		t.Errorf("UseVerifier: %+v, want one write", st)
	}
	if err := s.UseVerifier(c, "login_verifier:flow-1", exp); !errors.Is(err, storage.ErrAlreadyUsed) {
		t.Errorf("second use: err = %v, want ErrAlreadyUsed", err)
	}
	// The purpose is part of the key: the consent verifier of the same flow is another verifier.
	if err := s.UseVerifier(c, "consent_verifier:flow-1", exp); err != nil {
		t.Errorf("other purpose: %v", err)
	}
	for _, v := range trickyStrings() {
		key := idFor(v.value)
		if err := s.UseVerifier(c, key, exp); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
		if err := s.UseVerifier(c, key, exp); !errors.Is(err, storage.ErrAlreadyUsed) {
			t.Errorf("%s replayed: err = %v, want ErrAlreadyUsed", v.name, err)
		}
	}
	if err := s.UseVerifier(c, strings.Repeat("k", 256), exp); !errors.Is(err, storage.ErrInvalidValue) {
		t.Errorf("256-byte key: err = %v, want ErrInvalidValue", err)
	}
}

func newLogin(id, subject string) *flow.LoginSession {
	return &flow.LoginSession{ID: id, Subject: subject, AuthenticatedAt: baseTime(), Remember: true,
		ExpiresAt: baseTime().Add(24 * time.Hour), IdentityProviderSessionID: "idp-'; --"}
}

func sameLogin(t *testing.T, got, want *flow.LoginSession) {
	t.Helper()
	sameTime(t, "authenticated_at", got.AuthenticatedAt, want.AuthenticatedAt)
	if want.ExpiresAt.IsZero() != got.ExpiresAt.IsZero() {
		t.Errorf("expires_at = %v, want %v", got.ExpiresAt, want.ExpiresAt)
	} else if !want.ExpiresAt.IsZero() {
		sameTime(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
	}
	g, w := *got, *want
	g.AuthenticatedAt, g.ExpiresAt, w.AuthenticatedAt, w.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("login session changed in storage:\n got %+v\nwant %+v", g, w)
	}
}

func testLoginSessions(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	a := newLogin("sid-a", "alice")
	bare := newLogin("sid-bare", "alice")
	bare.Remember, bare.ExpiresAt, bare.IdentityProviderSessionID = false, time.Time{}, ""
	for _, ls := range []*flow.LoginSession{a, bare, newLogin("sid-b", "bob"), newLogin("sid-long", strings.Repeat("ж", 5000))} {
		if err := s.SaveLoginSession(c, ls); err != nil {
			t.Fatalf("save %s: %v", ls.ID, err)
		}
		got, err := s.GetLoginSession(c, ls.ID)
		if err != nil {
			t.Fatalf("get %s: %v", ls.ID, err)
		}
		sameLogin(t, got, ls)
	}
	// Saving again replaces (extend_session_lifespan, a new authentication).
	a2 := *a
	a2.AuthenticatedAt, a2.ExpiresAt, a2.Remember = baseTime().Add(time.Hour), baseTime().Add(48*time.Hour), false
	if err := s.SaveLoginSession(c, &a2); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	if got, err := s.GetLoginSession(c, "sid-a"); err != nil {
		t.Fatal(err)
	} else {
		sameLogin(t, got, &a2)
	}
	notFound(t, "unknown session", errOnly(s.GetLoginSession(c, "sid-none")))
	notFound(t, "over-long id", errOnly(s.GetLoginSession(c, strings.Repeat("s", 300))))
	if err := s.SaveLoginSession(c, newLogin(strings.Repeat("s", 256), "x")); !errors.Is(err, storage.ErrInvalidValue) {
		t.Errorf("256-byte id: err = %v, want ErrInvalidValue", err)
	}
	testEndLoginSessions(t, s, c)
}

func testEndLoginSessions(t *testing.T, s *sqlstore.Store, c context.Context) {
	t.Helper()
	ended, err := s.EndLoginSessions(c, flow.SessionSelector{ID: "sid-b"})
	if err != nil || len(ended) != 1 || ended[0].ID != "sid-b" || ended[0].Subject != "bob" {
		t.Fatalf("end by id: %+v, %v", ended, err)
	}
	notFound(t, "ended session", errOnly(s.GetLoginSession(c, "sid-b")))
	ended, err = s.EndLoginSessions(c, flow.SessionSelector{Subject: "alice"})
	ids := []string{}
	for _, e := range ended {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	if err != nil || !reflect.DeepEqual(ids, []string{"sid-a", "sid-bare"}) {
		t.Fatalf("end by subject: %q, %v; want alice's two sessions", ids, err)
	}
	if _, err := s.GetLoginSession(c, "sid-long"); err != nil {
		t.Errorf("another subject's session was ended: %v", err)
	}
	for _, sel := range []flow.SessionSelector{{Subject: "alice"}, {ID: "sid-none"}, {ID: "\xff"}, {Subject: "a\x00"}} {
		if ended, err := s.EndLoginSessions(c, sel); err != nil || len(ended) != 0 {
			t.Errorf("end %+q: %+v, %v; want nothing ended and no error", sel, ended, err)
		}
	}
	for _, sel := range []flow.SessionSelector{{}, {Subject: "alice", ID: "sid-a"}} {
		if _, err := s.EndLoginSessions(c, sel); err == nil {
			t.Errorf("end %+v: no error for a selector that is not exactly one field", sel)
		}
	}
}
