package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

const (
	caTokenURL  = "https://issuer.example/oauth2/token"
	caRevokeURL = "https://issuer.example/oauth2/revoke"
	caIssuer    = "https://issuer.example/"
	caJWKSURI   = "https://rp.example/jwks.json"
)

// caSecret and caOldSecret are client_secret_jwt secrets: 64 bytes, long
// enough for HS512.
var (
	caSecret    = strings.Repeat("current-secret-", 5)[:64]
	caOldSecret = strings.Repeat("rotated-secret-", 5)[:64]
)

// caKeys are generated once: RSA generation is slow.
type caKeyset struct {
	rsa, other *rsa.PrivateKey
	ec         *ecdsa.PrivateKey
}

var caKeysOnce = sync.OnceValue(func() caKeyset {
	r1, _ := rsa.GenerateKey(rand.Reader, 2048)
	r2, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return caKeyset{rsa: r1, other: r2, ec: ec}
})

// caReplay is an assertion.ReplayStore in memory that counts writes.
type caReplay struct {
	mu     sync.Mutex
	used   map[string]time.Time
	writes int
}

func (f *caReplay) UseJTI(_ context.Context, key string, expires time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if _, ok := f.used[key]; ok {
		return fmt.Errorf("jti: %w", storage.ErrAlreadyUsed)
	}
	f.used[key] = expires
	return nil
}

// caFetcher serves key sets by URI and counts fetches.
type caFetcher struct {
	mu    sync.Mutex
	sets  map[string][]jose.JSONWebKey
	calls int
}

func (f *caFetcher) Keys(_ context.Context, uri, _ string) ([]jose.JSONWebKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if keys, ok := f.sets[uri]; ok {
		return keys, nil
	}
	return nil, errors.New("fetch failed")
}

// caEnv is the package harness with client assertions enabled and JWT
// clients registered.
type caEnv struct {
	*harness
	replay  *caReplay
	fetcher *caFetcher
	hasher  *recordingHasher
}

func caJWKS(keys ...jose.JSONWebKey) json.RawMessage {
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	return b
}

func newCAEnv(t *testing.T) *caEnv {
	t.Helper()
	k := caKeysOnce()
	keyring, err := secret.NewKeyring([]string{"a-system-secret-of-32-characters!"}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &caEnv{replay: &caReplay{used: map[string]time.Time{}},
		fetcher: &caFetcher{sets: map[string][]jose.JSONWebKey{
			caJWKSURI: {{Key: &k.rsa.PublicKey, KeyID: "uri-key", Use: "sig"}},
		}},
		hasher: &recordingHasher{Hasher: secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}},
	}
	e.harness = newHarness(t, func(d *Deps) {
		d.Hasher = e.hasher
		d.Assertions, err = NewAssertions(AssertionDeps{Keyring: keyring, JWKS: e.fetcher,
			Replay: e.replay, Config: func() *config.Config { return e.cfg }, Now: func() time.Time { return e.clock.Now() }})
		if err != nil {
			t.Fatal(err)
		}
	})
	seal := func(id, s string) []byte {
		out, err := client.SealSecret(keyring, id, s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cc := []string{"client_credentials"}
	jwks := caJWKS(jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Use: "sig"},
		jose.JSONWebKey{Key: &k.ec.PublicKey, KeyID: "ec-1", Use: "sig"})
	for _, c := range []*client.Client{
		{ID: "pk", TokenEndpointAuthMethod: MethodPrivateKeyJWT, JWKS: jwks, GrantTypes: cc, Scope: "read"},
		{ID: "pk-es256", TokenEndpointAuthMethod: MethodPrivateKeyJWT, JWKS: jwks, TokenEndpointAuthSigningAlg: "ES256", GrantTypes: cc},
		{ID: "pk-uri", TokenEndpointAuthMethod: MethodPrivateKeyJWT, JWKSURI: caJWKSURI, GrantTypes: cc},
		{ID: "pk-down", TokenEndpointAuthMethod: MethodPrivateKeyJWT, JWKSURI: "https://down.example/jwks", GrantTypes: cc},
		{ID: "hs", TokenEndpointAuthMethod: MethodSecretJWT, GrantTypes: cc, Credentials: client.Credentials{
			SealedSecret: seal("hs", caSecret), Rotated: []client.StoredSecret{{Sealed: seal("hs", caOldSecret)}}}},
		{ID: "hs-expired", TokenEndpointAuthMethod: MethodSecretJWT, GrantTypes: cc, SecretExpiresAt: oauth2test.T0.Unix() - 1,
			Credentials: client.Credentials{SealedSecret: seal("hs-expired", caSecret)}},
		// A sealed secret copied from another client does not open.
		{ID: "hs-copied", TokenEndpointAuthMethod: MethodSecretJWT, GrantTypes: cc,
			Credentials: client.Credentials{SealedSecret: seal("hs", caSecret)}},
	} {
		e.db.Clients[c.ID] = c
	}
	return e
}

// caJTI numbers the jti values of caClaims.
var caJTI atomic.Int64

// caClaims are valid claims of client id at oauth2test.T0.
func caClaims(id string) map[string]any {
	return map[string]any{"iss": id, "sub": id, "aud": caTokenURL, "jti": fmt.Sprintf("jti-%d", caJTI.Add(1)),
		"exp": oauth2test.T0.Add(5 * time.Minute).Unix(), "iat": oauth2test.T0.Unix()}
}

// caSign signs claims; key is a private key or an HMAC secret.
func caSign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := obj.CompactSerialize()
	return raw
}

