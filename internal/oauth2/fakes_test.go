package oauth2

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
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
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// calls counts storage round trips, so tests can assert the budgets.
type calls struct {
	mu                                           sync.Mutex
	getClient, create, getAccess, revoke, revAll int
}

func (c *calls) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getClient + c.create + c.getAccess + c.revoke + c.revAll
}

func (c *calls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.getClient, c.create, c.getAccess, c.revoke, c.revAll = 0, 0, 0, 0, 0
}

// fakeDB is a client.Store and token.Store in memory.
type fakeDB struct {
	calls
	clients map[string]*client.Client
	tokens  map[string]*token.AccessRecord
}

func (f *fakeDB) CreateClient(context.Context, *client.Client) error { panic("unused") }
func (f *fakeDB) UpdateClient(context.Context, *client.Client) error { panic("unused") }
func (f *fakeDB) DeleteClient(context.Context, string) error         { panic("unused") }
func (f *fakeDB) ListClients(context.Context, client.Filter, storage.Page) ([]*client.Client, storage.PageResult, error) {
	panic("unused")
}

func (f *fakeDB) GetClient(_ context.Context, id string) (*client.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getClient++
	c, ok := f.clients[id]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *c
	return &cp, nil
}

func (f *fakeDB) CreateAccess(_ context.Context, a *token.AccessRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.create++
	f.tokens[string(a.Digest)] = a
	return nil
}

func (f *fakeDB) GetAccess(_ context.Context, d []byte) (*token.AccessRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getAccess++
	if r, ok := f.tokens[string(d)]; ok {
		cp := *r
		return &cp, nil
	}
	return nil, storage.ErrNotFound
}

func (f *fakeDB) RevokeAccess(_ context.Context, d []byte, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoke++
	r, ok := f.tokens[string(d)]
	if !ok || r.ClientID != clientID {
		return storage.ErrNotFound
	}
	r.RevokedAt = &at
	return nil
}

func (f *fakeDB) RevokeByClient(_ context.Context, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revAll++
	for _, r := range f.tokens {
		if r.ClientID == clientID && r.RevokedAt == nil {
			r.RevokedAt = &at
		}
	}
	return nil
}

// fakeKeys signs with one RSA key per set.
type fakeKeys struct {
	signers map[string]jose.Signer
	public  map[string]jose.JSONWebKey
}

func newFakeKeys(t testing.TB, sets ...string) *fakeKeys {
	t.Helper()
	f := &fakeKeys{signers: map[string]jose.Signer{}, public: map[string]jose.JSONWebKey{}}
	for _, set := range sets {
		// ES256: key generation is instant, unlike RSA (the token package
		// tests cover RSA signing).
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv := jose.JSONWebKey{Key: k, KeyID: set, Algorithm: "ES256", Use: "sig"}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		f.signers[set], f.public[set] = s, priv.Public()
	}
	return f
}

func (f *fakeKeys) Signer(_ context.Context, set string) (jose.Signer, jose.JSONWebKey, error) {
	return f.signers[set], f.public[set], nil
}

