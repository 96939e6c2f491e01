package assertion

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

func TestVerifyAcceptsEachFamily(t *testing.T) {
	k := keysOnce()
	secret := []byte(strings.Repeat("s", 64))
	all := []jose.JSONWebKey{pub(k.rsa, "rsa", ""), pub(k.p256, "p256", "ES256"), pub(k.p384, "p384", ""), pub(k.ed, "ed", "")}
	cases := []struct {
		alg  jose.SignatureAlgorithm
		key  any
		kid  string
		keys Keys
	}{
		{jose.RS256, k.rsa, "rsa", Keys{Public: all}},
		{jose.RS512, k.rsa, "", Keys{Public: all}},
		{jose.PS256, k.rsa, "rsa", Keys{Public: all}},
		{jose.PS384, k.rsa, "", Keys{Public: all}},
		{jose.ES256, k.p256, "p256", Keys{Public: all}},
		{jose.ES256, k.p256, "", Keys{Public: all}},
		{jose.ES384, k.p384, "", Keys{Public: all}},
		{jose.EdDSA, k.ed, "ed", Keys{Public: all}},
		{jose.HS256, secret, "", Keys{HMAC: [][]byte{secret}}},
		{jose.HS512, secret, "", Keys{HMAC: [][]byte{secret}}},
		// A rotated-out secret still verifies after the current one.
		{jose.HS256, secret, "", Keys{HMAC: [][]byte{[]byte(strings.Repeat("n", 32)), secret}}},
		// A private JWK given as a candidate is reduced to its public half.
		{jose.RS256, k.rsa, "", Keys{Public: []jose.JSONWebKey{{Key: k.rsa, Use: "sig"}}}},
	}
	for _, tc := range cases {
		raw := jwttest.Sign(t, tc.alg, tc.key, tc.kid, claimsAt())
		tok, err := Parse(raw, append(AsymmetricAlgorithms(), HMACAlgorithms()...))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tok.Verify(tc.keys, rulesAt()); err != nil {
			t.Errorf("%s kid %q: %v", tc.alg, tc.kid, err)
		}
	}
}

func TestVerifyRefusesKeys(t *testing.T) {
	k := keysOnce()
	secret := []byte(strings.Repeat("s", 64))
	rsaPub := pub(k.rsa, "rsa", "")
	cases := []struct {
		name string
		alg  jose.SignatureAlgorithm
		key  any
		kid  string
		keys Keys
		msg  string
	}{
		{"unknown kid", jose.RS256, k.rsa, "gone", Keys{Public: []jose.JSONWebKey{rsaPub}}, `kid "gone"`},
		{"signed by another key", jose.RS256, k.rsa2, "", Keys{Public: []jose.JSONWebKey{rsaPub}}, "does not verify"},
		{"signed by another key under a known kid", jose.RS256, k.rsa2, "rsa", Keys{Public: []jose.JSONWebKey{rsaPub}}, "does not verify"},
		{"no keys at all", jose.RS256, k.rsa, "", Keys{}, "No registered key"},
		{"RSA key below 2048 bits", jose.RS256, k.rsaSmall, "", Keys{Public: []jose.JSONWebKey{pub(k.rsaSmall, "", "")}}, "No registered key"},
		{"key registered for another alg", jose.RS256, k.rsa, "", Keys{Public: []jose.JSONWebKey{pub(k.rsa, "", "PS256")}}, "No registered key"},
		{"key registered for encryption", jose.RS256, k.rsa, "", Keys{Public: []jose.JSONWebKey{{Key: &k.rsa.PublicKey, Use: "enc"}}}, "No registered key"},
		{"ES384 signature, only a P-256 key registered", jose.ES384, k.p384, "", Keys{Public: []jose.JSONWebKey{pub(k.p256, "", "")}}, "No registered key"},
		{"ES256 with an RSA key", jose.ES256, k.p256, "", Keys{Public: []jose.JSONWebKey{rsaPub}}, "No registered key"},
		{"HMAC without a secret", jose.HS256, secret, "", Keys{Public: []jose.JSONWebKey{rsaPub}}, "HMAC is not accepted"},
		{"HMAC with an oct key in the public set", jose.HS256, secret, "", Keys{Public: []jose.JSONWebKey{{Key: secret}}}, "HMAC is not accepted"},
		{"HMAC with a wrong secret", jose.HS256, secret, "", Keys{HMAC: [][]byte{[]byte(strings.Repeat("x", 64))}}, "does not verify"},
		{"HMAC secret too short for the alg", jose.HS512, []byte(strings.Repeat("s", 64)), "",
			Keys{HMAC: [][]byte{[]byte(strings.Repeat("s", 32))}}, "does not verify"},
		{"oct key never fits an asymmetric alg", jose.RS256, k.rsa, "", Keys{Public: []jose.JSONWebKey{{Key: secret}}}, "No registered key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Parse(jwttest.Sign(t, tc.alg, tc.key, tc.kid, claimsAt()), append(AsymmetricAlgorithms(), HMACAlgorithms()...))
			if err != nil {
				t.Fatal(err)
			}
			_, err = tok.Verify(tc.keys, rulesAt())
			if !isKind(err, ErrSignature) || !strings.Contains(Message(err), tc.msg) {
				t.Fatalf("got %v, want ErrSignature with %q", err, tc.msg)
			}
		})
	}
}

// TestVerifyBoundsCandidates: without a kid, at most MaxCandidates keys are
// tried, so a big key set cannot multiply the work per request.
func TestVerifyBoundsCandidates(t *testing.T) {
	k := keysOnce()
	var set []jose.JSONWebKey
	for range MaxCandidates {
		set = append(set, pub(k.rsa2, "", ""))
	}
	set = append(set, pub(k.rsa, "", ""))
	if got := len(candidates(set, jose.RS256, "")); got != MaxCandidates {
		t.Fatalf("%d candidates", got)
	}
	tok, _ := Parse(jwttest.Sign(t, jose.RS256, k.rsa, "", claimsAt()), AsymmetricAlgorithms())
	if _, err := tok.Verify(Keys{Public: set}, rulesAt()); !isKind(err, ErrSignature) {
		t.Fatalf("the key past the bound was tried: %v", err)
	}
}
