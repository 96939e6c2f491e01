package storetest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// Consent sessions (flow.Store, issue 3).

func newConsent(id, subject, clientID string, handled time.Duration) *flow.ConsentSession {
	return &flow.ConsentSession{ID: id, Subject: subject, ClientID: clientID, LoginSessionID: "sid-1",
		GrantedScopes: []string{"openid", "offline"}, GrantedAudience: []string{},
		Remember: true, Session: json.RawMessage(`{"access_token":{"x":"'; --"},"id_token":{"name":"Zoë"}}`),
		Context: json.RawMessage(`{"k":1}`), RequestedAt: baseTime(), HandledAt: baseTime().Add(handled)}
}

func sameConsent(t *testing.T, got, want *flow.ConsentSession) {
	t.Helper()
	sameTime(t, "requested_at", got.RequestedAt, want.RequestedAt)
	sameTime(t, "handled_at", got.HandledAt, want.HandledAt)
	if (got.RememberUntil == nil) != (want.RememberUntil == nil) {
		t.Fatalf("remember_until = %v, want %v", got.RememberUntil, want.RememberUntil)
	}
	if want.RememberUntil != nil {
		sameTime(t, "remember_until", *got.RememberUntil, *want.RememberUntil)
	}
	g, w := *got, *want
	g.RequestedAt, g.HandledAt, g.RememberUntil = time.Time{}, time.Time{}, nil
	w.RequestedAt, w.HandledAt, w.RememberUntil = time.Time{}, time.Time{}, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("consent changed in storage:\n got %+v\nwant %+v", g, w)
	}
}

func testConsentSaveFind(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app", "other")
	now := baseTime().Add(time.Hour)
	until, past := now.Add(time.Minute), now.Add(-time.Microsecond)
	old := newConsent("c-old", "alice", "app", 0)
	newest := newConsent("c-new", "alice", "app", 2*time.Minute)
	newest.RememberUntil = &until
	forgotten := newConsent("c-forgotten", "alice", "app", 3*time.Minute)
	forgotten.Remember = false
	expired := newConsent("c-expired", "alice", "app", 4*time.Minute)
	expired.RememberUntil = &past
	bare := newConsent("c-bare", "alice", "other", 0)
	bare.LoginSessionID, bare.GrantedScopes, bare.GrantedAudience = "", nil, []string{"https://api"}
	bare.Session, bare.Context, bare.Remember = nil, nil, false
	for _, cs := range []*flow.ConsentSession{old, newest, forgotten, expired, bare} {
		if err := s.SaveConsent(c, cs); err != nil {
			t.Fatalf("save %s: %v", cs.ID, err)
		}
	}
	if err := s.SaveConsent(c, newConsent("c-old", "bob", "app", 0)); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate id: err = %v, want ErrConflict", err)
	}
	notFound(t, "unknown client", s.SaveConsent(c, newConsent("c-x", "alice", "no-such-client", 0)))
	got, err := s.FindRememberedConsent(c, "alice", "app", now)
	if err != nil {
		t.Fatal(err)
	}
	// Newer consents exist, but one is not remembered and one has expired.
	sameConsent(t, got, newest)
	// RememberUntil equal to now still counts; a moment later it does not.
	if got, err := s.FindRememberedConsent(c, "alice", "app", until); err != nil || got.ID != "c-new" {
		t.Errorf("at remember_until: %+v, %v; want c-new", got, err)
	}
	if got, err := s.FindRememberedConsent(c, "alice", "app", until.Add(time.Microsecond)); err != nil || got.ID != "c-old" {
		t.Errorf("after remember_until: %+v, %v; want c-old (no end)", got, err)
	}
	notFound(t, "not remembered", errOnly(s.FindRememberedConsent(c, "alice", "other", now)))
	notFound(t, "other subject", errOnly(s.FindRememberedConsent(c, "bob", "app", now)))
	list, _, err := s.ListConsents(c, "alice", "", storage.Page{})
	if err != nil || len(list) != 5 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	sameConsent(t, list[len(list)-1], bare) // nil JSON and scopes round-trip as nil
}

