package authorize

import (
	"context"
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

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// azStore is an in-memory client.Store, flow.Store and token.FlowStore
// that counts writes, so tests can assert the per-flow write budget.
type azStore struct {
	mu                                              sync.Mutex
	clients                                         map[string]*client.Client
	used                                            map[string]bool
	logins                                          map[string]*flow.LoginSession
	consents                                        []*flow.ConsentSession
	codes                                           []*token.CodeRecord
	access                                          []*token.AccessRecord
	useVerifier, saveConsent, createCode, saveLogin int
	createAccess                                    int
}

func newAZStore(cs ...*client.Client) *azStore {
	s := &azStore{clients: map[string]*client.Client{}, used: map[string]bool{}, logins: map[string]*flow.LoginSession{}}
	for _, c := range cs {
		s.clients[c.ID] = c
	}
	return s
}

func (s *azStore) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.useVerifier + s.saveConsent + s.createCode + s.saveLogin + s.createAccess
}

// putClient replaces a client, as an admin editing it mid-flow would.
func (s *azStore) putClient(c *client.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = c
}

func (s *azStore) CreateAccess(_ context.Context, a *token.AccessRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createAccess++
	s.access = append(s.access, a)
	return nil
}
func (s *azStore) GetAccess(context.Context, []byte) (*token.AccessRecord, error) { panic("unused") }
func (s *azStore) RevokeAccess(context.Context, []byte, string, time.Time) error  { panic("unused") }
func (s *azStore) RevokeByClient(context.Context, string, time.Time) error        { panic("unused") }

func (s *azStore) GetClient(_ context.Context, id string) (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *c
	return &cp, nil
}
func (s *azStore) CreateClient(context.Context, *client.Client) error { panic("unused") }
func (s *azStore) UpdateClient(context.Context, *client.Client, *client.Client) error {
	panic("unused")
}
func (s *azStore) DeleteClient(context.Context, string) error { panic("unused") }
func (s *azStore) ListClients(context.Context, client.Filter, storage.Page) ([]*client.Client, storage.PageResult, error) {
	panic("unused")
}

func (s *azStore) UseVerifier(_ context.Context, key string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.useVerifier++
	if s.used[key] {
		return storage.ErrAlreadyUsed
	}
	s.used[key] = true
	return nil
}

func (s *azStore) SaveConsent(_ context.Context, c *flow.ConsentSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveConsent++
	for _, have := range s.consents {
		if have.ID == c.ID {
			return storage.ErrConflict // as the SQL store: the flow ID is the key
		}
	}
	s.consents = append(s.consents, c)
	return nil
}

func (s *azStore) FindRememberedConsent(_ context.Context, subject, clientID string, now time.Time) (*flow.ConsentSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.consents) - 1; i >= 0; i-- {
		c := s.consents[i]
		if c.Subject == subject && c.ClientID == clientID && c.Remember && (c.RememberUntil == nil || now.Before(*c.RememberUntil)) {
			return c, nil
		}
	}
	return nil, storage.ErrNotFound
}

func (s *azStore) ListConsents(context.Context, string, string, storage.Page) ([]*flow.ConsentSession, storage.PageResult, error) {
	panic("unused")
}
func (s *azStore) RevokeConsents(context.Context, string, string, time.Time) error { panic("unused") }

func (s *azStore) SaveLoginSession(_ context.Context, l *flow.LoginSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveLogin++
	cp := *l
	s.logins[l.ID] = &cp
	return nil
}

func (s *azStore) GetLoginSession(_ context.Context, id string) (*flow.LoginSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logins[id]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *l
	return &cp, nil
}

func (s *azStore) EndLoginSessions(context.Context, flow.SessionSelector) ([]flow.LoginSession, error) {
	panic("unused")
}

func (s *azStore) CreateCode(_ context.Context, c *token.CodeRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createCode++
	s.codes = append(s.codes, c)
	return nil
}
func (s *azStore) ConsumeCode(context.Context, []byte, time.Time) (*token.CodeRecord, error) {
	panic("unused")
}
func (s *azStore) CreateRefresh(context.Context, *token.RefreshRecord) error { panic("unused") }
func (s *azStore) GetRefresh(context.Context, []byte) (*token.RefreshRecord, error) {
	panic("unused")
}
func (s *azStore) RotateRefresh(context.Context, []byte, time.Time, token.Grace, *token.RefreshRecord, *token.AccessRecord) error {
	panic("unused")
}
func (s *azStore) RevokeRefresh(context.Context, []byte, string, time.Time) error { panic("unused") }
func (s *azStore) RevokeFamily(context.Context, string, time.Time) error          { panic("unused") }

// azEnv is one authorization server with its admin API and a fake browser.
type azEnv struct {
	t     *testing.T
	now   time.Time
	db    *azStore
	cfg   *config.Config
	az    *Endpoint
	admin *flow.Admin
	keys  *oauth2test.Keys // signs the ID tokens
}

const (
	azIssuer   = "https://issuer.example"
	azRedirect = "https://app.example/cb"
	azState    = "state-0123456789"
	azVerifier = "dBjftJeZ4CVP-mJ92K9xWpb9oi8r3Cz9PwPXqN2NhLt"
)

