package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// idTokenFixture signs ID tokens with a P-256 key the JWKS publishes.
type idTokenFixture struct {
	t     *testing.T
	key   *ecdsa.PrivateKey
	jwks  jose.JSONWebKeySet
	now   time.Time
	rules idTokenRules
}

func newIDTokenFixture(t *testing.T) *idTokenFixture {
	t.Helper()
	key := newECKey(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &idTokenFixture{
		t: t, key: key, now: now,
		jwks: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}},
		rules: idTokenRules{Issuer: "https://issuer.example/", ClientID: "app", Nonce: "n-0123456789",
			Algs: []jose.SignatureAlgorithm{jose.RS256, jose.ES256}, AccessToken: "at-1", Now: now},
	}
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// claims are those of a valid token; each case edits a copy.
func (f *idTokenFixture) claims() map[string]any {
	sum := sha256.Sum256([]byte("at-1"))
	return map[string]any{
		"iss": "https://issuer.example/", "sub": "alice", "aud": []string{"app"},
		"exp": f.now.Add(time.Hour).Unix(), "iat": f.now.Unix(), "nonce": "n-0123456789",
		"at_hash": base64.RawURLEncoding.EncodeToString(sum[:16]), "email": "alice@example.com",
	}
}

// sign signs payload (marshalled unless it is already []byte) with key as
// kid.
func (f *idTokenFixture) sign(key any, alg jose.SignatureAlgorithm, kid string, payload any) string {
	f.t.Helper()
	b, ok := payload.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(payload); err != nil {
			f.t.Fatal(err)
		}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	obj, err := s.Sign(b)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

func TestVerifyIDTokenAccepts(t *testing.T) {
	f := newIDTokenFixture(t)
	raw := f.sign(f.key, jose.ES256, "k1", f.claims())
	v, err := verifyIDToken(raw, f.jwks, f.rules)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(v.Claims, &got); err != nil || got["email"] != "alice@example.com" {
		t.Errorf("claims %s (%v): want every claim of the payload", v.Claims, err)
	}
	if v.Subject != "alice" || v.Algorithm != jose.ES256 || v.KeyID != "k1" {
		t.Errorf("verified %+v", v)
	}
	// A token without kid is tried against every fitting key.
	if _, err := verifyIDToken(f.sign(f.key, jose.ES256, "", f.claims()), f.jwks, f.rules); err != nil {
		t.Errorf("without kid: %v", err)
	}
	// at_hash is optional in the code flow (OIDC Core 3.1.3.8).
	c := f.claims()
	delete(c, "at_hash")
	if _, err := verifyIDToken(f.sign(f.key, jose.ES256, "k1", c), f.jwks, f.rules); err != nil {
		t.Errorf("without at_hash: %v", err)
	}
}

func TestVerifyIDTokenRefuses(t *testing.T) {
	f := newIDTokenFixture(t)
	other := newECKey(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) map[string]any {
		c := f.claims()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`))
	body, _ := json.Marshal(f.claims())
	unsigned := header + "." + base64.RawURLEncoding.EncodeToString(body) + "."

	for _, tc := range []struct {
		name, raw, want string
	}{
		{"wrong nonce", f.sign(f.key, jose.ES256, "k1", with("nonce", "n-other")), "nonce is not the one this command sent"},
		{"no nonce", f.sign(f.key, jose.ES256, "k1", with("nonce", nil)), "nonce is not the one"},
		{"signed by another key under the same kid", f.sign(other, jose.ES256, "k1", f.claims()), "signature does not verify"},
		{"kid not in the JWKS", f.sign(other, jose.ES256, "k2", f.claims()), `no ES256 signing key with kid "k2"`},
		{"alg none", unsigned, "not a JWS signed with one of"},
		{"HS256 with a shared secret", f.sign([]byte(strings.Repeat("s", 32)), jose.HS256, "k1", f.claims()), "not a JWS signed with one of"},
		{"alg outside discovery's list", f.sign(p384, jose.ES384, "k1", f.claims()), "not a JWS signed with one of"},
		{"wrong issuer", f.sign(f.key, jose.ES256, "k1", with("iss", "https://evil.example/")), `iss is "https://evil.example/"`},
		{"other audience", f.sign(f.key, jose.ES256, "k1", with("aud", []string{"someone-else"})), "does not contain the client ID"},
		{"azp of another client", f.sign(f.key, jose.ES256, "k1", with("azp", "someone-else")), "azp is"},
		{"no sub", f.sign(f.key, jose.ES256, "k1", with("sub", nil)), "no sub"},
		{"expired", f.sign(f.key, jose.ES256, "k1", with("exp", f.now.Add(-2*time.Minute).Unix())), "expired"},
		{"no exp", f.sign(f.key, jose.ES256, "k1", with("exp", nil)), "no exp"},
		{"no iat", f.sign(f.key, jose.ES256, "k1", with("iat", nil)), "no iat"},
		{"iat in the future", f.sign(f.key, jose.ES256, "k1", with("iat", f.now.Add(time.Hour).Unix())), "in the future"},
		{"at_hash of another token", f.sign(f.key, jose.ES256, "k1", with("at_hash", "AAAAAAAAAAAAAAAAAAAAAA")), "at_hash does not match"},
		{"exp of the wrong type", f.sign(f.key, jose.ES256, "k1", with("exp", "tomorrow")), "registered types"},
		{"payload not an object", f.sign(f.key, jose.ES256, "k1", []byte(`["alice"]`)), "registered types"},
		{"too long", strings.Repeat("a", maxIDTokenLen+1), "longer than"},
		{"garbage", "not.a.jwt", "not a JWS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyIDToken(tc.raw, f.jwks, f.rules)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestVerifyIDTokenKeySelection(t *testing.T) {
	f := newIDTokenFixture(t)
	raw := f.sign(f.key, jose.ES256, "k1", f.claims())
	pub := jose.JSONWebKey{Key: &f.key.PublicKey, KeyID: "k1"}
	for _, tc := range []struct {
		name string
		key  jose.JSONWebKey
	}{
		{"an encryption key", withUse(pub, "enc")},
		{"a key for another algorithm", withAlg(pub, "ES384")},
		// A symmetric key whose "secret" is public must never verify.
		{"a symmetric key", jose.JSONWebKey{Key: []byte(strings.Repeat("s", 32)), KeyID: "k1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyIDToken(raw, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{tc.key}}, f.rules)
			if err == nil || !strings.Contains(err.Error(), "no ES256 signing key") {
				t.Errorf("err %v: want the key skipped", err)
			}
		})
	}
	// The private half in a JWKS is reduced to its public key.
	priv := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: f.key, KeyID: "k1"}}}
	if _, err := verifyIDToken(raw, priv, f.rules); err != nil {
		t.Errorf("private JWK: %v", err)
	}
	if _, err := verifyIDToken(raw, f.jwks, idTokenRules{Issuer: "x"}); err == nil {
		t.Error("incomplete rules were accepted")
	}
}

func withUse(k jose.JSONWebKey, use string) jose.JSONWebKey { k.Use = use; return k }
func withAlg(k jose.JSONWebKey, alg string) jose.JSONWebKey { k.Algorithm = alg; return k }

func TestIDTokenAlgs(t *testing.T) {
	if algs, err := idTokenAlgs(nil); err != nil || len(algs) != 1 || algs[0] != jose.RS256 {
		t.Errorf("silent discovery: %v %v, want RS256 (OIDC Core 15.1)", algs, err)
	}
	if algs, err := idTokenAlgs([]string{"none", "HS256", "ES256", "RS256"}); err != nil || len(algs) != 2 || algs[0] != jose.ES256 || algs[1] != jose.RS256 {
		t.Errorf("got %v %v, want ES256 and RS256 only", algs, err)
	}
	if _, err := idTokenAlgs([]string{"none", "HS256"}); err == nil {
		t.Error("only none and HS256 were accepted")
	}
}

func TestAtHash(t *testing.T) {
	for _, tc := range []struct {
		alg  jose.SignatureAlgorithm
		size int // bytes of the left half
	}{{jose.RS256, 16}, {jose.ES384, 24}, {jose.PS512, 32}, {jose.EdDSA, 32}} {
		got, err := atHash(tc.alg, "at-1")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := base64.RawURLEncoding.DecodeString(got); len(b) != tc.size {
			t.Errorf("%s: %d bytes, want %d", tc.alg, len(b), tc.size)
		}
	}
	if _, err := atHash("HS256", "at-1"); err == nil {
		t.Error("HS256 gave an at_hash")
	}
}
