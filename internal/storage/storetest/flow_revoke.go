package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// Consent revocation, client deletion and unstorable values for the flow
// tables (issue 3).

func testRevokeConsents(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app", "other")
	for _, cs := range []struct{ id, subject, client string }{
		{"alice-app", "alice", "app"}, {"alice-app-2", "alice", "app"},
		{"alice-other", "alice", "other"}, {"bob-app", "bob", "app"},
	} {
		if err := s.SaveConsent(c, newConsent(cs.id, cs.subject, cs.client, 0)); err != nil {
			t.Fatal(err)
		}
		seedFamily(t, s, cs.client, cs.id)
	}
	at := baseTime().Add(time.Hour)
	s.ResetStats()
	if err := s.RevokeConsents(c, "alice", "app", at); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Queries != 5 || st.Transactions != 1 {
		t.Errorf("RevokeConsents: %+v, want 5 statements (select, 3 revokes, delete) in 1 transaction", st)
	}
	all := [3]bool{true, true, true}
	for id, want := range map[string][3]bool{"alice-app": all, "alice-app-2": all, "alice-other": {}, "bob-app": {}} {
		if got := familyRevoked(t, s, id); got != want {
			t.Errorf("%s: access, refresh, code revoked = %v, want %v", id, got, want)
		}
	}
	if ids := listConsentIDs(t, s, "alice", "", 0); strings.Join(ids, ",") != "alice-other" {
		t.Errorf("alice's consents after revoking app: %q", ids)
	}
	// Every client, and revoking nothing, and values no row can hold.
	if err := s.RevokeConsents(c, "alice", "", at); err != nil {
		t.Fatal(err)
	}
	if ids := listConsentIDs(t, s, "alice", "", 0); len(ids) != 0 {
		t.Errorf("alice's consents after revoking all: %q", ids)
	}
	if ids := listConsentIDs(t, s, "bob", "", 0); len(ids) != 1 {
		t.Errorf("bob's consents: %q", ids)
	}
	for _, args := range [][2]string{{"nobody", ""}, {"alice", "app"}, {"\xff", ""}, {"bob", "a\x00"}} {
		if err := s.RevokeConsents(c, args[0], args[1], at); err != nil {
			t.Errorf("revoke %q: %v, want nil", args, err)
		}
	}
}

func testFlowDeleteClientCascades(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "gone", "stays")
	for _, id := range []string{"gone", "stays"} {
		if err := s.SaveConsent(c, newConsent("consent-"+id, "alice", id, 0)); err != nil {
			t.Fatal(err)
		}
		seedFamily(t, s, id, "fam-"+id)
	}
	if err := s.DeleteClient(c, "gone"); err != nil {
		t.Fatal(err)
	}
	notFound(t, "code of deleted client", errOnly(s.ConsumeCode(c, digest("fam-gone-code"), baseTime())))
	notFound(t, "refresh of deleted client", errOnly(s.GetRefresh(c, digest("fam-gone-rt"))))
	if ids := listConsentIDs(t, s, "alice", "", 0); strings.Join(ids, ",") != "consent-stays" {
		t.Errorf("consents after deleting a client: %q", ids)
	}
	if got := familyRevoked(t, s, "fam-stays"); got != [3]bool{} {
		t.Errorf("other client's family: %v", got)
	}
}

// testFlowUnstorable: lookups with unstorable text find nothing, writes
// are refused with ErrInvalidValue and store nothing.
func testFlowUnstorable(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	now := baseTime()
	for _, v := range append(unstorableStrings(), struct{ name, value string }{"256 bytes", strings.Repeat("i", 256)}) {
		t.Run(v.name, func(t *testing.T) {
			x := v.value
			notFound(t, "GetLoginSession", errOnly(s.GetLoginSession(c, x)))
			notFound(t, "FindRememberedConsent client", errOnly(s.FindRememberedConsent(c, "alice", x, now)))
			notFound(t, "RevokeRefresh", s.RevokeRefresh(c, digest("x"), x, now))
			if page, res, err := s.ListConsents(c, "alice", x, storage.Page{}); err != nil || len(page) != 0 || res.Next != "" {
				t.Errorf("ListConsents: %d, %q, %v; want an empty page", len(page), res.Next, err)
			}
			cons := newConsent(x, "alice", "app", 0)
			sess := newLogin(x, "alice")
			code := newCode("c-"+x, "app", x)
			rt := newRefresh("r-"+x, "app", x)
			for what, err := range map[string]error{
				"UseVerifier":              s.UseVerifier(c, x, now),
				"SaveLoginSession id":      s.SaveLoginSession(c, sess),
				"SaveConsent id":           s.SaveConsent(c, cons),
				"CreateCode request_id":    s.CreateCode(c, code),
				"CreateRefresh request_id": s.CreateRefresh(c, rt),
				"RotateRefresh next":       s.RotateRefresh(c, digest("none"), now, noGrace, rt, nil),
			} {
				if !errors.Is(err, storage.ErrInvalidValue) {
					t.Errorf("%s: err = %v, want ErrInvalidValue", what, err)
				}
			}
			if len(x) > 255 {
				return // long text that is not an identifier is storable
			}
			notFound(t, "FindRememberedConsent subject", errOnly(s.FindRememberedConsent(c, x, "app", now)))
			for what, err := range map[string]error{
				"SaveLoginSession subject": s.SaveLoginSession(c, newLogin("sid", x)),
				"SaveConsent subject":      s.SaveConsent(c, newConsent("cs", x, "app", 0)),
				"CreateCode redirect_uri":  s.CreateCode(c, withRedirect(newCode("c2", "app", "r"), x)),
				"CreateRefresh subject":    s.CreateRefresh(c, withSubject(newRefresh("r2", "app", "r"), x)),
			} {
				if !errors.Is(err, storage.ErrInvalidValue) {
					t.Errorf("%s: err = %v, want ErrInvalidValue", what, err)
				}
			}
		})
	}
	if page, _, err := s.ListConsents(c, "alice", "", storage.Page{}); err != nil || len(page) != 0 {
		t.Errorf("refused writes stored consents: %d, %v", len(page), err)
	}
}
