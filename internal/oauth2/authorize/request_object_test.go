package authorize

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

const roIssuer = "https://signet.test/"

// roEnv is a client with an ES256 key registered inline, a resolver at a
// fixed time, and a stranger's key.
type roEnv struct {
	t        *testing.T
	key, bad *ecdsa.PrivateKey
	client   *client.Client
	objects  *RequestObjects
	now      time.Time
}

func newROEnv(t *testing.T) *roEnv {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bad, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Use: "sig"}}})
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	e := &roEnv{t: t, key: key, bad: bad, now: now,
		client: &client.Client{ID: "app", JWKS: set, RedirectURIs: []string{"https://app.example/cb"}}}
	e.objects = &RequestObjects{HTTP: httpx.NewOutboundClient(httpx.OutboundOptions{}), Now: func() time.Time { return now }}
	return e
}

// claims are a valid object's claims; edit changes them.
func (e *roEnv) claims(edit func(map[string]any)) map[string]any {
	c := map[string]any{"iss": "app", "aud": roIssuer, "client_id": "app", "exp": e.now.Add(5 * time.Minute).Unix(),
		"response_type": "code", "redirect_uri": "https://app.example/cb", "scope": "photos", "state": "object-state-123"}
	if edit != nil {
		edit(c)
	}
	return c
}

// sign makes a compact JWS over claims with key under alg.
func (e *roEnv) sign(alg jose.SignatureAlgorithm, key any, claims map[string]any) string {
	e.t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		e.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

func unsecured(claims map[string]any) string {
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(p) + "."
}

func (e *roEnv) resolve(q url.Values) (url.Values, *httpx.Error) {
	return e.objects.Resolve(context.Background(), q, e.client, roIssuer, false)
}

func TestRequestObjectByValue(t *testing.T) {
	e := newROEnv(t)
	// Plain OAuth: only the object's parameters count (RFC 9101 6.3).
	got, err := e.resolve(url.Values{"client_id": {"app"}, "scope": {"admin"}, "state": {"query-state"},
		"request": {e.sign(jose.ES256, e.key, e.claims(nil))}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("scope") != "photos" || got.Get("state") != "object-state-123" || got.Get("client_id") != "app" || got.Has("request") {
		t.Errorf("plain OAuth request resolved to %v; want only the object's parameters and client_id", got)
	}
	// OpenID Connect: the query's parameters stay, the object's win (OIDC Core 6.1).
	obj := e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["scope"] = "openid photos"; delete(c, "state") }))
	got, err = e.resolve(url.Values{"client_id": {"app"}, "scope": {"openid"}, "state": {"query-state"},
		"nonce": {"n-1"}, "request": {obj}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("scope") != "openid photos" || got.Get("state") != "query-state" || got.Get("nonce") != "n-1" {
		t.Errorf("OIDC request resolved to %v; want query parameters under the object's", got)
	}
}

func TestRequestObjectNumbersAndTypes(t *testing.T) {
	e := newROEnv(t)
	got, err := e.resolve(url.Values{"client_id": {"app"}, "request": {e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) {
		c["max_age"] = 300
		c["claims"] = map[string]any{"id_token": map[string]any{}}
	}))}})
	if err != nil || got.Get("max_age") != "300" || got.Has("claims") {
		t.Errorf("resolved %v, %v; want max_age 300 and the claims object ignored", got, err)
	}
	_, err = e.resolve(url.Values{"client_id": {"app"}, "request": {e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) {
		c["scope"] = []string{"a", "b"}
	}))}})
	if err == nil || err.Code != "invalid_request_object" {
		t.Errorf("scope as an array: %v, want invalid_request_object", err)
	}
}

