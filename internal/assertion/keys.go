package assertion

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// Key selection (RFC 7515 section 4.1.4 "kid", RFC 7517 sections 4.2-4.4
// "use", "alg"; go-jose does not parse "key_ops"). The algorithm comes from the attacker-chosen
// header, so a key is used only with an algorithm of its own family: a
// public key is never an HMAC secret (the HS256-with-the-RSA-key attack),
// an RSA key never verifies ECDSA, and a P-256 key only ES256.

// Keys are the candidates an assertion may be verified with.
type Keys struct {
	// Public are the sender's public keys. Private halves are reduced to
	// their public keys; symmetric ("oct") keys are ignored, so publishing
	// a secret in a JWK Set never makes it usable for HMAC.
	Public []jose.JSONWebKey
	// HMAC are shared secrets, the current one first. HS256/384/512 are
	// verified with these and nothing else; with none, HMAC algorithms are
	// refused whatever Parse allowed.
	HMAC [][]byte
}

// MaxCandidates bounds the keys tried for one assertion, so a set with
// many keys and an assertion without kid cannot make us verify without end.
const MaxCandidates = 8

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 section 3.3:
// "A key of size 2048 bits or larger MUST be used").
const MinRSABits = 2048

// verifySignature tries the fitting keys in order; the first that verifies
// wins.
func (t *JWT) verifySignature(keys Keys) error {
	if slices.Contains(HMACAlgorithms(), t.alg) {
		return t.verifyHMAC(keys.HMAC)
	}
	cands := candidates(keys.Public, t.alg, t.kid)
	if len(cands) == 0 {
		if t.kid != "" {
			return refuse(ErrSignature, "No registered key has kid %q and fits alg %s.", clip(t.kid), t.alg)
		}
		return refuse(ErrSignature, "No registered key fits alg %s.", t.alg)
	}
	return t.tryKeys(cands)
}

// tryKeys verifies with each key in turn; the first success wins.
func (t *JWT) tryKeys(keys []any) error {
	var last error
	for _, k := range keys {
		_, last = t.jws.Verify(k)
		if last == nil {
			return nil
		}
	}
	return refuse(ErrSignature, "The assertion's signature does not verify.").because(last)
}

func (t *JWT) verifyHMAC(secrets [][]byte) error {
	if len(secrets) == 0 {
		return refuse(ErrSignature, "The assertion uses alg %s, but HMAC is not accepted here.", t.alg)
	}
	keys := make([]any, 0, min(len(secrets), MaxCandidates))
	for _, s := range secrets[:cap(keys)] {
		keys = append(keys, s)
	}
	return t.tryKeys(keys)
}

// candidates returns the public crypto keys that may verify alg: those
// with the header's kid when it has one, of use "sig" (or unset), of alg
// alg (or unset), and of the right type and size; at most MaxCandidates.
func candidates(set []jose.JSONWebKey, alg jose.SignatureAlgorithm, kid string) []any {
	var out []any
	for i := range set {
		k := &set[i]
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Use != "" && k.Use != "sig" || k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		pub := k.Public()
		if !pub.Valid() || !fits(pub.Key, alg) {
			continue
		}
		out = append(out, pub.Key)
		if len(out) == MaxCandidates {
			break
		}
	}
	return out
}

// fits reports whether key is of the type and size alg needs.
func fits(key any, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return k.N.BitLen() >= MinRSABits
		}
	case *ecdsa.PublicKey:
		want := map[jose.SignatureAlgorithm]elliptic.Curve{
			jose.ES256: elliptic.P256(), jose.ES384: elliptic.P384(), jose.ES512: elliptic.P521(),
		}[alg]
		return want != nil && k.Curve == want
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}
