package jwk

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzImportJWK feeds arbitrary bytes to the parser and validator that guard
// PUT /admin/keys. Whatever it accepts must be a key Signet can keep: an
// asymmetric key with kid, alg and use, whose algorithm fits the key.
func FuzzImportJWK(f *testing.F) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, k := range []jose.JSONWebKey{
		{Key: rsaKey, KeyID: "r", Algorithm: "RS256", Use: "sig"},
		{Key: &rsaKey.PublicKey, KeyID: "rp", Algorithm: "RS512", Use: "sig"},
		{Key: ecKey, KeyID: "e", Algorithm: "ES256", Use: "sig"},
		{Key: edKey, KeyID: "d", Algorithm: "EdDSA", Use: "sig"},
		{Key: []byte("shared-secret-0123456789abcdef"), KeyID: "o", Algorithm: "HS256", Use: "sig"},
	} {
		b, err := json.Marshal(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"kty":"RSA"}`, `{"kty":"EC","crv":"P-256","x":"","y":""}`,
		`{"kty":"oct","k":"AAAA","kid":"x","alg":"HS256","use":"sig"}`,
		`{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"x","alg":"RS256","use":"sig"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"` + string(make([]byte, 43)) + `","kid":"k","alg":"EdDSA","use":"sig"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := ParseKey(raw)
		if err != nil {
			return
		}
		if ValidateImport(k) != nil {
			return
		}
		if k.KeyID == "" || k.Algorithm == "" || (k.Use != "sig" && k.Use != "enc") {
			t.Fatalf("accepted a key without kid, alg or use: %s", raw)
		}
		if _, sym := k.Key.([]byte); sym {
			t.Fatalf("accepted a symmetric key: %s", raw)
		}
		if pub := k.Public(); !pub.Valid() {
			t.Fatalf("accepted a key whose public half is not valid: %s", raw)
		}
	})
}
