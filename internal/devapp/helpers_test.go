package devapp

import (
	"context"
	"crypto/rand"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// t0 is the fixed time of every test: sealing and opening share it, so
// nothing depends on the wall clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	testSecret   = "devapp-test-system-secret-0123456789"
	testClientID = "5a1e3c4b-8d2f-4e6a-9b7c-0d1e2f3a4b5c"
	testCallback = "http://127.0.0.1:5555/callback"
	testPublic   = "http://127.0.0.1:4444/"
	authorizeURL = testPublic + "oauth2/auth"
	logoutURL    = testPublic + "oauth2/sessions/logout"
)

// fakeClients is the one client store method the admin functions call.
type fakeClients struct {
	client.Store
	err error
}

func (f fakeClients) GetClient(_ context.Context, id string) (*client.Client, error) {
	if f.err != nil {
		return nil, f.err
	}
	if id != testClientID {
		return nil, storage.ErrNotFound
	}
	return &client.Client{ID: testClientID, Name: "Example <App>", RedirectURIs: []string{testCallback}}, nil
}

// testEnv is the dev app over the real flow.Admin and flow.LogoutAdmin,
// behind the middleware that gives request ids.
type testEnv struct {
	app     *App
	sealer  *flow.Sealer
	cfg     *config.Config
	handler http.Handler
}

func newEnv(t *testing.T, password string) *testEnv {
	return newEnvWith(t, password, fakeClients{})
}

func newEnvWith(t *testing.T, password string, clients client.Store) *testEnv {
	t.Helper()
	keyring, err := secret.NewKeyring([]string{testSecret}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return t0 }
	sealer := flow.NewSealer(keyring, now, 30*time.Minute)
	cfg := &config.Config{Dev: true}
	cfg.URLs.Self.Issuer = testPublic
	cfg.OAuth2.DeviceAuthorization.Enabled = true // the default
	log := slog.New(slog.DiscardHandler)
	app := New(Deps{
		Flows:   &flow.Admin{Sealer: sealer, Clients: clients, AuthorizeURL: authorizeURL, Now: now},
		Logouts: &flow.LogoutAdmin{Sealer: sealer, Clients: clients, LogoutURL: logoutURL, Now: now},
		Keyring: keyring, PublicURL: testPublic, Password: password,
		Config: func() *config.Config { return cfg }, Log: log, Rand: rand.Reader,
	})
	mux := http.NewServeMux()
	app.Routes(mux)
	mw := httpx.Middleware{Log: log, Renderer: httpx.Renderer{Log: log}, Now: now}
	return &testEnv{app: app, sealer: sealer, cfg: cfg, handler: mw.Wrap(mux, httpx.MaxFormBody)}
}

func testRequest() flow.Request {
	return flow.Request{ResponseType: "code", RedirectURI: testCallback, State: "state-0123456789",
		Scope: []string{"openid", "profile", "offline_access"}, Audience: []string{"https://api.example"}}
}

// loginChallenge seals a login request; remembered names the subject of a
// remembered session (skip), "" for none.
func (e *testEnv) loginChallenge(t *testing.T, remembered string) string {
	t.Helper()
	f, _, err := flow.New(rand.Reader, t0, testClientID, testRequest())
	if err != nil {
		t.Fatal(err)
	}
	var rem *flow.RememberedLogin
	if remembered != "" {
		rem = &flow.RememberedLogin{Subject: remembered, AuthTime: t0}
	}
	if err := f.RequestLogin("session-1", rem); err != nil {
		t.Fatal(err)
	}
	return e.seal(t, f, flow.PurposeLoginChallenge)
}

// consentChallenge seals a consent request for alice.
func (e *testEnv) consentChallenge(t *testing.T, skip bool) string {
	t.Helper()
	f, _, err := flow.New(rand.Reader, t0, testClientID, testRequest())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RequestLogin("session-1", nil); err != nil {
		t.Fatal(err)
	}
	if err := f.AcceptLogin(flow.LoginAccept{Subject: "alice"}, t0); err != nil {
		t.Fatal(err)
	}
	if err := f.RequestConsent(skip); err != nil {
		t.Fatal(err)
	}
	return e.seal(t, f, flow.PurposeConsentChallenge)
}

func (e *testEnv) logoutChallenge(t *testing.T, postLogout string) string {
	t.Helper()
	ch, err := e.sealer.SealLogout(&flow.LogoutRequest{ID: "logout-1", Subject: "alice", SessionID: "session-1",
		ClientID: testClientID, PostLogoutRedirectURI: postLogout, RequestedAt: t0}, flow.PurposeLogoutChallenge)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func (e *testEnv) seal(t *testing.T, f *flow.Flow, p flow.Purpose) string {
	t.Helper()
	s, err := e.sealer.Seal(f, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifier opens the verifier in a redirect to the authorization endpoint.
func (e *testEnv) verifier(t *testing.T, location string, p flow.Purpose) *flow.Flow {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, authorizeURL+"?") {
		t.Fatalf("redirect %q: want the authorization endpoint", location)
	}
	f, err := e.sealer.Open(u.Query().Get(string(p)), p)
	if err != nil {
		t.Fatalf("the redirect carries no %s: %v", p, err)
	}
	return f
}

// browser keeps cookies between requests to the handler, as a browser does.
type browser struct {
	e       *testEnv
	cookies map[string]*http.Cookie
}

func (e *testEnv) browser() *browser { return &browser{e: e, cookies: map[string]*http.Cookie{}} }

func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.e.handler.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		b.cookies[c.Name] = c
	}
	return w
}

func (b *browser) get(target string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, target, nil))
}

func (b *browser) post(target string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// formOf reads the hidden fields of the page in w, as a browser submits them.
func formOf(t *testing.T, w *httptest.ResponseRecorder) url.Values {
	t.Helper()
	form := url.Values{}
	for _, name := range []string{fieldChallenge, fieldToken} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("the page has no %s field:\n%s", name, w.Body.String())
		}
		form.Set(name, html.UnescapeString(m[1]))
	}
	return form
}

func with(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Add(kv[i], kv[i+1])
	}
	return out
}
