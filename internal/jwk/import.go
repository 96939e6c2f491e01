package jwk

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Bounds on imported keys.
const (
	maxImportKeys = 100
	minRSABits    = 2048
	maxRSABits    = 8192
)

// keyFor names the key an imported "alg" needs: the key type and, for EC
// and OKP keys, the curve ("" = any of P-256/384/521). Signing algorithms
// follow RFC 7518 §3 and RFC 8037 §3.1; the encryption ones (RFC 7518 §4)
// are accepted so keys exported from Hydra with use "enc" can be imported.
// Symmetric keys ("oct") are refused outright: a shared secret in a key set
// would be published as if it were public.
func keyFor(alg string) (kty, crv string, ok bool) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "RSA-OAEP", "RSA-OAEP-256":
		return "RSA", "", true
	case "ES256":
		return "EC", "P-256", true
	case "ES384":
		return "EC", "P-384", true
	case "ES512":
		return "EC", "P-521", true
	case "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW":
		return "EC", "", true
	case "EdDSA":
		return "OKP", "Ed25519", true
	}
	return "", "", false
}

// ParseKey parses one JWK from an admin request body. go-jose already
// refuses inconsistent RSA and Ed25519 private keys and EC points off their
// curve; ValidateImport checks the rest.
func ParseKey(raw []byte) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return jose.JSONWebKey{}, httpx.BadRequest("The JSON Web Key is not valid: %s.", msg)
	}
	return k, nil
}

// ValidateImport checks a key before it is stored: kid, alg and use present
// (the contract requires them), alg consistent with the key type and size,
// no symmetric key, and a private half that matches its public half.
func ValidateImport(k jose.JSONWebKey) error {
	if err := validName("kid", k.KeyID); err != nil {
		return err
	}
	if k.Use != "sig" && k.Use != "enc" {
		return httpx.BadRequest("Key %q: use must be \"sig\" or \"enc\".", httpx.Clip(k.KeyID, 32))
	}
	wantKty, wantCrv, ok := keyFor(k.Algorithm)
	if !ok {
		return httpx.BadRequest("Key %q: alg %q is missing or not supported.", httpx.Clip(k.KeyID, 32), httpx.Clip(k.Algorithm, 32))
	}
	kty, crv, err := describe(k)
	if err != nil {
		return err
	}
	if kty != wantKty || (wantCrv != "" && crv != wantCrv) {
		return httpx.BadRequest("Key %q: alg %s needs a %s key%s, not %s %s.",
			httpx.Clip(k.KeyID, 32), k.Algorithm, wantKty, curveNote(wantCrv), kty, crv)
	}
	if !k.Valid() {
		return httpx.BadRequest("Key %q is missing key parameters.", httpx.Clip(k.KeyID, 32))
	}
	return checkPrivateMatches(k)
}

func curveNote(crv string) string {
	if crv == "" {
		return ""
	}
	return " on " + crv
}

// describe names the key type and curve and checks RSA sizes.
func describe(k jose.JSONWebKey) (kty, crv string, err error) {
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		return "RSA", "", rsaSize(k.KeyID, key)
	case *rsa.PrivateKey:
		return "RSA", "", rsaSize(k.KeyID, &key.PublicKey)
	case *ecdsa.PublicKey:
		return "EC", key.Curve.Params().Name, nil
	case *ecdsa.PrivateKey:
		return "EC", key.Curve.Params().Name, nil
	case ed25519.PublicKey, ed25519.PrivateKey:
		return "OKP", "Ed25519", nil
	case []byte:
		return "", "", httpx.BadRequest("Key %q: symmetric (\"oct\") keys cannot be stored in a key set.", httpx.Clip(k.KeyID, 32))
	default:
		return "", "", httpx.BadRequest("Key %q: this key type is not supported.", httpx.Clip(k.KeyID, 32))
	}
}

