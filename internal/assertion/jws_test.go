package assertion

import (
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

func TestParseRefuses(t *testing.T) {
	k := keysOnce()
	good := jwttest.Sign(t, jose.RS256, k.rsa, "k1", claimsAt())
	parts := strings.Split(good, ".")
	multi := func() string {
		s, _ := jose.NewMultiSigner([]jose.SigningKey{{Algorithm: jose.RS256, Key: k.rsa}, {Algorithm: jose.ES256, Key: k.p256}}, nil)
		obj, _ := s.Sign([]byte(`{"iss":"client-1"}`))
		return obj.FullSerialize()
	}()
	flat := func() string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.rsa}, nil)
		obj, _ := s.Sign([]byte(`{"iss":"client-1"}`))
		return obj.FullSerialize()
	}()
	payload, _ := json.Marshal(claimsAt())
	cases := []struct {
		name string
		raw  string
		algs []jose.SignatureAlgorithm
		msg  string
	}{
		{"empty", "", AsymmetricAlgorithms(), "empty"},
		{"oversized", strings.Repeat("a", MaxLength+1), AsymmetricAlgorithms(), "longer than"},
		{"alg none", rawJWT(`{"alg":"none"}`, string(payload), nil), AsymmetricAlgorithms(), `"none"`},
		{"alg None", rawJWT(`{"alg":"None"}`, string(payload), nil), append(AsymmetricAlgorithms(), HMACAlgorithms()...), `"none"`},
		{"no alg", rawJWT(`{"typ":"JWT"}`, string(payload), []byte("x")), AsymmetricAlgorithms(), `no "alg"`},
		{"HS256 where only asymmetric algs are allowed", jwttest.Sign(t, jose.HS256, []byte(strings.Repeat("s", 32)), "", claimsAt()),
			AsymmetricAlgorithms(), `alg "HS256"`},
		{"RS256 where only HMAC is allowed", good, HMACAlgorithms(), `alg "RS256"`},
		{"alg outside the client's registered one", good, []jose.SignatureAlgorithm{jose.ES256}, "accepted: ES256"},
		{"JSON serialization with two signatures", multi, AsymmetricAlgorithms(), "compact"},
		{"flattened JSON serialization", flat, AsymmetricAlgorithms(), "compact"},
		{"two dots missing", parts[0] + "." + parts[1], AsymmetricAlgorithms(), "compact"},
		{"four parts", good + ".x", AsymmetricAlgorithms(), "compact"},
		{"header not base64", "!!." + parts[1] + "." + parts[2], AsymmetricAlgorithms(), "base64url"},
		{"header not JSON", rawJWT("[1]", string(payload), []byte("x")), AsymmetricAlgorithms(), "JSON object"},
		{"crit header", rawJWT(`{"alg":"RS256","crit":["exp"],"exp":1}`, string(payload), []byte("x")), AsymmetricAlgorithms(), `"crit"`},
		{"payload not an object", rawJWT(`{"alg":"RS256"}`, `["iss"]`, []byte("x")), AsymmetricAlgorithms(), "JSON object"},
		{"payload with trailing data", rawJWT(`{"alg":"RS256"}`, `{"iss":"a"} {}`, []byte("x")), AsymmetricAlgorithms(), "after the JSON"},
		{"exp as string", rawJWT(`{"alg":"RS256"}`, `{"exp":"123"}`, []byte("x")), AsymmetricAlgorithms(), "numbers"},
		{"aud as number", rawJWT(`{"alg":"RS256"}`, `{"aud":1}`, []byte("x")), AsymmetricAlgorithms(), "aud"},
		{"iss as number", rawJWT(`{"alg":"RS256"}`, `{"iss":1}`, []byte("x")), AsymmetricAlgorithms(), "iss"},
		{"empty allow-list", good, nil, "No signature algorithm"},
		{"none smuggled into the allow-list", good, []jose.SignatureAlgorithm{"none", jose.RS256}, "No signature algorithm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.raw, tc.algs)
			if !isKind(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
			if !strings.Contains(Message(err), tc.msg) {
				t.Fatalf("message %q lacks %q", Message(err), tc.msg)
			}
		})
	}
}

func TestParseReadsHeaderAndUnverifiedClaims(t *testing.T) {
	k := keysOnce()
	c := claimsAt()
	c["aud"] = []string{"a", "b"}
	c["nbf"] = t0.Unix()
	tok, err := Parse(jwttest.Sign(t, jose.ES256, k.p256, "kid-7", c), AsymmetricAlgorithms())
	if err != nil {
		t.Fatal(err)
	}
	u := tok.Unverified()
	if tok.Algorithm() != jose.ES256 || tok.KeyID() != "kid-7" || u.Issuer != "client-1" || u.Subject != "client-1" ||
		len(u.Audience) != 2 || !u.Expiry.Equal(t0.Add(300e9)) || !u.NotBefore.Equal(t0) || !u.IssuedAt.Equal(t0) || u.ID != "jti-1" {
		t.Fatalf("parsed %+v", u)
	}
}

// TestHS256WithThePublicKeyAsSecret: the classic confusion attack signs
// with HS256 using the server-known RSA public key as the HMAC secret.
// Parse refuses the alg when only asymmetric algorithms are allowed, and
// even when a caller allows everything, public keys are never HMAC keys.
func TestHS256WithThePublicKeyAsSecret(t *testing.T) {
	k := keysOnce()
	der, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	jwkJSON, _ := json.Marshal(pub(k.rsa, "k1", ""))
	for name, secret := range map[string][]byte{"DER": der, "JWK JSON": jwkJSON} {
		raw := jwttest.Sign(t, jose.HS256, secret, "k1", claimsAt())
		if _, err := Parse(raw, AsymmetricAlgorithms()); !isKind(err, ErrMalformed) {
			t.Fatalf("%s: Parse accepted HS256 among asymmetric algorithms: %v", name, err)
		}
		tok, err := Parse(raw, append(AsymmetricAlgorithms(), HMACAlgorithms()...))
		if err != nil {
			t.Fatal(err)
		}
		_, err = tok.Verify(Keys{Public: []jose.JSONWebKey{pub(k.rsa, "k1", "")}}, rulesAt())
		if !isKind(err, ErrSignature) {
			t.Fatalf("%s: got %v, want ErrSignature", name, err)
		}
	}
}

// FuzzParse: Parse never panics and refuses with an *Error.
func FuzzParse(f *testing.F) {
	k := keysOnce()
	f.Add(jwttest.Sign(f, jose.RS256, k.rsa, "k1", claimsAt()))
	f.Add(jwttest.Sign(f, jose.HS256, []byte(strings.Repeat("s", 32)), "", claimsAt()))
	f.Add(rawJWT(`{"alg":"none"}`, `{}`, nil))
	f.Add(rawJWT(`{"alg":"RS256","crit":["b64"],"b64":false}`, `{}`, []byte("x")))
	f.Add(`{"payload":"e30","signatures":[]}`)
	f.Add("..")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := Parse(raw, append(AsymmetricAlgorithms(), HMACAlgorithms()...))
		if err != nil {
			var e *Error
			if !asError(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		if _, err := tok.Verify(Keys{Public: []jose.JSONWebKey{pub(k.p256, "", "")}, HMAC: [][]byte{[]byte(strings.Repeat("k", 64))}}, rulesAt()); err == nil {
			t.Fatal("a fuzzed assertion verified")
		}
	})
}
