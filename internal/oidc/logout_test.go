package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

var rpLogoutNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	testIssuer = "https://issuer.example/"
	testPLRU   = "https://app.example/bye"
	testSID    = "sid-1"
)

// logoutFlows is an in-memory flow.Store with the methods logout uses.
type logoutFlows struct {
	flow.Store
	mu       sync.Mutex
	sessions map[string]*flow.LoginSession
	consents []*flow.ConsentSession
	used     map[string]bool
}

func (f *logoutFlows) GetLoginSession(_ context.Context, id string) (*flow.LoginSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sessions[id]; ok {
		c := *s
		return &c, nil
	}
	return nil, storage.ErrNotFound
}

func (f *logoutFlows) EndLoginSessions(_ context.Context, sel flow.SessionSelector) ([]flow.LoginSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ended []flow.LoginSession
	if s, ok := f.sessions[sel.ID]; ok {
		ended = append(ended, *s)
		delete(f.sessions, sel.ID)
	}
	return ended, nil
}

func (f *logoutFlows) UseVerifier(_ context.Context, key string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.used[key] {
		return storage.ErrAlreadyUsed
	}
	f.used[key] = true
	return nil
}

func (f *logoutFlows) ListConsents(_ context.Context, subject, sid string, _ storage.Page) ([]*flow.ConsentSession, storage.PageResult, error) {
	var out []*flow.ConsentSession
	for _, c := range f.consents {
		if c.Subject == subject && c.LoginSessionID == sid {
			out = append(out, c)
		}
	}
	return out, storage.PageResult{}, nil
}

type keySet struct{ keys []jose.JSONWebKey }

func (k keySet) PublicKeys(context.Context, ...string) (jose.JSONWebKeySet, error) {
	return jose.JSONWebKeySet{Keys: k.keys}, nil
}

type recordingNotifier struct{ ended [][]flow.LoginSession }

func (n *recordingNotifier) SessionsEnded(_ context.Context, ended []flow.LoginSession) {
	n.ended = append(n.ended, ended)
}

type logoutFixture struct {
	l       *Logout
	admin   *flow.LogoutAdmin
	flows   *logoutFlows
	notify  *recordingNotifier
	cfg     *config.Config
	cookies *flow.SessionCookies
	good    *token.IDTokens // mints hints Signet accepts
	forged  *token.IDTokens // another key
}

func signerFor(t *testing.T, kid string) (fixedSigner, jose.JSONWebKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	return fixedSigner{s, pub}, pub
}