func caForm(raw string, extra ...string) string {
	v := url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {raw}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

// caAuth authenticates a form POSTed to path.
func (e *caEnv) caAuth(path string, q oauth2test.Req) (*client.Client, *httpx.Error) {
	r := httptest.NewRequest("POST", path, nil)
	if q.User != "" {
		r.Header.Set("Authorization", oauth2test.Basic(q.User, q.Pass))
	}
	form, _ := url.ParseQuery(q.Form)
	c, err := e.auth.Authenticate(context.Background(), r, form)
	if err != nil {
		var he *httpx.Error
		if !errors.As(err, &he) {
			panic(err)
		}
		return nil, he
	}
	return c, nil
}

func TestClientAssertionAccepts(t *testing.T) {
	k := caKeysOnce()
	with := func(id string, mutate func(map[string]any)) map[string]any {
		c := caClaims(id)
		mutate(c)
		return c
	}
	cases := []struct {
		name, path, raw, extra string
		want                   string
	}{
		{"RS256 with kid", "/oauth2/token", caSign(t, jose.RS256, k.rsa, "rsa-1", caClaims("pk")), "", "pk"},
		{"PS384 without kid", "/oauth2/token", caSign(t, jose.PS384, k.rsa, "", caClaims("pk")), "", "pk"},
		{"ES256", "/oauth2/token", caSign(t, jose.ES256, k.ec, "ec-1", caClaims("pk")), "", "pk"},
		{"ES256 when registered", "/oauth2/token", caSign(t, jose.ES256, k.ec, "", caClaims("pk-es256")), "", "pk-es256"},
		{"matching client_id in the body", "/oauth2/token", caSign(t, jose.RS256, k.rsa, "", caClaims("pk")), "pk", "pk"},
		{"aud is the issuer", "/oauth2/token", caSign(t, jose.RS256, k.rsa, "", with("pk", func(c map[string]any) { c["aud"] = caIssuer })), "", "pk"},
		{"aud array", "/oauth2/token", caSign(t, jose.RS256, k.rsa, "", with("pk", func(c map[string]any) { c["aud"] = []string{"x", caTokenURL} })), "", "pk"},
		{"aud is the revocation endpoint, called there", "/oauth2/revoke", caSign(t, jose.RS256, k.rsa, "", with("pk", func(c map[string]any) { c["aud"] = caRevokeURL })), "", "pk"},
		{"no iat (optional)", "/oauth2/token", caSign(t, jose.RS256, k.rsa, "", with("pk", func(c map[string]any) { delete(c, "iat") })), "", "pk"},
		{"jwks_uri", "/oauth2/token", caSign(t, jose.RS256, k.rsa, "uri-key", caClaims("pk-uri")), "", "pk-uri"},
		{"client_secret_jwt HS256", "/oauth2/token", caSign(t, jose.HS256, []byte(caSecret), "", caClaims("hs")), "", "hs"},
		{"client_secret_jwt HS512", "/oauth2/token", caSign(t, jose.HS512, []byte(caSecret), "", caClaims("hs")), "", "hs"},
		{"client_secret_jwt with the rotated secret", "/oauth2/token", caSign(t, jose.HS256, []byte(caOldSecret), "", caClaims("hs")), "", "hs"},
	}
	e := newCAEnv(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			extra := []string{}
			if tc.extra != "" {
				extra = []string{"client_id", tc.extra}
			}
			c, err := e.caAuth(tc.path, oauth2test.Req{Form: caForm(tc.raw, extra...)})
			if err != nil || c.ID != tc.want {
				t.Fatalf("got %v, %v", c, err)
			}
		})
	}
	if got := e.hasher.takeVerified(); len(got) != 0 {
		t.Fatalf("client assertions ran %d slow hash verifications", len(got))
	}
}