func (f *fakeKeys) PublicKeys(_ context.Context, sets ...string) (jose.JSONWebKeySet, error) {
	var out jose.JSONWebKeySet
	for _, s := range sets {
		out.Keys = append(out.Keys, f.public[s])
	}
	return out, nil
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time            { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)       { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
func dur(d time.Duration) *client.Duration { x := client.Duration(d); return &x }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is every endpoint of this package wired to fakes.
type harness struct {
	db     *fakeDB
	clock  *clock
	cfg    *config.Config
	hasher secret.Hasher // hashes the fake clients' secrets
	cache  *SecretCache
	auth   *ClientAuth
	opaque *token.Opaque
	jwt    *token.JWT
	tokenH http.Handler
	intro  http.Handler
	revoke http.Handler
	admin  http.Handler
}

const (
	secretMachine = "machine-secret"
	secretColon   = "p@ss:w+rd é"
)

// newHarness wires the fakes; opts adjust the client authentication (for
// example a blocking hasher or fewer verification slots).
func newHarness(t testing.TB, opts ...func(*ClientAuthDeps)) *harness {
	t.Helper()
	h := &harness{clock: &clock{now: t0}}
	hasher := secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}
	h.hasher = hasher
	hash := func(s string) string {
		out, err := hasher.Hash(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cc := []string{"client_credentials"}
	h.db = &fakeDB{tokens: map[string]*token.AccessRecord{}, clients: map[string]*client.Client{
		"machine": {ID: "machine", SecretHash: hash(secretMachine), GrantTypes: cc,
			Scope: "read write foo.*", Audience: []string{"https://api.example", "https://other.example"}},
		"poster": {ID: "poster", SecretHash: hash("poster-secret"), GrantTypes: cc, Scope: "read",
			TokenEndpointAuthMethod: AuthMethodPost},
		"a:b": {ID: "a:b", SecretHash: hash(secretColon), GrantTypes: cc, Scope: "read"},
		"public": {ID: "public", GrantTypes: []string{"client_credentials", "authorization_code"},
			Scope: "read", TokenEndpointAuthMethod: AuthMethodNone},
		"jwtc": {ID: "jwtc", SecretHash: hash("jwt-secret"), GrantTypes: cc, Scope: "read",
			AccessTokenStrategy: token.StrategyJWT,
			Lifespans:           client.Lifespans{ClientCredentialsGrantAccessTokenLifespan: dur(5 * time.Minute)}},
		"expired": {ID: "expired", SecretHash: hash("old-secret"), GrantTypes: cc, SecretExpiresAt: t0.Unix() - 1},
		"nocc":    {ID: "nocc", SecretHash: hash("nocc-secret")},
	}}
	h.cfg = &config.Config{}
	h.cfg.URLs.Self.Issuer = "https://issuer.example/"
	h.cfg.TTL.AccessToken = time.Hour
	h.cfg.Strategies.AccessToken = token.StrategyOpaque
	h.cfg.Strategies.Scope = "wildcard"
	getCfg := func() *config.Config { return h.cfg }

	var err error
	if h.cache, err = NewSecretCache(rand.Reader, 100); err != nil {
		t.Fatal(err)
	}
	keys := newFakeKeys(t, jwk.SetAccessToken)
	h.opaque = &token.Opaque{MACKeys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}, Rand: rand.Reader}
	h.jwt = &token.JWT{Signer: keys, Keys: keys, Rand: rand.Reader}
	issuer := &token.Issuer{Store: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now}
	deps := ClientAuthDeps{Clients: h.db, Hasher: hasher, Cache: h.cache, Now: h.clock.Now}
	for _, o := range opts {
		o(&deps)
	}
	if h.auth, err = NewClientAuth(deps); err != nil {
		t.Fatal(err)
	}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.tokenH = rd.OAuth((&TokenEndpoint{Auth: h.auth, Grants: map[string]Grant{
		GrantClientCredentials: &ClientCredentials{Issuer: issuer, Config: getCfg, Now: h.clock.Now, Rand: rand.Reader},
	}}).Handle)
	h.intro = rd.OAuth((&Introspection{Tokens: h.db, Opaque: h.opaque, JWT: h.jwt, Config: getCfg, Now: h.clock.Now}).Handle)
	h.revoke = rd.OAuth((&Revocation{Auth: h.auth, Tokens: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now}).Handle)
	h.admin = rd.OAuth((&AdminTokens{Tokens: h.db, Now: h.clock.Now}).DeleteByClient)
	return h
}

// req describes one form POST.
type req struct {
	form        string
	user, pass  string // HTTP Basic, URL-encoded as RFC 6749 2.3.1 requires
	rawAuthz    string // verbatim Authorization header, overrides user/pass
	contentType string
}

func basic(user, pass string) string {
	enc := url.QueryEscape
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(enc(user)+":"+enc(pass)))
}

func do(h http.Handler, method, target string, q req) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(q.form))
	ct := q.contentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	r.Header.Set("Content-Type", ct)
	switch {
	case q.rawAuthz != "":
		r.Header.Set("Authorization", q.rawAuthz)
	case q.user != "":
		r.Header.Set("Authorization", basic(q.user, q.pass))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

// issue runs a successful client_credentials request for machine.
func (h *harness) issue(t testing.TB, form string) string {
	t.Helper()
	w := do(h.tokenH, "POST", "/oauth2/token", req{form: form, user: "machine", pass: secretMachine})
	if w.Code != 200 {
		t.Fatalf("token request %q: %d %s", form, w.Code, w.Body)
	}
	return decode(t, w)["access_token"].(string)
}