func newLogoutFixture(t *testing.T) *logoutFixture {
	t.Helper()
	now := func() time.Time { return rpLogoutNow }
	ring, err := secret.NewKeyring([]string{"a-system-secret-of-32-characters!"}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := flow.NewSessionCookies(flow.SessionCookieOptions{Keyring: ring, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	sealer := flow.NewSealer(ring, now, 30*time.Minute)
	good, pub := signerFor(t, "k1")
	bad, _ := signerFor(t, "k1")
	cfg := &config.Config{}
	cfg.URLs.Self.Issuer = testIssuer
	cfg.URLs.Logout = "https://logout.example/ask"
	flows := &logoutFlows{used: map[string]bool{}, sessions: map[string]*flow.LoginSession{
		testSID: {ID: testSID, Subject: "alice", ExpiresAt: rpLogoutNow.Add(time.Hour)}},
		consents: []*flow.ConsentSession{
			{ID: "c1", Subject: "alice", ClientID: "app", LoginSessionID: testSID},
			{ID: "c2", Subject: "alice", ClientID: "other", LoginSessionID: testSID},
			{ID: "c3", Subject: "alice", ClientID: "app", LoginSessionID: testSID},
			{ID: "c4", Subject: "alice", ClientID: "plain", LoginSessionID: testSID},
			{ID: "c5", Subject: "alice", ClientID: "elsewhere", LoginSessionID: "sid-2"},
		}}
	clients := fakeClients{m: map[string]*client.Client{
		"app": {ID: "app", PostLogoutRedirectURIs: []string{testPLRU},
			FrontchannelLogoutURI: "https://app.example/fc", FrontchannelLogoutSessionRequired: true},
		"other":     {ID: "other", FrontchannelLogoutURI: "https://other.example:8443/fc?x=1"},
		"plain":     {ID: "plain"},
		"elsewhere": {ID: "elsewhere", FrontchannelLogoutURI: "https://elsewhere.example/fc"},
		"skip":      {ID: "skip", SkipLogoutConsent: true, PostLogoutRedirectURIs: []string{"https://skip.example/bye"}},
	}}
	n := &recordingNotifier{}
	keys := keySet{[]jose.JSONWebKey{pub}}
	l := &Logout{Sessions: cookies, Flows: flows, Clients: clients, Sealer: sealer, Notifier: n,
		IDTokens: &token.IDTokens{Keys: keys, Now: now},
		Config:   func() *config.Config { return cfg }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: now, Rand: rand.Reader}
	return &logoutFixture{l: l, flows: flows, notify: n, cfg: cfg, cookies: cookies,
		admin: &flow.LogoutAdmin{Sealer: sealer, Clients: clients, LogoutURL: testIssuer + "oauth2/sessions/logout", Now: now},
		good:  &token.IDTokens{Signer: good, Now: now}, forged: &token.IDTokens{Signer: bad, Now: now}}
}

// hint mints an ID token for alice in session sid, audience aud.
func (fx *logoutFixture) hint(t *testing.T, minter *token.IDTokens, sid string, exp time.Time, aud ...string) string {
	t.Helper()
	raw, _, err := minter.Mint(context.Background(), token.IDTokenClaims{Issuer: testIssuer, Subject: "alice",
		Audience: aud, ExpiresAt: exp, SessionID: sid})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// get runs GET /oauth2/sessions/logout?q, with the session cookie when
// withSession.
func (fx *logoutFixture) get(t *testing.T, q url.Values, withSession bool) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/oauth2/sessions/logout?"+q.Encode(), nil)
	if withSession {
		cw := httptest.NewRecorder()
		if err := fx.cookies.Write(cw, &flow.Session{ID: testSID, Subject: "alice", AuthTime: rpLogoutNow.Add(-time.Minute), ExpiresAt: rpLogoutNow.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, c := range cw.Result().Cookies() {
			r.AddCookie(c)
		}
	}
	w := httptest.NewRecorder()
	if err := fx.l.Handle(w, r); err != nil {
		t.Fatalf("Handle returned %v; it renders every outcome itself", err)
	}
	return w
}

func (fx *logoutFixture) sessionAlive() bool {
	_, ok := fx.flows.sessions[testSID]
	return ok
}

func TestLogoutRefusesBadRequestsWithAPageNeverARedirect(t *testing.T) {
	fx := newLogoutFixture(t)
	long := rpLogoutNow.Add(time.Hour)
	cases := []struct {
		name string
		q    url.Values
	}{
		{"forged hint", url.Values{"id_token_hint": {fx.hint(t, fx.forged, testSID, long, "app")}, "post_logout_redirect_uri": {testPLRU}}},
		{"garbage hint", url.Values{"id_token_hint": {"not.a.jwt"}, "post_logout_redirect_uri": {testPLRU}}},
		{"client_id not in aud", url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, long, "app")}, "client_id": {"other"}}},
		{"unregistered redirect", url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, long, "app")}, "post_logout_redirect_uri": {"https://evil.example/"}}},
		{"redirect of another client", url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, long, "app")}, "post_logout_redirect_uri": {"https://skip.example/bye"}}},
		{"redirect without hint", url.Values{"post_logout_redirect_uri": {testPLRU}}},
		{"control characters in state", url.Values{"state": {"a\nb"}}},
		{"oversized state", url.Values{"state": {strings.Repeat("s", maxLogoutParam+1)}}},
		{"unknown client in hint", url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, long, "ghost")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := fx.get(t, tc.q, true)
			if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want a 400 page", w.Code, w.Header().Get("Location"))
			}
			if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") ||
				!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("error page headers: %v", w.Header())
			}
			if !fx.sessionAlive() {
				t.Fatal("a refused request ended the session")
			}
		})
	}
}

