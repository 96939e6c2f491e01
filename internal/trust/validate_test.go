package trust

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
)

// testKeys are one key pair of each supported type, made once per test.
type testKeys struct {
	rsa     *rsa.PrivateKey
	rsaWeak *rsa.PrivateKey
	ec256   *ecdsa.PrivateKey
	ec384   *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	var k testKeys
	var err error
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsaWeak, err = rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // the weak key is the point
	must(err)
	k.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
}

// jwkJSON marshals key as a JWK with kid, alg and use.
func jwkJSON(t *testing.T, key any, kid, alg, use string) json.RawMessage {
	t.Helper()
	raw, err := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestRequestValidate(t *testing.T) {
	keys := newTestKeys(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	rsaPub := jwkJSON(t, &keys.rsa.PublicKey, "k1", "RS256", "sig")
	valid := func() Request {
		return Request{Issuer: "https://issuer.example", Subject: "alice", Scope: []string{"read", "write"},
			JWK: rsaPub, ExpiresAt: now.Add(time.Hour)}
	}
	cases := []struct {
		name   string
		edit   func(r *Request)
		reason string // a fragment of the 400's message
	}{
		{"issuer missing", func(r *Request) { r.Issuer = "" }, "'issuer' is required"},
		{"issuer too long", func(r *Request) { r.Issuer = strings.Repeat("i", 256) }, "'issuer' must be at most 255"},
		{"issuer with a newline", func(r *Request) { r.Issuer = "https://a\nb" }, "'issuer' must not contain control"},
		{"neither subject nor any subject", func(r *Request) { r.Subject = "" }, "One of 'subject' or 'allow_any_subject'"},
		{"subject and any subject", func(r *Request) { r.AllowAnySubject = true }, "cannot be set at the same time"},
		{"subject too long", func(r *Request) { r.Subject = strings.Repeat("s", 256) }, "'subject' must be at most 255"},
		{"subject with NUL", func(r *Request) { r.Subject = "a\x00b" }, "'subject' must not contain control"},
		{"expires_at missing", func(r *Request) { r.ExpiresAt = time.Time{} }, "'expires_at' is required"},
		{"expires_at past", func(r *Request) { r.ExpiresAt = now.Add(-time.Second) }, "'expires_at' must be in the future"},
		{"expires_at now", func(r *Request) { r.ExpiresAt = now }, "'expires_at' must be in the future"},
		{"expires_at past 9999 in UTC", func(r *Request) {
			r.ExpiresAt = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("-12", -12*3600))
		}, "'expires_at' must be before the year 10000 in UTC"},
		{"scope missing", func(r *Request) { r.Scope = nil }, "'scope' is required"},
		{"scope too many", func(r *Request) { r.Scope = make([]string, 101); fill(r.Scope, "s") }, "at most 100 entries"},
		{"scope with space", func(r *Request) { r.Scope = []string{"read write"} }, "not a scope token"},
		{"scope empty token", func(r *Request) { r.Scope = []string{""} }, "not a scope token"},
		{"scope with quote", func(r *Request) { r.Scope = []string{`a"b`} }, "not a scope token"},
		{"scope too long", func(r *Request) { r.Scope = []string{strings.Repeat("s", 256)} }, "at most 255 bytes"},
		{"jwk missing", func(r *Request) { r.JWK = nil }, "'jwk' is required"},
		{"jwk null", func(r *Request) { r.JWK = json.RawMessage("null") }, "'jwk' is required"},
		{"jwk not a key", func(r *Request) { r.JWK = json.RawMessage(`{"kty":"RSA"}`) }, "not a valid JSON Web Key"},
		{"jwk not an object", func(r *Request) { r.JWK = json.RawMessage(`"k"`) }, "not a valid JSON Web Key"},
		{"jwk too large", func(r *Request) { r.JWK = json.RawMessage(`"` + strings.Repeat("x", 17<<10) + `"`) }, "at most 16384 bytes"},
		{"jwk without kid", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, "", "RS256", "sig") }, "must contain a JWK with a kid"},
		{"jwk kid too long", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, strings.Repeat("k", 256), "", "") }, "kid of field 'jwk' must be at most"},
		{"jwk RSA private", func(r *Request) { r.JWK = jwkJSON(t, keys.rsa, "k1", "RS256", "sig") }, "must be a public key"},
		{"jwk EC private", func(r *Request) { r.JWK = jwkJSON(t, keys.ec256, "k1", "ES256", "sig") }, "must be a public key"},
		{"jwk Ed25519 private", func(r *Request) { r.JWK = jwkJSON(t, keys.ed, "k1", "EdDSA", "sig") }, "must be a public key"},
		{"jwk symmetric", func(r *Request) { r.JWK = jwkJSON(t, []byte("0123456789abcdef0123456789abcdef"), "k1", "HS256", "sig") }, "symmetric"},
		{"jwk alg none", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, "k1", "none", "sig") }, `alg "none"`},
		{"jwk alg HS256 on RSA", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, "k1", "HS256", "sig") }, `alg "HS256"`},
		{"jwk alg ES256 on RSA", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, "k1", "ES256", "") }, `alg "ES256"`},
		{"jwk alg ES256 on P-384", func(r *Request) { r.JWK = jwkJSON(t, &keys.ec384.PublicKey, "k1", "ES256", "") }, "allowed: ES384"},
		{"jwk encryption alg", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, "k1", "RSA-OAEP", "") }, `alg "RSA-OAEP"`},
		{"jwk use enc", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsa.PublicKey, "k1", "RS256", "enc") }, `use "enc"`},
		{"jwk RSA 1024 bits", func(r *Request) { r.JWK = jwkJSON(t, &keys.rsaWeak.PublicKey, "k1", "RS256", "sig") }, "1024 bits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.edit(&r)
			_, err := r.Validate(now)
			assertBadRequest(t, err, tc.reason)
		})
	}

	t.Run("valid keys of every type", func(t *testing.T) {
		for _, key := range []json.RawMessage{
			rsaPub,
			jwkJSON(t, &keys.rsa.PublicKey, "k1", "PS512", ""),
			jwkJSON(t, &keys.ec256.PublicKey, "k1", "", ""),
			jwkJSON(t, &keys.ec384.PublicKey, "k1", "ES384", "sig"),
			jwkJSON(t, keys.ed.Public(), "k1", "EdDSA", "sig"),
		} {
			r := valid()
			r.JWK = key
			if _, err := r.Validate(now); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		}
	})

	t.Run("the grant is what the engine enforces", func(t *testing.T) {
		r := valid()
		r.Subject, r.AllowAnySubject = "", true
		r.Scope = []string{"read", "write", "read"}
		r.ExpiresAt = time.Date(2031, 1, 1, 1, 0, 0, 123456789, time.FixedZone("x", 3600))
		g, err := r.Validate(now)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g.Scope, []string{"read", "write"}) {
			t.Errorf("scope = %v, want duplicates dropped", g.Scope)
		}
		want := time.Date(2031, 1, 1, 0, 0, 0, 123456000, time.UTC)
		if !g.ExpiresAt.Equal(want) || g.ExpiresAt.Location() != time.UTC {
			t.Errorf("expires_at = %v, want %v (UTC, microseconds)", g.ExpiresAt, want)
		}
		if g.KeyID != "k1" || !g.AllowAnySubject || g.Subject != "" {
			t.Errorf("grant = %+v", g)
		}
		k, err := g.DecodeKey()
		if err != nil || !k.IsPublic() || k.KeyID != "k1" {
			t.Errorf("stored key: %v %+v", err, k)
		}
	})
}

