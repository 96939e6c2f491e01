package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/jwk"
)

const idIssuer = "https://issuer.example"

func newIDTokens(t testing.TB) (*IDTokens, *fakeKeys) {
	t.Helper()
	keys := newFakeKeys(t, jwk.SetIDToken, jwk.SetAccessToken)
	return &IDTokens{Signer: keys, Keys: keys, Now: func() time.Time { return testNow }}, keys
}

func testIDClaims() IDTokenClaims {
	return IDTokenClaims{
		Issuer: idIssuer, Subject: "alice", Audience: []string{"web-app"},
		ExpiresAt: testNow.Add(time.Hour), IssuedAt: testNow,
	}
}

// verifyWith checks raw's signature with pub (independently of ParseHint)
// and returns its header and claims.
func verifyWith(t *testing.T, raw string, pub jose.JSONWebKey) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, idTokenAlgorithms)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("signature does not verify with the ID token key: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header, claims
}

// leftHalf is OIDC Core 3.3.2.11 computed directly, for comparison.
func leftHalf(h hash.Hash, v string) string {
	h.Write([]byte(v))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// Published values a relying party checks against.
func TestHalfHashKnownVectors(t *testing.T) {
	cases := []struct{ name, value, want string }{
		// OpenID Connect Core 1.0 appendix A.4 (code id_token, RS256).
		{"core A.4 c_hash", "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk", "LDktKdoQak3Pk0cnXxCltA"},
		// An RS256 Google token response (access_token and its at_hash).
		{"google at_hash", "ya29.eQETFbFOkAs8nWHcmYXKwEi0Zz46NfsrUU_KuQLOLTwWS40y6Fb99aVzEXC0U14m61lcPMIr1hEIBA", "aUAkJG-u6x4RTWuILWy-CA"},
	}
	for _, c := range cases {
		if got := halfHash(crypto.SHA256, c.value); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// signingKeys is a fakeKeys whose ID token set holds one key of the given
// algorithm.
func signingKeys(t *testing.T, alg jose.SignatureAlgorithm, key any) *fakeKeys {
	t.Helper()
	priv := jose.JSONWebKey{Key: key, KeyID: "kid-" + string(alg), Algorithm: string(alg), Use: "sig"}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeKeys{
		signers: map[string]jose.Signer{jwk.SetIDToken: s},
		public:  map[string]jose.JSONWebKey{jwk.SetIDToken: priv.Public()},
	}
}

func TestMintHashesFollowTheSigningAlgorithm(t *testing.T) {
	ec := func(c elliptic.Curve) any {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := newRSAKey(t, "x").Key
	cases := []struct {
		alg  jose.SignatureAlgorithm
		key  any
		hash func() hash.Hash
	}{
		{jose.RS256, rsaKey, sha256.New},
		{jose.PS384, rsaKey, sha512.New384},
		{jose.RS512, rsaKey, sha512.New},
		{jose.ES256, ec(elliptic.P256()), sha256.New},
		{jose.ES384, ec(elliptic.P384()), sha512.New384},
		{jose.ES512, ec(elliptic.P521()), sha512.New},
		{jose.EdDSA, edKey, sha512.New}, // Ed25519: SHA-512, see hashFor
	}
	for _, c := range cases {
		t.Run(string(c.alg), func(t *testing.T) {
			keys := signingKeys(t, c.alg, c.key)
			ids := &IDTokens{Signer: keys, Keys: keys, Now: func() time.Time { return testNow }}
			claims := testIDClaims()
			claims.AccessToken, claims.Code = "the-access-token", "the-code"
			raw, _, err := ids.Mint(context.Background(), claims)
			if err != nil {
				t.Fatal(err)
			}
			hdr, body := verifyWith(t, raw, keys.public[jwk.SetIDToken])
			if hdr.Algorithm != string(c.alg) || hdr.KeyID != "kid-"+string(c.alg) {
				t.Errorf("header alg %q kid %q", hdr.Algorithm, hdr.KeyID)
			}
			if want := leftHalf(c.hash(), "the-access-token"); body["at_hash"] != want {
				t.Errorf("at_hash %v, want %s", body["at_hash"], want)
			}
			if want := leftHalf(c.hash(), "the-code"); body["c_hash"] != want {
				t.Errorf("c_hash %v, want %s", body["c_hash"], want)
			}
			if strings.Contains(raw, base64.RawURLEncoding.EncodeToString([]byte("the-access-token"))) {
				t.Error("the access token itself is in the ID token")
			}
		})
	}
}

func TestMintClaimsRoundTrip(t *testing.T) {
	ids, keys := newIDTokens(t)
	c := testIDClaims()
	c.AuthTime = testNow.Add(-time.Minute)
	c.RequestedAt = testNow.Add(-2 * time.Minute)
	c.Nonce, c.ACR, c.SessionID = "n-0S6_WzA2Mj", "urn:acr:pwd", "sid-1"
	c.AMR = []string{"pwd", "otp"}
	c.Extra = map[string]any{"email": "alice@example.com", "groups": []any{"a", "b"}}
	raw, dropped, err := ids.Mint(context.Background(), c)
	if err != nil || dropped != nil {
		t.Fatalf("Mint: %v, dropped %v", err, dropped)
	}
	hdr, got := verifyWith(t, raw, keys.public[jwk.SetIDToken])
	if hdr.KeyID != jwk.SetIDToken+"-kid" || hdr.ExtraHeaders["typ"] != "JWT" {
		t.Errorf("header kid %q typ %v", hdr.KeyID, hdr.ExtraHeaders["typ"])
	}
	want := map[string]any{
		"iss": idIssuer, "sub": "alice", "aud": []any{"web-app"},
		"exp": float64(testNow.Add(time.Hour).Unix()), "iat": float64(testNow.Unix()),
		"auth_time": float64(c.AuthTime.Unix()), "rat": float64(c.RequestedAt.Unix()),
		"nonce": "n-0S6_WzA2Mj", "acr": "urn:acr:pwd", "sid": "sid-1", "amr": []any{"pwd", "otp"},
		"email": "alice@example.com", "groups": []any{"a", "b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims\n got %v\nwant %v", got, want)
	}
}

func TestMintOmitsUnsetOptionalClaims(t *testing.T) {
	ids, keys := newIDTokens(t)
	c := testIDClaims()
	c.IssuedAt = time.Time{} // defaults to Now
	raw, _, err := ids.Mint(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	_, got := verifyWith(t, raw, keys.public[jwk.SetIDToken])
	for _, name := range []string{"auth_time", "rat", "nonce", "acr", "amr", "sid", "at_hash", "c_hash", "azp"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s present though unset", name)
		}
	}
	if got["iat"] != float64(testNow.Unix()) {
		t.Errorf("iat %v, want Now", got["iat"])
	}
}

func TestMintSetsAzpForSeveralAudiences(t *testing.T) {
	ids, keys := newIDTokens(t)
	c := testIDClaims()
	c.Audience = []string{"web-app", "https://api.example"}
	raw, _, err := ids.Mint(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	_, got := verifyWith(t, raw, keys.public[jwk.SetIDToken])
	if got["azp"] != "web-app" {
		t.Errorf("azp %v, want the client (first audience)", got["azp"])
	}
}

// A login/consent app must not be able to forge the identity or the binding
// claims through session.id_token.
func TestMintExtraClaimsNeverOverrideReserved(t *testing.T) {
	ids, keys := newIDTokens(t)
	c := testIDClaims()
	c.Nonce, c.AccessToken = "real-nonce", "at"
	c.Extra = map[string]any{"email": "alice@example.com"}
	for _, name := range reservedIDTokenClaims {
		c.Extra[name] = "forged"
	}
	raw, dropped, err := ids.Mint(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), reservedIDTokenClaims...)
	if len(dropped) != len(want) || !isSorted(dropped) {
		t.Errorf("dropped %v, want every reserved name, sorted", dropped)
	}
	_, got := verifyWith(t, raw, keys.public[jwk.SetIDToken])
	for _, name := range want {
		if got[name] == "forged" {
			t.Errorf("extra claim overrode %q", name)
		}
	}
	if got["sub"] != "alice" || got["iss"] != idIssuer || got["nonce"] != "real-nonce" || got["email"] != "alice@example.com" {
		t.Errorf("claims %v", got)
	}
}

func isSorted(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			return false
		}
	}
	return true
}

func TestMintRefusesIncompleteClaims(t *testing.T) {
	ids, _ := newIDTokens(t)
	cases := map[string]func(*IDTokenClaims){
		"no issuer":      func(c *IDTokenClaims) { c.Issuer = "" },
		"no subject":     func(c *IDTokenClaims) { c.Subject = "" },
		"no audience":    func(c *IDTokenClaims) { c.Audience = nil },
		"empty audience": func(c *IDTokenClaims) { c.Audience = []string{""} },
		"no expiry":      func(c *IDTokenClaims) { c.ExpiresAt = time.Time{} },
	}
	for name, mutate := range cases {
		c := testIDClaims()
		mutate(&c)
		if raw, _, err := ids.Mint(context.Background(), c); err == nil {
			t.Errorf("%s: minted %q", name, raw)
		}
	}
}

func mintHint(t testing.TB, ids *IDTokens, mutate func(*IDTokenClaims)) string {
	t.Helper()
	c := testIDClaims()
	if mutate != nil {
		mutate(&c)
	}
	raw, _, err := ids.Mint(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseHintAcceptsOwnTokensEvenExpired(t *testing.T) {
	ids, _ := newIDTokens(t)
	expired := mintHint(t, ids, func(c *IDTokenClaims) {
		c.IssuedAt, c.ExpiresAt = testNow.AddDate(-1, 0, 0), testNow.AddDate(-1, 0, 0).Add(time.Hour)
		c.Extra = map[string]any{"big": json.Number("9007199254740993")}
	})
	claims, err := ids.ParseHint(context.Background(), expired, idIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "alice" {
		t.Errorf("sub %v", claims["sub"])
	}
	// Numbers keep their text, so the claims echo back exactly.
	if claims["big"] != json.Number("9007199254740993") {
		t.Errorf("big %#v", claims["big"])
	}
}

func TestParseHintRefuses(t *testing.T) {
	ids, keys := newIDTokens(t)
	valid := mintHint(t, ids, nil)
	idPub := keys.public[jwk.SetIDToken]
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(valid, ".")

	pubDER, err := x509.MarshalPKIXPublicKey(idPub.Key)
	if err != nil {
		t.Fatal(err)
	}
	hmacSigned := signRaw(t, jose.HS256, jose.JSONWebKey{Key: pubDER, KeyID: idPub.KeyID}, parts[1])
	impostor := newRSAKey(t, idPub.KeyID) // same kid, another key
	accessSigner, _, _ := keys.Signer(context.Background(), jwk.SetAccessToken)

	cases := map[string]string{
		"other issuer":      mintHint(t, ids, func(c *IDTokenClaims) { c.Issuer = "https://evil.example" }),
		"alg none":          b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"HS256 with pubkey": hmacSigned,
		"access-token key":  signWith(t, accessSigner, parts[1]),
		"same kid, new key": signRaw(t, jose.RS256, impostor, parts[1]),
		"tampered payload":  parts[0] + "." + b64([]byte(`{"iss":"`+idIssuer+`","sub":"mallory"}`)) + "." + parts[2],
		"no signature":      parts[0] + "." + parts[1] + ".",
		"not a JWT":         "opaque-token",
		"empty":             "",
		"too long":          valid + strings.Repeat("A", MaxIDTokenHintLen),
		"array payload":     signWith(t, keys.signers[jwk.SetIDToken], b64([]byte(`[1]`))),
		"no subject":        signWith(t, keys.signers[jwk.SetIDToken], b64([]byte(`{"iss":"`+idIssuer+`"}`))),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			claims, err := ids.ParseHint(context.Background(), raw, idIssuer)
			if !errors.Is(err, ErrInvalidHint) {
				t.Fatalf("got %v, %v; want ErrInvalidHint", claims, err)
			}
		})
	}
}

// signRaw signs the base64url payload b64Payload with key under alg.
func signRaw(t *testing.T, alg jose.SignatureAlgorithm, key jose.JSONWebKey, b64Payload string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, s, b64Payload)
}

func signWith(t *testing.T, s jose.Signer, b64Payload string) string {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(b64Payload)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// FuzzParseHint: whatever the input, no panic, every refusal is
// ErrInvalidHint, and only what the ID token key really signed is accepted.
func FuzzParseHint(f *testing.F) {
	ids, keys := newIDTokens(f)
	valid := mintHint(f, ids, nil)
	parts := strings.Split(valid, ".")
	f.Add(valid)
	f.Add(valid[:len(valid)-2])
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[1] + "." + parts[0] + "." + parts[2])
	f.Add("eyJhbGciOiJub25lIn0." + parts[1] + ".")
	f.Add("a.b.c")
	f.Add("")
	idPub := keys.public[jwk.SetIDToken]
	f.Fuzz(func(t *testing.T, raw string) {
		claims, err := ids.ParseHint(context.Background(), raw, idIssuer)
		if err != nil {
			if !errors.Is(err, ErrInvalidHint) || claims != nil {
				t.Fatalf("refusal %v with claims %v", err, claims)
			}
			return
		}
		jws, err := jose.ParseSignedCompact(raw, idTokenAlgorithms)
		if err != nil {
			t.Fatalf("accepted an unparsable token: %v", err)
		}
		if _, err := jws.Verify(idPub); err != nil {
			t.Fatalf("accepted a token the ID token key did not sign: %v", err)
		}
		if claims["iss"] != idIssuer {
			t.Fatalf("accepted issuer %v", claims["iss"])
		}
	})
}