// TestRequestObjectAttacks: every row must be refused with its code.
func TestRequestObjectAttacks(t *testing.T) {
	e := newROEnv(t)
	q := func(obj string) url.Values { return url.Values{"client_id": {"app"}, "request": {obj}} }
	hmacKey, _ := json.Marshal(jose.JSONWebKey{Key: &e.key.PublicKey})
	noneClient := *e.client
	noneClient.RequestObjectSigningAlg = "none"
	rsClient := *e.client
	rsClient.RequestObjectSigningAlg = "RS256"
	cases := []struct {
		name string
		c    *client.Client
		q    url.Values
		code string
	}{
		{"wrong signature", e.client, q(e.sign(jose.ES256, e.bad, e.claims(nil))), "invalid_request_object"},
		{"alg none, not registered", e.client, q(unsecured(e.claims(nil))), "invalid_request_object"},
		{"HS256 keyed with the public key", e.client, q(e.sign(jose.HS256, hmacKey, e.claims(nil))), "invalid_request_object"},
		{"signed, but the client registered none", &noneClient, q(e.sign(jose.ES256, e.key, e.claims(nil))), "invalid_request_object"},
		{"another alg than registered", &rsClient, q(e.sign(jose.ES256, e.key, e.claims(nil))), "invalid_request_object"},
		{"object for another client_id", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["client_id"] = "other" }))), "invalid_request_object"},
		{"iss of another client", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["iss"] = "other" }))), "invalid_request_object"},
		{"wrong aud", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["aud"] = "https://elsewhere.test" }))), "invalid_request_object"},
		{"expired", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["exp"] = e.now.Add(-2 * time.Minute).Unix() }))), "invalid_request_object"},
		{"exp too far ahead", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["exp"] = e.now.Add(3 * time.Hour).Unix() }))), "invalid_request_object"},
		{"not yet valid", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["nbf"] = e.now.Add(time.Hour).Unix() }))), "invalid_request_object"},
		{"request_uri inside", e.client, q(e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) { c["request_uri"] = "https://x.test" }))), "invalid_request_object"},
		{"not a JWT", e.client, q("garbage"), "invalid_request_object"},
		{"empty", e.client, q(""), "invalid_request_object"},
		{"request and request_uri", e.client, url.Values{"client_id": {"app"}, "request": {"a.b.c"}, "request_uri": {"https://app.example/r"}}, "invalid_request"},
		{"request_uri not registered", e.client, url.Values{"client_id": {"app"}, "request_uri": {"https://app.example/r"}}, "invalid_request_uri"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.objects.Resolve(context.Background(), c.q, c.c, roIssuer, false)
			if err == nil || err.Code != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
		})
	}
	// The registered "none" works for the client that registered it.
	if _, err := e.objects.Resolve(context.Background(), q(unsecured(e.claims(nil))), &noneClient, roIssuer, false); err != nil {
		t.Errorf("alg none for a client that registered none: %v", err)
	}
}

// TestRequestURIFetch: registered request_uri values are fetched with
// every bound in place.
func TestRequestURIFetch(t *testing.T) {
	e := newROEnv(t)
	obj := e.sign(jose.ES256, e.key, e.claims(nil))
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Type", "application/oauth-authz-req+jwt")
			_, _ = w.Write([]byte(obj))
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("a", maxRequestObjectLen+1)))
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/slow":
			<-release
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(release)
	e.client.RequestURIs = []string{srv.URL + "/ok", srv.URL + "/big", srv.URL + "/moved", srv.URL + "/slow", srv.URL + "/gone"}
	fetch := func(objects *RequestObjects, path string, allowHTTP bool) *httpx.Error {
		_, err := objects.Resolve(context.Background(), url.Values{"client_id": {"app"}, "request_uri": {srv.URL + path}},
			e.client, roIssuer, allowHTTP)
		return err
	}
	if err := fetch(e.objects, "/ok", true); err != nil {
		t.Fatalf("a registered request_uri in dev: %v", err)
	}
	if err := fetch(e.objects, "/ok", false); err == nil || err.Code != "invalid_request_uri" {
		t.Errorf("http outside dev: %v, want invalid_request_uri", err)
	}
	// Too large, a redirect (never followed, even to a registered URL), an error status.
	for _, path := range []string{"/big", "/moved", "/gone"} {
		if err := fetch(e.objects, path, true); err == nil || err.Code != "invalid_request_uri" {
			t.Errorf("%s: %v, want invalid_request_uri", path, err)
		}
	}
	guarded := *e.objects
	guarded.HTTP = httpx.NewOutboundClient(httpx.OutboundOptions{DisallowPrivateIPRanges: true})
	if err := fetch(&guarded, "/ok", true); err == nil || err.Code != "invalid_request_uri" {
		t.Errorf("a request_uri on a private address with the guard on: %v, want invalid_request_uri", err)
	}
	short := *e.objects
	short.HTTP = httpx.NewOutboundClient(httpx.OutboundOptions{Timeout: 50 * time.Millisecond})
	if err := fetch(&short, "/slow", true); err == nil || err.Code != "invalid_request_uri" {
		t.Errorf("a server that never answers: %v, want invalid_request_uri", err)
	}
}