func testConsentGet(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	until := baseTime().Add(time.Hour)
	remembered := newConsent("c-1", "alice", "app", time.Second)
	remembered.RememberUntil = &until
	once := newConsent("c-2", "alice", "app", 2*time.Second)
	once.Remember, once.LoginSessionID, once.Session, once.Context = false, "", nil, nil
	for _, cs := range []*flow.ConsentSession{remembered, once} {
		if err := s.SaveConsent(c, cs); err != nil {
			t.Fatal(err)
		}
	}
	// Userinfo reads any consent that led to tokens, remembered or not.
	for _, want := range []*flow.ConsentSession{remembered, once} {
		got, err := s.GetConsent(c, want.ID)
		if err != nil {
			t.Fatalf("get %s: %v", want.ID, err)
		}
		sameConsent(t, got, want)
	}
	for _, id := range []string{"", "c-3", "C-1", "c-1\x00", "\xff", string(make([]byte, 300))} {
		notFound(t, "get "+strconv.Quote(id), errOnly(s.GetConsent(c, id)))
	}
	if err := s.RevokeConsents(c, "alice", "app", until); err != nil {
		t.Fatal(err)
	}
	notFound(t, "get revoked", errOnly(s.GetConsent(c, "c-1")))
	s.ResetStats()
	_, _ = s.GetConsent(c, "c-1")
	if st := s.Stats(); st.Queries != 1 {
		t.Errorf("GetConsent: %+v, want one query", st)
	}
}

func testConsentPagination(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	// Pairs share handled_at, so the id must break ties for a stable order.
	for i, id := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		cs := newConsent(id, "alice", "app", time.Duration(i/2)*time.Second)
		if i%3 == 0 {
			cs.LoginSessionID = "sid-2"
		}
		if err := s.SaveConsent(c, cs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveConsent(c, newConsent("bob-1", "bob", "app", time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Newest first; within one second, the greater id first.
	want := []string{"g", "f", "e", "d", "c", "b", "a"}
	for _, size := range []int{1, 2, 3, 7, 0} {
		if got := listConsentIDs(t, s, "alice", "", size); !slices.Equal(got, want) {
			t.Errorf("size %d: %q, want %q", size, got, want)
		}
	}
	if got := listConsentIDs(t, s, "alice", "sid-2", 1); !slices.Equal(got, []string{"g", "d", "a"}) {
		t.Errorf("login session filter: %q", got)
	}
	if got := listConsentIDs(t, s, "nobody", "", 2); len(got) != 0 {
		t.Errorf("unknown subject: %q", got)
	}
	for _, tok := range []string{"!!", "AAAA", base64.RawURLEncoding.EncodeToString(append(make([]byte, 8), 0xff)),
		base64.RawURLEncoding.EncodeToString(make([]byte, 8)), string(make([]byte, 600))} {
		if _, _, err := s.ListConsents(c, "alice", "", storage.Page{Token: tok}); !errors.Is(err, storage.ErrBadPageToken) {
			t.Errorf("token %q: err = %v, want ErrBadPageToken", tok, err)
		}
	}
	s.ResetStats()
	if _, _, err := s.ListConsents(c, "alice", "", storage.Page{Size: 2}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Queries != 1 {
		t.Errorf("ListConsents: %+v, want one query", st)
	}
}

func listConsentIDs(t *testing.T, s *sqlstore.Store, subject, sid string, size int) []string {
	t.Helper()
	var out []string
	p := storage.Page{Size: size}
	for range 100 {
		page, res, err := s.ListConsents(ctx(t), subject, sid, p)
		if err != nil {
			t.Fatal(err)
		}
		if size > 0 && len(page) > size {
			t.Fatalf("page of %d, asked for %d", len(page), size)
		}
		for _, cs := range page {
			if cs.Subject != subject {
				t.Errorf("listed %s of subject %q", cs.ID, cs.Subject)
			}
			out = append(out, cs.ID)
		}
		if res.Next == "" {
			return out
		}
		p.Token = res.Next
	}
	t.Fatal("pagination does not end")
	return nil
}
