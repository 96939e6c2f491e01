package flow

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// fakeSessionStore keeps consents newest first and records revocations and
// ended sessions; the other Store methods are left to the nil interface.
type fakeSessionStore struct {
	Store
	consents []*ConsentSession
	revoked  []string // "subject/client"
	ended    []SessionSelector
	sessions []LoginSession // what EndLoginSessions reports as ended
}

func (f *fakeSessionStore) ListConsents(_ context.Context, subject, sid string, p storage.Page) ([]*ConsentSession, storage.PageResult, error) {
	start := 0
	if p.Token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(p.Token, "at-"))
		if err != nil || !strings.HasPrefix(p.Token, "at-") {
			return nil, storage.PageResult{}, storage.ErrBadPageToken
		}
		start = n
	}
	var match []*ConsentSession
	for _, c := range f.consents {
		if c.Subject == subject && (sid == "" || c.LoginSessionID == sid) {
			match = append(match, c)
		}
	}
	match = match[min(start, len(match)):]
	var res storage.PageResult
	if len(match) > p.Size {
		match, res.Next = match[:p.Size], "at-"+strconv.Itoa(start+p.Size)
	}
	return match, res, nil
}

func (f *fakeSessionStore) RevokeConsents(_ context.Context, subject, clientID string, _ time.Time) error {
	f.revoked = append(f.revoked, subject+"/"+clientID)
	return nil
}

func (f *fakeSessionStore) EndLoginSessions(_ context.Context, sel SessionSelector) ([]LoginSession, error) {
	f.ended = append(f.ended, sel)
	var out []LoginSession
	for _, s := range f.sessions {
		if (sel.Subject != "" && s.Subject == sel.Subject) || (sel.ID != "" && s.ID == sel.ID) {
			out = append(out, s)
		}
	}
	return out, nil
}

// recordingNotifier records every SessionsEnded call.
type recordingNotifier struct{ calls [][]LoginSession }

func (n *recordingNotifier) SessionsEnded(_ context.Context, ended []LoginSession) {
	n.calls = append(n.calls, ended)
}

func newSessionsHarness() (*fakeSessionStore, http.Handler) {
	until := t0.Add(time.Hour)
	store := &fakeSessionStore{consents: []*ConsentSession{
		{ID: "c3", Subject: "alice", ClientID: testClientID, LoginSessionID: "sid-2",
			GrantedScopes: []string{"openid"}, Remember: true, RememberUntil: &until,
			Session: json.RawMessage(`{"access_token":{"role":"admin"},"id_token":{"name":"Zoë"}}`),
			Context: json.RawMessage(`{"k":1}`), HandledAt: t0},
		{ID: "c2", Subject: "alice", ClientID: "gone", LoginSessionID: "sid-1", HandledAt: t0.Add(-time.Hour)},
		{ID: "c1", Subject: "alice", ClientID: testClientID, LoginSessionID: "sid-1", HandledAt: t0.Add(-2 * time.Hour)},
		{ID: "b1", Subject: "bob", ClientID: testClientID, HandledAt: t0},
	}}
	clients := fakeClients{m: map[string]*client.Client{testClientID: {
		ID: testClientID, Name: "Example App", SecretHash: testSecretHash,
	}}}
	a := &SessionsAdmin{Store: store, Clients: clients, Now: func() time.Time { return t0 }}
	mux := http.NewServeMux()
	a.Routes(mux, httpx.Renderer{Log: slog.New(slog.DiscardHandler)}.OAuth)
	return store, mux
}

