package assertion

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestParseUnsecured(t *testing.T) {
	good := rawJWT(`{"alg":"none","typ":"oauth-authz-req+jwt"}`, `{"iss":"app","scope":"openid"}`, nil)
	c, err := ParseUnsecured(good)
	if err != nil || c.Issuer != "app" || !strings.Contains(string(c.Payload), `"scope":"openid"`) {
		t.Fatalf("ParseUnsecured = %+v, %v", c, err)
	}
	bad := map[string]string{
		"a signature":        rawJWT(`{"alg":"none"}`, `{}`, []byte("sig")),
		"another alg":        rawJWT(`{"alg":"RS256"}`, `{}`, nil),
		"alg None":           rawJWT(`{"alg":"None"}`, `{}`, nil),
		"crit in the header": rawJWT(`{"alg":"none","crit":["x"]}`, `{}`, nil),
		"kid in the header":  rawJWT(`{"alg":"none","kid":"k"}`, `{}`, nil),
		"payload not JSON":   rawJWT(`{"alg":"none"}`, `[1]`, nil),
		"two parts":          "eyJhbGciOiJub25lIn0.e30",
		"too long":           rawJWT(`{"alg":"none"}`, `{"x":"`+strings.Repeat("a", MaxLength)+`"}`, nil),
		"padded base64":      "eyJhbGciOiJub25lIn0=.e30.",
	}
	for name, raw := range bad {
		if _, err := ParseUnsecured(raw); !isKind(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

// TestVerifySignatureOnly: the signature is checked with the usual key
// selection, and no claim rule applies (an object without exp passes).
func TestVerifySignatureOnly(t *testing.T) {
	k := keysOnce()
	raw := signES256(t, k, `{"iss":"app"}`)
	tok, err := Parse(raw, AsymmetricAlgorithms())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tok.VerifySignature(Keys{Public: []jose.JSONWebKey{pub(k.p256, "", "")}}); err != nil || c.Issuer != "app" {
		t.Errorf("VerifySignature = %+v, %v", c, err)
	}
	if _, err := tok.VerifySignature(Keys{Public: []jose.JSONWebKey{pub(k.rsa, "", "")}}); !isKind(err, ErrSignature) {
		t.Errorf("with an RSA key only: %v, want ErrSignature", err)
	}
}

func signES256(t *testing.T, k *testKeys, payload string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.p256}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// FuzzParseUnsecured: never panics; anything accepted has an alg none
// header and an empty signature.
func FuzzParseUnsecured(f *testing.F) {
	f.Add(rawJWT(`{"alg":"none"}`, `{"iss":"a"}`, nil))
	f.Add(rawJWT(`{"alg":"none"}`, `{}`, []byte("x")))
	f.Add("..")
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := ParseUnsecured(raw); err != nil {
			var e *Error
			if !asError(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		if !strings.HasSuffix(raw, ".") {
			t.Fatalf("accepted %q, which has a signature", raw)
		}
	})
}