func TestClientAssertionRefuses(t *testing.T) {
	k := caKeysOnce()
	der, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	with := func(id string, mutate func(map[string]any)) map[string]any {
		c := caClaims(id)
		mutate(c)
		return c
	}
	none := func(claims map[string]any) string {
		p, _ := json.Marshal(claims)
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none"}`)) + "." + enc(p) + "."
	}
	rs := func(claims map[string]any) string { return caSign(t, jose.RS256, k.rsa, "", claims) }
	cases := []struct {
		name  string
		q     oauth2test.Req
		code  string
		hint  string // substring; assertionFailed for the generic refusal
		basic bool   // WWW-Authenticate Basic expected
	}{
		{"type without assertion", oauth2test.Req{Form: "client_assertion_type=" + url.QueryEscape(AssertionType)}, "invalid_request", "missing", false},
		{"assertion without type", oauth2test.Req{Form: "client_assertion=" + rs(caClaims("pk"))}, "invalid_request", "client_assertion_type", false},
		{"unknown type", oauth2test.Req{Form: "client_assertion_type=saml&client_assertion=x"}, "invalid_request", "not supported", false},
		{"assertion and Basic", oauth2test.Req{Form: caForm(rs(caClaims("pk"))), User: "pk", Pass: "x"}, "invalid_request", "more than one", false},
		{"assertion and client_secret", oauth2test.Req{Form: caForm(rs(caClaims("pk")), "client_secret", "x")}, "invalid_request", "more than one", false},
		{"not a JWT", oauth2test.Req{Form: caForm("abc")}, "invalid_client", "compact", false},
		{"alg none", oauth2test.Req{Form: caForm(none(caClaims("pk")))}, "invalid_client", `"none"`, false},
		{"iss and sub differ", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { c["sub"] = "hs" })))}, "invalid_client", "both be the client_id", false},
		{"no sub", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { delete(c, "sub") })))}, "invalid_client", "iss and sub", false},
		{"body client_id differs", oauth2test.Req{Form: caForm(rs(caClaims("pk")), "client_id", "hs")}, "invalid_client", "differs", false},
		{"unknown client", oauth2test.Req{Form: caForm(rs(caClaims("ghost")))}, "invalid_client", assertionFailed, false},
		{"client registered for basic", oauth2test.Req{Form: caForm(rs(caClaims("machine")))}, "invalid_client", assertionFailed, false},
		{"public client", oauth2test.Req{Form: caForm(rs(caClaims("public")))}, "invalid_client", assertionFailed, false},
		{"HS256 signed with the public key, private_key_jwt client", oauth2test.Req{Form: caForm(caSign(t, jose.HS256, der, "", caClaims("pk")))}, "invalid_client", assertionFailed, false},
		{"RS256 for a client_secret_jwt client", oauth2test.Req{Form: caForm(rs(caClaims("hs")))}, "invalid_client", assertionFailed, false},
		{"alg other than the registered one", oauth2test.Req{Form: caForm(rs(caClaims("pk-es256")))}, "invalid_client", assertionFailed, false},
		{"signed by another key", oauth2test.Req{Form: caForm(caSign(t, jose.RS256, k.other, "", caClaims("pk")))}, "invalid_client", assertionFailed, false},
		{"unknown kid", oauth2test.Req{Form: caForm(caSign(t, jose.RS256, k.rsa, "rotated-away", caClaims("pk")))}, "invalid_client", assertionFailed, false},
		{"jwks_uri unreachable", oauth2test.Req{Form: caForm(rs(caClaims("pk-down")))}, "invalid_client", assertionFailed, false},
		{"wrong HMAC secret", oauth2test.Req{Form: caForm(caSign(t, jose.HS256, []byte(strings.Repeat("w", 64)), "", caClaims("hs")))}, "invalid_client", assertionFailed, false},
		{"expired client secret", oauth2test.Req{Form: caForm(caSign(t, jose.HS256, []byte(caSecret), "", caClaims("hs-expired")))}, "invalid_client", assertionFailed, false},
		{"expired assertion", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { c["exp"] = oauth2test.T0.Add(-2 * time.Minute).Unix() })))}, "invalid_client", "expired", false},
		{"exp too far ahead", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { c["exp"] = oauth2test.T0.Add(2 * time.Hour).Unix() })))}, "invalid_client", "too far in the future", false},
		{"no exp", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { delete(c, "exp") })))}, "invalid_client", `no "exp"`, false},
		{"wrong aud", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { c["aud"] = "https://evil.example/token" })))}, "invalid_client", caTokenURL, false},
		{"revocation aud at the token endpoint", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { c["aud"] = caRevokeURL })))}, "invalid_client", "aud", false},
		{"no jti", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { delete(c, "jti") })))}, "invalid_client", `no "jti"`, false},
		{"nbf in the future", oauth2test.Req{Form: caForm(rs(with("pk", func(c map[string]any) { c["nbf"] = oauth2test.T0.Add(time.Hour).Unix() })))}, "invalid_client", "not valid yet", false},
	}
	e := newCAEnv(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.caAuth("/oauth2/token", tc.q)
			if err == nil {
				t.Fatalf("authenticated as %q", c.ID)
			}
			if err.Code != tc.code || !strings.Contains(err.Hint, tc.hint) {
				t.Fatalf("got %s %q, want %s with %q", err.Code, err.Hint, tc.code, tc.hint)
			}
			if tc.code == "invalid_client" && err.Status != 401 {
				t.Fatalf("status %d", err.Status)
			}
			if err.Header.Get("WWW-Authenticate") != "" {
				t.Fatalf("WWW-Authenticate %q without HTTP Basic", err.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if got := e.hasher.takeVerified(); len(got) != 0 {
		t.Fatalf("refused assertions ran %d slow hash verifications", len(got))
	}
	if e.replay.writes != 0 {
		t.Fatalf("refused assertions spent %d jti", e.replay.writes)
	}
}

// TestClientAssertionReplay: a jti authenticates once per client; a
// refused request does not spend it; another client may use the same value.
func TestClientAssertionReplay(t *testing.T) {
	k := caKeysOnce()
	e := newCAEnv(t)
	claims := caClaims("pk")
	claims["jti"] = "once"
	raw := caSign(t, jose.RS256, k.rsa, "", claims)
	if _, err := e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm(raw)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm(raw)})
	if err == nil || err.Code != "invalid_client" || !strings.Contains(err.Hint, "used before") {
		t.Fatalf("replay: %v", err)
	}
	key := assertion.ReplayKey(assertion.ClientAssertionScope("pk"), "once")
	if exp := e.replay.used[key]; !exp.Equal(oauth2test.T0.Add(5*time.Minute + assertion.Leeway)) {
		t.Fatalf("jti remembered until %v", exp)
	}
	other := caClaims("pk-es256")
	other["jti"] = "once"
	if _, err := e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm(caSign(t, jose.ES256, k.ec, "", other))}); err != nil {
		t.Fatalf("another client's jti collided: %v", err)
	}
}