func TestLogoutWithoutSessionGoesStraightToTheRedirectWithState(t *testing.T) {
	fx := newLogoutFixture(t)
	q := url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, rpLogoutNow.Add(time.Hour), "app")},
		"post_logout_redirect_uri": {testPLRU}, "state": {"xyz"}}
	w := fx.get(t, q, false)
	if w.Code != http.StatusFound || w.Header().Get("Location") != testPLRU+"?state=xyz" {
		t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	// Without a redirect URI or urls.post_logout_redirect: the signed-out page.
	w = fx.get(t, url.Values{}, false)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "You are signed out") {
		t.Fatalf("status %d body %s", w.Code, w.Body)
	}
}

func TestLogoutHintOfAnotherSessionEndsNothing(t *testing.T) {
	fx := newLogoutFixture(t)
	q := url.Values{"id_token_hint": {fx.hint(t, fx.good, "sid-other", rpLogoutNow.Add(time.Hour), "app")},
		"post_logout_redirect_uri": {testPLRU}}
	w := fx.get(t, q, true)
	if w.Code != http.StatusFound || w.Header().Get("Location") != testPLRU {
		t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	if !fx.sessionAlive() || len(fx.notify.ended) != 0 {
		t.Fatal("the browser's session was ended by a hint naming another session")
	}
}

// challenge starts a logout and returns the logout_challenge handed to
// the logout app.
func (fx *logoutFixture) challenge(t *testing.T, q url.Values) string {
	t.Helper()
	w := fx.get(t, q, true)
	loc, err := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), fx.cfg.URLs.Logout+"?") {
		t.Fatalf("status %d, Location %q; want the logout app", w.Code, w.Header().Get("Location"))
	}
	return loc.Query().Get("logout_challenge")
}