func serveSessions(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestListConsentSessionsDecodesWithTheSDK(t *testing.T) {
	_, h := newSessionsHarness()
	w := serveSessions(h, http.MethodGet, "/admin/oauth2/auth/sessions/consent?subject=alice")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []hydra.OAuth2ConsentSession
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("hydra-client-go cannot decode the listing: %v\n%s", err, w.Body)
	}
	if len(got) != 3 {
		t.Fatalf("listed %d consents, want alice's 3", len(got))
	}
	first := got[0]
	cr := first.ConsentRequest
	if cr == nil || cr.Challenge != "c3" || cr.GetSubject() != "alice" || cr.Client == nil ||
		cr.Client.GetClientName() != "Example App" || cr.GetLoginSessionId() != "sid-2" {
		t.Fatalf("consent_request = %+v", cr)
	}
	if !slices.Equal(first.GrantScope, []string{"openid"}) || !first.GetRemember() || first.GetRememberFor() != 3600 {
		t.Errorf("grant = %v remember=%v for=%d", first.GrantScope, first.GetRemember(), first.GetRememberFor())
	}
	if first.Session == nil || first.Session.IdToken == nil {
		t.Fatalf("session = %+v", first.Session)
	}
	if m, _ := first.Session.IdToken.(map[string]any); m["name"] != "Zoë" {
		t.Errorf("session.id_token = %v", first.Session.IdToken)
	}
	if strings.Contains(w.Body.String(), testSecretHash) {
		t.Error("the listing shows the client's secret hash")
	}
	// A consent whose client was deleted meanwhile is still listed.
	if got[1].ConsentRequest.Client.GetClientId() != "gone" {
		t.Errorf("deleted client shown as %+v", got[1].ConsentRequest.Client)
	}
	// A consent without claims still has object-valued session members.
	if m, ok := got[2].Session.AccessToken.(map[string]any); !ok || len(m) != 0 {
		t.Errorf("empty session.access_token = %#v", got[2].Session.AccessToken)
	}
}

func TestListConsentSessionsPagesWithLinks(t *testing.T) {
	_, h := newSessionsHarness()
	target := "/admin/oauth2/auth/sessions/consent?subject=alice&page_size=2"
	var ids []string
	for range 5 {
		w := serveSessions(h, http.MethodGet, target)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var page []ConsentSessionView
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			ids = append(ids, c.ConsentRequestID)
		}
		link := w.Header().Get("Link")
		if !strings.Contains(link, `rel="first"`) {
			t.Errorf("Link without rel=first: %q", link)
		}
		_, next, ok := strings.Cut(link, `>; rel="first",<`)
		if !ok {
			break
		}
		target, _, _ = strings.Cut(next, ">")
		if !strings.Contains(target, "subject=alice") || !strings.Contains(target, "page_size=2") {
			t.Errorf("next link drops the filter: %q", target)
		}
	}
	if !slices.Equal(ids, []string{"c3", "c2", "c1"}) {
		t.Errorf("pages = %v", ids)
	}
	w := serveSessions(h, http.MethodGet, "/admin/oauth2/auth/sessions/consent?subject=alice&login_session_id=sid-1")
	var page []ConsentSessionView
	_ = json.Unmarshal(w.Body.Bytes(), &page)
	if len(page) != 2 || page[0].ConsentRequestID != "c2" || page[1].ConsentRequestID != "c1" {
		t.Errorf("login session filter: %+v", page)
	}
	w = serveSessions(h, http.MethodGet, "/admin/oauth2/auth/sessions/consent?subject=nobody")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("unknown subject: %d %s, want 200 []", w.Code, w.Body)
	}
}

func TestRevokeConsentSessions(t *testing.T) {
	store, h := newSessionsHarness()
	for _, target := range []string{
		"?subject=alice&client=" + testClientID,
		"?subject=alice&all=true",
		"?subject=bob&client=x&all=false",
	} {
		if w := serveSessions(h, http.MethodDelete, "/admin/oauth2/auth/sessions/consent"+target); w.Code != http.StatusNoContent {
			t.Errorf("%s: status %d: %s", target, w.Code, w.Body)
		}
	}
	want := []string{"alice/" + testClientID, "alice/", "bob/x"}
	if !slices.Equal(store.revoked, want) {
		t.Errorf("revoked %v, want %v", store.revoked, want)
	}
}

func TestEndLoginSessions(t *testing.T) {
	store, h := newSessionsHarness()
	for _, target := range []string{"?subject=alice", "?sid=sid-1"} {
		if w := serveSessions(h, http.MethodDelete, "/admin/oauth2/auth/sessions/login"+target); w.Code != http.StatusNoContent {
			t.Errorf("%s: status %d: %s", target, w.Code, w.Body)
		}
	}
	want := []SessionSelector{{Subject: "alice"}, {ID: "sid-1"}}
	if !slices.Equal(store.ended, want) {
		t.Errorf("ended %v, want %v", store.ended, want)
	}
}