// TestClientAssertionBudget: one client read, one jti write; a jwks_uri
// client adds one fetch (cached by the real fetcher); malformed input
// touches nothing.
func TestClientAssertionBudget(t *testing.T) {
	k := caKeysOnce()
	e := newCAEnv(t)
	e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm(caSign(t, jose.RS256, k.rsa, "", caClaims("pk-uri")))})
	if e.db.ClientReads != 1 || e.replay.writes != 1 || e.fetcher.calls != 1 {
		t.Fatalf("%d reads, %d jti writes, %d fetches", e.db.ClientReads, e.replay.writes, e.fetcher.calls)
	}
	e.db.Reset()
	e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm("e30.e30.")})
	e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm(strings.Repeat("a", assertion.MaxLength+1))})
	if e.db.Total() != 0 || e.replay.writes != 1 {
		t.Fatal("malformed assertions reached storage")
	}
}

// TestClientAssertionAtTheTokenEndpoint: client_credentials with
// private_key_jwt end to end through the handler.
func TestClientAssertionAtTheTokenEndpoint(t *testing.T) {
	k := caKeysOnce()
	e := newCAEnv(t)
	form := caForm(caSign(t, jose.RS256, k.rsa, "rsa-1", caClaims("pk")), "grant_type", "client_credentials", "scope", "read")
	w := oauth2test.Do(e.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: form})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = oauth2test.Do(e.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: form})
	if w.Code != 401 || oauth2test.Decode(t, w)["error"] != "invalid_client" {
		t.Fatalf("replayed at the endpoint: %d %s", w.Code, w.Body)
	}
}

