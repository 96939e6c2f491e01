package jwk

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
)

// canGenerate reports whether the admin API generates keys for alg (the
// createJsonWebKeySet contract). Symmetric algorithms are refused: a shared
// secret has no public half to publish.
func canGenerate(alg string) bool {
	switch alg {
	case "RS256", "RS512", "ES256", "ES512", "EdDSA":
		return true
	}
	return false
}

// SigningAlgorithms are the JWS algorithms a stored key may sign with: what
// ID tokens, JWT access tokens and logout tokens can carry, so discovery
// lists exactly these.
func SigningAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// isSigningAlg reports whether a stored key with alg may sign (JWS).
func isSigningAlg(alg string) bool { return slices.Contains(SigningAlgorithms(), alg) }

// maxNameLen bounds set names and kids (they are path segments and
// database keys).
const maxNameLen = 255

// EnsureKeys gives every listed set a key when it has none: an RS256
// signing key, inserted with Store.AddKeyIfSetEmpty so that many instances
// starting at once against one database create exactly one. A loser of
// that race discards its key and loads the winner's.
func (m *Manager) EnsureKeys(ctx context.Context, sets ...string) error {
	m.ensureMu.Lock()
	defer m.ensureMu.Unlock()
	for _, set := range sets {
		if _, err := m.store.ListKeys(ctx, set); err == nil {
			continue
		} else if !isNotFound(err) {
			return fmt.Errorf("jwk: checking set %q: %w", set, err)
		}
		key, err := m.newKey("RS256", "sig", "")
		if err != nil {
			return err
		}
		rec, err := m.newRecord(set, key)
		if err != nil {
			return err
		}
		added, err := m.store.AddKeyIfSetEmpty(ctx, rec)
		if err != nil {
			return fmt.Errorf("jwk: creating the first key of set %q: %w", set, err)
		}
		if added {
			m.log.Info("jwk: created signing key", "set", set, "kid", key.KeyID, "alg", key.Algorithm)
		}
	}
	return m.reload(ctx, sets...)
}

// Generate creates a key in set and returns it, private half included (the
// admin API hands it to the operator who asked). An empty use means "sig";
// an empty kid gets a random UUID. A kid already in the set is a conflict
// (storage.ErrConflict). An encryption key is refused in a set Signet signs
// tokens with that holds no signing key: the set would never get one.
func (m *Manager) Generate(ctx context.Context, set, alg, use, kid string) (jose.JSONWebKeySet, error) {
	if err := validName("set", set); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if kid != "" {
		if err := validName("kid", kid); err != nil {
			return jose.JSONWebKeySet{}, err
		}
	}
	if use == "" {
		use = "sig"
	}
	key, err := m.newKey(alg, use, kid)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if err := m.keepsSigner(ctx, set, "", key); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	rec, err := m.newRecord(set, key)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if err := m.store.AddKey(ctx, rec); err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwk: storing key %q in set %q: %w", key.KeyID, set, err)
	}
	m.refreshAfterWrite(ctx)
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key}}, nil
}

// newKey generates a private key for alg.
func (m *Manager) newKey(alg, use, kid string) (jose.JSONWebKey, error) {
	if !canGenerate(alg) {
		return jose.JSONWebKey{}, httpx.BadRequest("The alg %q cannot be generated; use one of RS256, RS512, ES256, ES512, EdDSA.", httpx.Clip(alg, 32))
	}
	if use != "sig" && use != "enc" {
		return jose.JSONWebKey{}, httpx.BadRequest("The use must be \"sig\" or \"enc\".")
	}
	if alg == "EdDSA" && use == "enc" {
		return jose.JSONWebKey{}, httpx.BadRequest("An EdDSA (Ed25519) key can only sign; use \"sig\".")
	}
	if kid == "" {
		var err error
		if kid, err = secret.NewUUID(m.rand); err != nil {
			return jose.JSONWebKey{}, err
		}
	}
	var priv any
	var err error
	switch alg {
	case "RS256", "RS512":
		priv, err = rsa.GenerateKey(m.rand, m.rsaBits)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), m.rand)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), m.rand)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(m.rand)
	}
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("jwk: generating %s key: %w", alg, err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: alg, Use: use}, nil
}

// validName accepts set names and kids of 1..255 bytes of UTF-8 without
// control characters (NUL would make the sealing aad ambiguous; control
// characters have no business in a path or a log line).
func validName(what, s string) error {
	if s == "" || len(s) > maxNameLen || !utf8.ValidString(s) {
		return httpx.BadRequest("The %s must be 1 to %d bytes of UTF-8.", what, maxNameLen)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return httpx.BadRequest("The %s must not contain control characters.", what)
		}
	}
	return nil
}