func rsaSize(kid string, pub *rsa.PublicKey) error {
	if n := pub.N.BitLen(); n < minRSABits || n > maxRSABits {
		return httpx.BadRequest("Key %q: RSA keys must have %d to %d bits, this one has %d.", httpx.Clip(kid, 32), minRSABits, maxRSABits, n)
	}
	return nil
}

// checkPrivateMatches refuses an EC private key whose d does not produce
// its x and y (go-jose checks only that x,y lie on the curve). RSA and
// Ed25519 private keys are already checked by go-jose while parsing.
func checkPrivateMatches(k jose.JSONWebKey) error {
	priv, ok := k.Key.(*ecdsa.PrivateKey)
	if !ok {
		return nil
	}
	mismatch := httpx.BadRequest("Key %q: the private key does not match its public key.", httpx.Clip(k.KeyID, 32))
	dh, err := priv.ECDH()
	if err != nil {
		return mismatch
	}
	pub, err := priv.PublicKey.ECDH()
	if err != nil || !dh.PublicKey().Equal(pub) {
		return mismatch
	}
	return nil
}

// Import replaces the keys of set with keys (PUT /admin/keys/{set}). Every
// key is validated before anything is written, and the set is replaced in
// one store transaction (Store.ReplaceSet): a failure leaves the old set
// whole, and of two concurrent imports one wins entirely. A set Signet
// signs tokens with must receive at least one private signing key. The
// first key given becomes the newest, and therefore the signing key.
func (m *Manager) Import(ctx context.Context, set string, keys []jose.JSONWebKey) error {
	if err := validName("set", set); err != nil {
		return err
	}
	if len(keys) == 0 || len(keys) > maxImportKeys {
		return httpx.BadRequest("A key set must hold 1 to %d keys.", maxImportKeys)
	}
	seen := make(map[string]bool, len(keys))
	recs := make([]*Record, 0, len(keys))
	now := m.now().UTC()
	for i, k := range keys {
		if err := ValidateImport(k); err != nil {
			return err
		}
		if seen[k.KeyID] {
			return httpx.BadRequest("The kid %q appears more than once.", httpx.Clip(k.KeyID, 32))
		}
		seen[k.KeyID] = true
		rec, err := m.newRecord(set, k)
		if err != nil {
			return err
		}
		rec.CreatedAt = now.Add(-time.Duration(i) * time.Microsecond)
		recs = append(recs, rec)
	}
	if signsTokens(set) && !slices.ContainsFunc(keys, canSign) {
		return errNoSigner(set)
	}
	if err := m.store.ReplaceSet(ctx, set, recs); err != nil {
		return fmt.Errorf("jwk: replacing set %q: %w", set, err)
	}
	m.refreshAfterWrite(ctx)
	return nil
}

// ImportOne creates or replaces key kid of set (PUT /admin/keys/{set}/{kid});
// the key's own kid must equal kid. In a set Signet signs tokens with, a
// key that cannot sign is refused unless another stored key can.
func (m *Manager) ImportOne(ctx context.Context, set, kid string, key jose.JSONWebKey) (jose.JSONWebKey, error) {
	if err := validName("set", set); err != nil {
		return jose.JSONWebKey{}, err
	}
	if key.KeyID != kid {
		return jose.JSONWebKey{}, httpx.BadRequest("The kid in the body (%q) must equal the kid in the URL (%q).", httpx.Clip(key.KeyID, 32), httpx.Clip(kid, 32))
	}
	if err := ValidateImport(key); err != nil {
		return jose.JSONWebKey{}, err
	}
	if err := m.keepsSigner(ctx, set, kid, key); err != nil {
		return jose.JSONWebKey{}, err
	}
	rec, err := m.newRecord(set, key)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if err := m.store.ReplaceKey(ctx, rec); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("jwk: storing key %q in set %q: %w", kid, set, err)
	}
	m.refreshAfterWrite(ctx)
	return key, nil
}