func azClient() *client.Client {
	return &client.Client{ID: "app", RedirectURIs: []string{azRedirect, "https://app.example/other"},
		Scope: "openid offline profile", Audience: []string{"https://api.example"},
		ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code"},
		TokenEndpointAuthMethod: "client_secret_basic"}
}

func newAZEnv(t *testing.T, clients ...*client.Client) *azEnv {
	t.Helper()
	if len(clients) == 0 {
		clients = []*client.Client{azClient()}
	}
	e := &azEnv{t: t, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), db: newAZStore(clients...)}
	ring, err := secret.NewKeyring([]string{"a-system-secret-of-enough-length"}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return e.now }
	sealer := flow.NewSealer(ring, clock, 30*time.Minute)
	sessions, err := flow.NewSessionCookies(flow.SessionCookieOptions{Keyring: ring, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = &config.Config{}
	e.cfg.URLs.Login = "https://login.example/login?tenant=a"
	e.cfg.URLs.Consent = "https://login.example/consent"
	e.cfg.URLs.Self.Issuer = azIssuer
	e.cfg.TTL.LoginConsentRequest = 30 * time.Minute
	e.cfg.TTL.AuthCode = 10 * time.Minute
	e.cfg.Strategies.Scope = "exact"
	e.keys = oauth2test.NewKeys(t, jwk.SetIDToken)
	e.az = &Endpoint{Clients: e.db, Flows: e.db, Codes: e.db, Sealer: sealer, Sessions: sessions,
		CodeFormat: token.OpaqueFormat{Prefix: token.PrefixCode, MACKeys: [][]byte{[]byte("code-mac-key")}, Rand: rand.Reader},
		IDTokens:   &token.IDTokens{Signer: e.keys, Keys: e.keys, Now: clock},
		Issuer: &token.Issuer{Store: e.db, Opaque: &token.Opaque{MACKeys: [][]byte{[]byte("access-mac-key")}, Rand: rand.Reader},
			Now: clock},
		Config: func() *config.Config { return e.cfg }, Now: clock, Rand: rand.Reader,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.admin = &flow.Admin{Sealer: sealer, Clients: e.db, AuthorizeURL: azIssuer + "/oauth2/auth", Now: clock}
	return e
}

// azBrowser keeps cookies across requests, like a browser for one host.
type azBrowser struct{ jar map[string]string }

func newAZBrowser() *azBrowser { return &azBrowser{jar: map[string]string{}} }

// get sends GET /oauth2/auth?query through the handler.
func (b *azBrowser) get(e *azEnv, query string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/oauth2/auth?"+query, nil)
	return b.do(e, r)
}

func (b *azBrowser) do(e *azEnv, r *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	for k, v := range b.jar {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	if err := e.az.Handle(w, r); err != nil {
		e.t.Fatalf("Handle returned %v", err)
	}
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(b.jar, ck.Name)
		} else {
			b.jar[ck.Name] = ck.Value
		}
	}
	return w
}

// follow sends the browser to an admin redirect_to URL.
func (b *azBrowser) follow(e *azEnv, redirectTo string) *httptest.ResponseRecorder {
	e.t.Helper()
	u, err := url.Parse(redirectTo)
	if err != nil {
		e.t.Fatal(err)
	}
	return b.get(e, u.RawQuery)
}

func azQuery(extra ...string) string {
	v := url.Values{"client_id": {"app"}, "response_type": {"code"}, "redirect_uri": {azRedirect},
		"scope": {"openid offline"}, "state": {azState}, "nonce": {"nonce-1"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return v.Encode()
}

// location returns the redirect target, failing unless w is a 302.
func azLocation(t *testing.T, w *httptest.ResponseRecorder) *url.URL {
	t.Helper()
	if w.Code != http.StatusFound {
		t.Fatalf("status %d, want 302; body: %s", w.Code, w.Body.String())
	}
	u, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// azPage asserts an error page (no redirect) and returns its body.
func azPage(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code != http.StatusBadRequest && w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want an error page; Location %q", w.Code, w.Header().Get("Location"))
	}
	if w.Header().Get("Location") != "" {
		t.Fatalf("error page must not redirect")
	}
	if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("missing CSP: %v", w.Header())
	}
	return w.Body.String()
}

// toLogin starts a flow and returns the login challenge.
func (b *azBrowser) toLogin(e *azEnv, query string) string {
	e.t.Helper()
	u := azLocation(e.t, b.get(e, query))
	if u.Host != "login.example" || u.Path != "/login" || u.Query().Get("tenant") != "a" {
		e.t.Fatalf("not sent to the login app: %s", u)
	}
	return u.Query().Get("login_challenge")
}

// toConsent accepts login and returns the consent challenge.
func (b *azBrowser) toConsent(e *azEnv, challenge string, body flow.AcceptLoginBody) string {
	e.t.Helper()
	rt, err := e.admin.AcceptLogin(challenge, body)
	if err != nil {
		e.t.Fatal(err)
	}
	u := azLocation(e.t, b.follow(e, rt.RedirectTo))
	if u.Host != "login.example" || u.Path != "/consent" {
		e.t.Fatalf("not sent to the consent app: %s", u)
	}
	return u.Query().Get("consent_challenge")
}

func (s *azStore) GetConsent(context.Context, string) (*flow.ConsentSession, error) {
	panic("unused")
}
