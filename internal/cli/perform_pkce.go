package cli

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// The client side of RFC 7636 (PKCE), and the other per-run secrets of an
// authorization request: state (RFC 6749 section 10.12) and nonce (OIDC
// Core section 3.1.2.1). Only S256 is sent; "plain" would give the
// verifier to anyone who sees the authorization URL.
// https://www.rfc-editor.org/rfc/rfc7636#section-4

// pkce is one verifier and its challenge.
type pkce struct {
	verifier, challenge string
}

// newPKCE draws a verifier of 32 random octets, base64url-encoded to 43
// characters: "It is RECOMMENDED that the output of a suitable random
// number generator be used to create a 32-octet sequence" (section 4.1).
func newPKCE() pkce {
	v := randomToken()
	return pkce{verifier: v, challenge: pkceS256(v)}
}

// pkceS256 is BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) (section 4.2).
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomToken is 256 random bits, base64url-encoded: unguessable, and made
// only of characters that need no escaping in a URL. It serves as state,
// nonce and PKCE verifier. crypto/rand.Read never fails (Go 1.24+).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