// FuzzObjectParams: whatever the payload, no panic; a refusal is
// invalid_request_object; what comes out has the given client_id and
// never a parameter that picks another entry or another object.
func FuzzObjectParams(f *testing.F) {
	f.Add(`{"client_id":"app","scope":"openid","max_age":30}`)
	f.Add(`{"request_uri":"x"}`)
	f.Add(`{"login_verifier":"x","claims":{"a":1},"max_age":1.5}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, payload string) {
		out, err := objectParams([]byte(payload), "app")
		if err != nil {
			if err.Code != "invalid_request_object" {
				t.Fatalf("refused with %s", err.Code)
			}
			return
		}
		if out.Get("client_id") != "app" {
			t.Fatalf("client_id %q", out.Get("client_id"))
		}
		for _, k := range []string{"request", "request_uri", "login_verifier", "consent_verifier"} {
			if out.Has(k) {
				t.Fatalf("%s came through", k)
			}
		}
	})
}

// keysAt is a KeyFetcher serving one key set and recording the kids asked.
type keysAt struct {
	keys []jose.JSONWebKey
	kids []string
}

func (k *keysAt) Keys(_ context.Context, _, kid string) ([]jose.JSONWebKey, error) {
	k.kids = append(k.kids, kid)
	return k.keys, nil
}

// TestRequestObjectJWKSURI: a client with jwks_uri is verified with the
// fetcher's keys, which it asks for by the object's kid (the fetcher
// refetches once for a kid it lacks).
func TestRequestObjectJWKSURI(t *testing.T) {
	e := newROEnv(t)
	fetcher := &keysAt{keys: []jose.JSONWebKey{{Key: &e.key.PublicKey, KeyID: "k1", Use: "sig"}}}
	e.objects.JWKS = fetcher
	e.client.JWKS, e.client.JWKSURI = nil, "https://app.example/jwks.json"
	if _, err := e.resolve(url.Values{"client_id": {"app"}, "request": {e.sign(jose.ES256, e.key, e.claims(nil))}}); err != nil {
		t.Fatal(err)
	}
	if len(fetcher.kids) != 1 || fetcher.kids[0] != "k1" {
		t.Errorf("fetcher asked for %v, want [k1]", fetcher.kids)
	}
	e.client.JWKSURI = ""
	if _, err := e.resolve(url.Values{"client_id": {"app"}, "request": {e.sign(jose.ES256, e.key, e.claims(nil))}}); err == nil || err.Code != "invalid_request_object" {
		t.Errorf("a client without keys: %v, want invalid_request_object", err)
	}
}

// TestRequestObjectResources: RFC 8707 resource may be one URI or an array
// inside the object; either way the request carries each one.
func TestRequestObjectResources(t *testing.T) {
	e := newROEnv(t)
	for _, res := range []any{"https://api.example/a", []string{"https://api.example/a", "https://api.example/b"}} {
		got, err := e.resolve(url.Values{"client_id": {"app"}, "request": {e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) {
			c["resource"] = res
		}))}})
		if err != nil || len(got["resource"]) == 0 || got["resource"][0] != "https://api.example/a" {
			t.Errorf("resource %v resolved to %v, %v", res, got["resource"], err)
		}
	}
	_, err := e.resolve(url.Values{"client_id": {"app"}, "request": {e.sign(jose.ES256, e.key, e.claims(func(c map[string]any) {
		c["resource"] = []any{"https://api.example/a", 7}
	}))}})
	if err == nil || err.Code != "invalid_request_object" {
		t.Errorf("resource with a number: %v, want invalid_request_object", err)
	}
}