func TestParseKeyStoresOnlyThePublicKey(t *testing.T) {
	keys := newTestKeys(t)
	// Extra members are dropped: what is stored is go-jose's canonical
	// public JWK, nothing the caller added.
	raw := jwkJSON(t, &keys.ec256.PublicKey, "k1", "ES256", "sig")
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["note"] = "not kept"
	raw, _ = json.Marshal(m)
	_, canonical, err := ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(canonical, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["note"]; ok {
		t.Errorf("stored key kept an unknown member: %s", canonical)
	}
	if got["kid"] != "k1" || got["alg"] != "ES256" || got["kty"] != "EC" {
		t.Errorf("stored key = %s", canonical)
	}
}

func TestAlgorithms(t *testing.T) {
	keys := newTestKeys(t)
	cases := []struct {
		key  jose.JSONWebKey
		want []jose.SignatureAlgorithm
	}{
		{jose.JSONWebKey{Key: &keys.rsa.PublicKey}, []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}},
		{jose.JSONWebKey{Key: &keys.rsa.PublicKey, Algorithm: "PS256"}, []jose.SignatureAlgorithm{jose.PS256}},
		{jose.JSONWebKey{Key: &keys.rsa.PublicKey, Algorithm: "HS256"}, nil},
		{jose.JSONWebKey{Key: &keys.ec256.PublicKey}, []jose.SignatureAlgorithm{jose.ES256}},
		{jose.JSONWebKey{Key: &keys.ec384.PublicKey, Algorithm: "ES256"}, nil},
		{jose.JSONWebKey{Key: keys.ed.Public()}, []jose.SignatureAlgorithm{jose.EdDSA}},
		{jose.JSONWebKey{Key: []byte("secret")}, nil},
	}
	for _, tc := range cases {
		if got := Algorithms(tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("Algorithms(%T alg %q) = %v, want %v", tc.key.Key, tc.key.Algorithm, got, tc.want)
		}
	}
}

func assertBadRequest(t *testing.T, err error, reason string) {
	t.Helper()
	var e *httpx.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want a 400", err)
	}
	if !strings.Contains(e.Description, reason) {
		t.Errorf("message %q does not say %q", e.Description, reason)
	}
}

func fill(s []string, v string) {
	for i := range s {
		s[i] = v
	}
}
