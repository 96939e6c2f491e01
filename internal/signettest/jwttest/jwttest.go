// Package jwttest makes the JWTs tests send to Signet: client assertions
// (RFC 7523 section 2.2), authorization grants (section 2.1) and forged
// tokens, signed with go-jose exactly as a client library would sign them.
// It is test support, imported only by tests, and it imports nothing of
// Signet, so the tests of any package (internal/assertion's among them)
// can use it without an import cycle.
package jwttest

import (
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// Sign returns the compact JWS of claims, encoded as JSON, signed with key
// under alg and typed "JWT". The header names kid unless it is "".
func Sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("jwttest: claims: %v", err)
	}
	return SignPayload(t, alg, key, kid, payload)
}

// SignPayload is Sign for a payload given as bytes, which need not be
// JSON: forged and malformed tokens are made this way.
func SignPayload(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("jwttest: signer for %s: %v", alg, err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatalf("jwttest: sign: %v", err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatalf("jwttest: serialize: %v", err)
	}
	return raw
}

// PublicJWKS is the JSON Web Key Set of the public halves of keys, as a
// client registers it ("jwks") or serves it at its jwks_uri.
func PublicJWKS(keys ...jose.JSONWebKey) json.RawMessage {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(keys))}
	for i, k := range keys {
		set.Keys[i] = k.Public()
	}
	b, err := json.Marshal(set)
	if err != nil {
		// Only a key go-jose cannot encode gets here: a bug in the test.
		panic("jwttest: JWKS: " + err.Error())
	}
	return b
}
