package trust

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
)

// The public key of a trust grant verifies the issuer's assertions (RFC
// 7523 section 3, item 9: "The JWT MUST be digitally signed or have a
// Message Authentication Code (MAC) applied by the issuer"). Only
// asymmetric signature keys are accepted: a MAC key would be a shared
// secret stored in the clear and shown to every admin reader, and a
// private key has no business on the verifying side.

// Bounds on a trusted key.
const (
	maxKeyJSON = 16 << 10 // an 8192-bit RSA key with a short x5c chain fits
	minRSABits = 2048
	maxRSABits = 8192
)

// Algorithms returns the JWS algorithms the key may verify: the key's own
// "alg" when it names one, else every asymmetric algorithm of its key type
// (RFC 7518 section 3.1, RFC 8037 section 3.1). It never returns "none"
// or an HMAC algorithm, so an assertion signed with HS256 and the public
// key as secret, or not signed at all, cannot verify.
func Algorithms(k jose.JSONWebKey) []jose.SignatureAlgorithm {
	all := keyAlgorithms(k.Key)
	if k.Algorithm == "" {
		return all
	}
	if slices.Contains(all, jose.SignatureAlgorithm(k.Algorithm)) {
		return []jose.SignatureAlgorithm{jose.SignatureAlgorithm(k.Algorithm)}
	}
	return nil
}

// keyAlgorithms lists the signature algorithms of a public key's type and,
// for EC keys, curve (RFC 7518 section 3.4 pairs each ES alg with one curve).
func keyAlgorithms(key any) []jose.SignatureAlgorithm {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []jose.SignatureAlgorithm{jose.ES256}
		case elliptic.P384():
			return []jose.SignatureAlgorithm{jose.ES384}
		case elliptic.P521():
			return []jose.SignatureAlgorithm{jose.ES512}
		}
	case ed25519.PublicKey:
		return []jose.SignatureAlgorithm{jose.EdDSA}
	}
	return nil
}

// ParseKey validates the "jwk" of a create request and returns the key
// with its canonical public JSON, which is what the grant stores.
func ParseKey(raw json.RawMessage) (jose.JSONWebKey, json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return jose.JSONWebKey{}, nil, badField("Field 'jwk' is required: the public key the issuer signs its assertions with.")
	}
	if len(raw) > maxKeyJSON {
		return jose.JSONWebKey{}, nil, badField("Field 'jwk' must be at most %d bytes of JSON.", maxKeyJSON)
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		return jose.JSONWebKey{}, nil, badField("Field 'jwk' is not a valid JSON Web Key: %s.", httpx.Clip(err.Error(), 200))
	}
	if err := checkKey(k); err != nil {
		return jose.JSONWebKey{}, nil, err
	}
	canonical, err := k.MarshalJSON()
	if err != nil {
		return jose.JSONWebKey{}, nil, fmt.Errorf("trust: encoding a validated key: %w", err)
	}
	return k, canonical, nil
}

// checkKey applies the rules above to a parsed key.
func checkKey(k jose.JSONWebKey) error {
	if k.KeyID == "" {
		return badField("Field 'jwk' must contain a JWK with a kid: assertions name their key by it.")
	}
	if len(k.KeyID) > maxIdentLen {
		return badField("The kid of field 'jwk' must be at most %d bytes.", maxIdentLen)
	}
	if !printable(k.KeyID) {
		return badField("The kid of field 'jwk' must not contain control characters.")
	}
	if _, symmetric := k.Key.([]byte); symmetric {
		return badField("Field 'jwk' must be a public key: symmetric (\"oct\") keys are refused, as the secret would be stored in the clear and HMAC assertions could be forged by anyone who reads it.")
	}
	if !k.IsPublic() {
		return badField("Field 'jwk' must be a public key: send only the public half (no \"d\", \"p\", \"q\"…).")
	}
	if !k.Valid() {
		return badField("Field 'jwk' is missing key parameters.")
	}
	if k.Use != "" && k.Use != "sig" {
		return badField("Field 'jwk' has use %q; a key that verifies assertions must have use \"sig\" or none.", httpx.Clip(k.Use, 32))
	}
	if rsaKey, ok := k.Key.(*rsa.PublicKey); ok {
		if n := rsaKey.N.BitLen(); n < minRSABits || n > maxRSABits {
			return badField("Field 'jwk' is an RSA key of %d bits; %d to %d bits are accepted.", n, minRSABits, maxRSABits)
		}
	}
	if len(keyAlgorithms(k.Key)) == 0 {
		return badField("Field 'jwk' holds a key type that cannot verify signatures; use RSA, EC (P-256, P-384, P-521) or Ed25519.")
	}
	switch {
	case k.Algorithm == "none":
		return badField("Field 'jwk' has alg \"none\"; assertions must be signed.")
	case k.Algorithm != "" && len(Algorithms(k)) == 0:
		return badField("Field 'jwk' has alg %q, which is not an asymmetric signature algorithm for this key type (allowed: %s).",
			httpx.Clip(k.Algorithm, 32), algNames(keyAlgorithms(k.Key)))
	}
	return nil
}

// DecodeKey parses the key stored with a grant. Stored keys passed
// ParseKey, so an error here means the row was altered outside the API.
func (g *Grant) DecodeKey() (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(g.PublicKey); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("trust: stored key of grant %q: %w", g.ID, err)
	}
	if err := checkKey(k); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("trust: stored key of grant %q: %w", g.ID, err)
	}
	return k, nil
}

func algNames(algs []jose.SignatureAlgorithm) string {
	s := ""
	for i, a := range algs {
		if i > 0 {
			s += ", "
		}
		s += string(a)
	}
	return s
}