func TestLogoutAcceptedEndsTheSessionEverywhere(t *testing.T) {
	fx := newLogoutFixture(t)
	// An expired hint is accepted for logout.
	hint := fx.hint(t, fx.good, testSID, rpLogoutNow.Add(-24*time.Hour), "app")
	ch := fx.challenge(t, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {testPLRU}, "state": {"s t"}})
	view, err := fx.admin.LogoutRequest(context.Background(), ch)
	if err != nil || view.Subject != "alice" || view.SessionID != testSID || !view.RPInitiated || view.Client == nil || view.Client.ID != "app" {
		t.Fatalf("logout request %+v, %v", view, err)
	}
	if !fx.sessionAlive() {
		t.Fatal("the session ended before the logout app accepted")
	}
	rt, err := fx.admin.AcceptLogout(ch)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(rt.RedirectTo)
	w := fx.get(t, u.Query(), true)

	if w.Code != http.StatusOK || fx.sessionAlive() {
		t.Fatalf("status %d, session alive %v", w.Code, fx.sessionAlive())
	}
	if len(fx.notify.ended) != 1 || len(fx.notify.ended[0]) != 1 || fx.notify.ended[0][0].ID != testSID {
		t.Fatalf("notifier got %+v", fx.notify.ended)
	}
	cleared := false
	for _, c := range w.Result().Cookies() {
		cleared = cleared || (c.Name == flow.DefaultSessionCookieName && c.MaxAge < 0)
	}
	if !cleared {
		t.Fatalf("session cookie not cleared: %v", w.Header()["Set-Cookie"])
	}
	body := w.Body.String()
	wantApp := "https://app.example/fc?iss=" + url.QueryEscape(testIssuer) + "&amp;sid=" + testSID
	for _, want := range []string{`src="` + wantApp + `"`, `src="https://other.example:8443/fc?x=1"`,
		`content="3;url=https://app.example/bye?state=s&#43;t"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Count(body, "<iframe") != 2 || strings.Contains(body, "elsewhere") || strings.Contains(body, "<script") {
		t.Errorf("page frames wrong:\n%s", body)
	}
	wantCSP := "default-src 'none'; frame-src https://app.example https://other.example:8443; style-src 'unsafe-inline'"
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, wantCSP) {
		t.Errorf("CSP %q", csp)
	}

	// The verifier works once.
	w = fx.get(t, u.Query(), true)
	if w.Code != http.StatusBadRequest || len(fx.notify.ended) != 1 {
		t.Fatalf("replayed verifier: status %d, notified %d times", w.Code, len(fx.notify.ended))
	}
}

func TestLogoutRejectKeepsTheSession(t *testing.T) {
	fx := newLogoutFixture(t)
	ch := fx.challenge(t, url.Values{})
	if err := fx.admin.RejectLogout(ch); err != nil {
		t.Fatal(err)
	}
	if !fx.sessionAlive() || len(fx.notify.ended) != 0 {
		t.Fatal("reject ended the session")
	}
	// A challenge is not a verifier.
	if w := fx.get(t, url.Values{"logout_verifier": {ch}}, true); w.Code != http.StatusBadRequest || !fx.sessionAlive() {
		t.Fatalf("challenge accepted as verifier: %d", w.Code)
	}
}

func TestLogoutSkipsTheQuestion(t *testing.T) {
	cases := []struct {
		name  string
		setup func(fx *logoutFixture) url.Values
	}{
		{"skip_logout_consent", func(fx *logoutFixture) url.Values {
			return url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, rpLogoutNow.Add(time.Hour), "skip")}}
		}},
		{"SkipWithHint", func(fx *logoutFixture) url.Values {
			fx.l.SkipWithHint = true
			return url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, rpLogoutNow.Add(time.Hour), "app")}}
		}},
		{"no logout app, RP-initiated", func(fx *logoutFixture) url.Values {
			fx.cfg.URLs.Logout = ""
			return url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, rpLogoutNow.Add(time.Hour), "app")}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newLogoutFixture(t)
			w := fx.get(t, tc.setup(fx), true)
			if fx.sessionAlive() || len(fx.notify.ended) != 1 {
				t.Fatalf("status %d: session not ended directly", w.Code)
			}
			if strings.HasPrefix(w.Header().Get("Location"), "https://logout.example") {
				t.Fatal("asked the logout app")
			}
		})
	}
}

func TestLogoutWithoutFrontChannelClientsRedirectsDirectly(t *testing.T) {
	fx := newLogoutFixture(t)
	fx.flows.consents = nil
	fx.cfg.URLs.PostLogoutRedirect = "https://home.example/"
	fx.cfg.URLs.Logout = ""
	w := fx.get(t, url.Values{"id_token_hint": {fx.hint(t, fx.good, testSID, rpLogoutNow.Add(time.Hour), "app")}}, true)
	if w.Code != http.StatusFound || w.Header().Get("Location") != "https://home.example/" || fx.sessionAlive() {
		t.Fatalf("status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
}

func TestFrontChannelURLRefusesWhatCouldWidenTheCSP(t *testing.T) {
	for _, raw := range []string{"javascript:alert(1)", "https://a.example;script-src/x", "//no-scheme/x", "https:///nohost"} {
		if _, ok := frontChannelURL(raw, false, testIssuer, testSID); ok {
			t.Errorf("%q accepted", raw)
		}
	}
}

func TestDiscoveryAdvertisesLogoutOnlyWhenMounted(t *testing.T) {
	keys := []string{"end_session_endpoint", "frontchannel_logout_supported", "frontchannel_logout_session_supported",
		"backchannel_logout_supported", "backchannel_logout_session_supported"}
	off := discoveryDoc(t, Features{})
	for _, k := range keys {
		if _, ok := off[k]; ok {
			t.Errorf("%s advertised without logout", k)
		}
	}
	on := discoveryDoc(t, Features{EndSession: true, FrontChannel: true, BackChannel: true})
	if on["end_session_endpoint"] != "https://id.example/oauth2/sessions/logout" {
		t.Errorf("end_session_endpoint %v", on["end_session_endpoint"])
	}
	for _, k := range keys[1:] {
		if on[k] != true {
			t.Errorf("%s = %v", k, on[k])
		}
	}
}

// TestLogoutWithoutAppOrHintIsRefused: with no logout app to confirm it, a
// bare link to the logout endpoint must not end the session (logout CSRF).
func TestLogoutWithoutAppOrHintIsRefused(t *testing.T) {
	fx := newLogoutFixture(t)
	fx.cfg.URLs.Logout = ""
	w := fx.get(t, url.Values{}, true)
	if w.Code != http.StatusBadRequest || !fx.sessionAlive() || len(fx.notify.ended) != 0 {
		t.Fatalf("status %d, session alive %v: want a 400 page and the session kept", w.Code, fx.sessionAlive())
	}
	if !strings.Contains(w.Body.String(), "URLS_LOGOUT") {
		t.Errorf("the page does not say how to fix it: %s", w.Body.String())
	}
}