// TestEndLoginSessionsNotifies: the sessions the store ended, and only
// those, reach the notifier (back-channel logout); ending nothing notifies
// nobody.
func TestEndLoginSessionsNotifies(t *testing.T) {
	store := &fakeSessionStore{sessions: []LoginSession{
		{ID: "sid-1", Subject: "alice"}, {ID: "sid-2", Subject: "alice"}, {ID: "sid-3", Subject: "bob"},
	}}
	n := &recordingNotifier{}
	a := &SessionsAdmin{Store: store, Notifier: n, Now: func() time.Time { return t0 }}
	mux := http.NewServeMux()
	a.Routes(mux, httpx.Renderer{Log: slog.New(slog.DiscardHandler)}.OAuth)
	for _, target := range []string{"?subject=alice", "?sid=sid-3", "?sid=unknown"} {
		if w := serveSessions(mux, http.MethodDelete, "/admin/oauth2/auth/sessions/login"+target); w.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d: %s", target, w.Code, w.Body)
		}
	}
	want := [][]LoginSession{
		{{ID: "sid-1", Subject: "alice"}, {ID: "sid-2", Subject: "alice"}},
		{{ID: "sid-3", Subject: "bob"}},
	}
	if len(n.calls) != len(want) {
		t.Fatalf("notified %d times, want %d: %+v", len(n.calls), len(want), n.calls)
	}
	for i := range want {
		if !slices.Equal(n.calls[i], want[i]) {
			t.Errorf("call %d = %+v, want %+v", i, n.calls[i], want[i])
		}
	}
}

// TestSessionsAdminRefusals: every malformed request is a precise 400 and
// touches nothing.
func TestSessionsAdminRefusals(t *testing.T) {
	const consent, login = "/admin/oauth2/auth/sessions/consent", "/admin/oauth2/auth/sessions/login"
	cases := []struct{ method, target string }{
		{http.MethodGet, consent},
		{http.MethodGet, consent + "?login_session_id=sid-1"},
		{http.MethodGet, consent + "?subject="},
		{http.MethodGet, consent + "?subject=alice&page_size=0"},
		{http.MethodGet, consent + "?subject=alice&page_size=501"},
		{http.MethodGet, consent + "?subject=alice&page_size=two"},
		{http.MethodGet, consent + "?subject=alice&page_token=bogus"},
		{http.MethodGet, consent + "?subject=alice&page_token=" + strings.Repeat("a", 1025)},
		{http.MethodGet, consent + "?subject=alice&subject=bob"},
		{http.MethodGet, consent + "?subject=alice&client=x"},
		{http.MethodGet, consent + "?subject=%ff"},
		{http.MethodDelete, consent},
		{http.MethodDelete, consent + "?client=app"},
		{http.MethodDelete, consent + "?subject=alice"},
		{http.MethodDelete, consent + "?subject=alice&all=false"},
		{http.MethodDelete, consent + "?subject=alice&all=yes"},
		{http.MethodDelete, consent + "?subject=alice&all=true&client=app"},
		{http.MethodDelete, consent + "?subject=alice&consent_request_id=c1"},
		{http.MethodDelete, consent + "?subject=alice&clients=app"},
		{http.MethodDelete, login},
		{http.MethodDelete, login + "?subject=alice&sid=sid-1"},
		{http.MethodDelete, login + "?subject="},
		{http.MethodDelete, login + "?user=alice"},
		{http.MethodDelete, login + "?sid=a&sid=b"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			store, h := newSessionsHarness()
			w := serveSessions(h, c.method, c.target)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			var body struct{ Error, ErrorDescription string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != "invalid_request" {
				t.Errorf("body %s", w.Body)
			}
			if len(store.revoked) != 0 || len(store.ended) != 0 {
				t.Errorf("a refused request changed state: %v %v", store.revoked, store.ended)
			}
		})
	}
}