func TestClientAssertionsDisabled(t *testing.T) {
	k := caKeysOnce()
	h := newHarness(t)
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	form, _ := url.ParseQuery(caForm(caSign(t, jose.RS256, k.rsa, "", caClaims("pk"))))
	_, err := h.auth.Authenticate(context.Background(), r, form)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Code != "invalid_client" || !strings.Contains(he.Hint, "not enabled") {
		t.Fatalf("got %v", err)
	}
}

func TestClientAssertionSealedSecretOfAnotherClient(t *testing.T) {
	e := newCAEnv(t)
	_, err := e.caAuth("/oauth2/token", oauth2test.Req{Form: caForm(caSign(t, jose.HS256, []byte(caSecret), "", caClaims("hs-copied")))})
	if err == nil || err.Code != "server_error" {
		t.Fatalf("a sealed secret copied from another client: %v", err)
	}
}

func TestNewClientAssertionsChecksDeps(t *testing.T) {
	keyring, _ := secret.NewKeyring([]string{"a-system-secret-of-32-characters!"}, rand.Reader)
	ok := AssertionDeps{Keyring: keyring, JWKS: &caFetcher{}, Replay: &caReplay{},
		Config: func() *config.Config { return nil }, Now: time.Now}
	for name, mutate := range map[string]func(*AssertionDeps){
		"no keyring":        func(d *AssertionDeps) { d.Keyring = nil },
		"no fetcher":        func(d *AssertionDeps) { d.JWKS = nil },
		"no replay store":   func(d *AssertionDeps) { d.Replay = nil },
		"no config":         func(d *AssertionDeps) { d.Config = nil },
		"no clock":          func(d *AssertionDeps) { d.Now = nil },
		"negative lifetime": func(d *AssertionDeps) { d.MaxLifetime = -1 },
	} {
		d := ok
		mutate(&d)
		if _, err := NewAssertions(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	v, err := NewAssertions(ok)
	if err != nil || v.maxLifetime != DefaultAssertionMaxLifetime {
		t.Fatalf("%v %v", v, err)
	}
}

func TestClientAuthDiscoveryLists(t *testing.T) {
	methods := TokenEndpointAuthMethods()
	for _, m := range []string{MethodBasic, MethodPost, MethodPrivateKeyJWT, MethodSecretJWT, MethodNone} {
		if !slices.Contains(methods, m) {
			t.Errorf("methods lack %s", m)
		}
	}
	algs := TokenEndpointAuthSigningAlgs()
	if len(algs) != 13 || slices.Contains(algs, "none") {
		t.Fatalf("algs %v", algs)
	}
}
