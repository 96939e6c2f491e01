package cli

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // registers crypto.SHA256 for atHash
	_ "crypto/sha512" // registers crypto.SHA384 and crypto.SHA512
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ID token validation as a relying party does it (OpenID Connect Core 1.0
// section 3.1.3.7): the signature against the provider's JWKS, then iss,
// aud, azp, exp, iat and nonce, and at_hash when present (section 3.1.3.8).
// This is written independently of the server's minting code on purpose: a
// second implementation is what catches a server that signs or claims
// something wrong. Not supported: encrypted ID tokens (Signet issues none)
// and HMAC-signed ones, whose key would be the client secret.
// https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation

const (
	// maxIDTokenLen bounds the token before any decoding; consent may add
	// claims, but not tens of kilobytes of them.
	maxIDTokenLen = 64 << 10
	// idTokenLeeway is the clock skew tolerated on exp and iat.
	idTokenLeeway = time.Minute
)

// idTokenRules say what the ID token must satisfy. Every field is required
// except AccessToken.
type idTokenRules struct {
	Issuer   string // discovery's issuer: iss must equal it
	ClientID string // aud must contain it; azp, when present, must equal it
	Nonce    string // the nonce of the authorization request
	Algs     []jose.SignatureAlgorithm
	// AccessToken, when set, is checked against at_hash if the token has one.
	AccessToken string
	Now         time.Time
}

// verifiedIDToken is what verification established.
type verifiedIDToken struct {
	Claims    json.RawMessage // the payload exactly as signed
	Subject   string
	Algorithm jose.SignatureAlgorithm
	KeyID     string
}

// idTokenClaims are the claims this file checks; others pass through.
type idTokenClaims struct {
	Issuer   string           `json:"iss"`
	Subject  string           `json:"sub"`
	Audience jwt.Audience     `json:"aud"`
	Expiry   *jwt.NumericDate `json:"exp"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Nonce    string           `json:"nonce"`
	AZP      string           `json:"azp"`
	AtHash   string           `json:"at_hash"`
}

// asymmetricAlgs are the algorithms an ID token may be verified with here:
// public-key signatures only, never "none" and never HMAC.
func asymmetricAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	}
}

// idTokenAlgs is the allow-list for this provider: what discovery offers in
// id_token_signing_alg_values_supported that we can verify, or RS256 when
// discovery is silent (OIDC Core section 15.1 makes RS256 the default).
func idTokenAlgs(offered []string) ([]jose.SignatureAlgorithm, error) {
	if len(offered) == 0 {
		return []jose.SignatureAlgorithm{jose.RS256}, nil
	}
	var algs []jose.SignatureAlgorithm
	for _, a := range offered {
		if alg := jose.SignatureAlgorithm(a); slices.Contains(asymmetricAlgs(), alg) {
			algs = append(algs, alg)
		}
	}
	if len(algs) == 0 {
		return nil, fmt.Errorf("discovery offers ID token algorithms %q, none of which this command verifies (it accepts public-key signatures only)", offered)
	}
	return algs, nil
}

// verifyIDToken checks raw against keys and r, and returns its claims.
func verifyIDToken(raw string, keys jose.JSONWebKeySet, r idTokenRules) (*verifiedIDToken, error) {
	if r.Issuer == "" || r.ClientID == "" || r.Nonce == "" || len(r.Algs) == 0 || r.Now.IsZero() {
		return nil, errors.New("verifying the ID token: incomplete rules") // a bug here, not the server's
	}
	if len(raw) > maxIDTokenLen {
		return nil, fmt.Errorf("the ID token is longer than %d bytes", maxIDTokenLen)
	}
	jws, err := jose.ParseSignedCompact(raw, r.Algs)
	if err != nil {
		return nil, fmt.Errorf("the ID token is not a JWS signed with one of %v: %w", r.Algs, err)
	}
	h := jws.Signatures[0].Header
	payload, err := verifyWithKeySet(jws, keys)
	if err != nil {
		return nil, err
	}
	claims, err := decodeIDTokenClaims(payload)
	if err != nil {
		return nil, err
	}
	alg := jose.SignatureAlgorithm(h.Algorithm)
	if err := checkIDTokenClaims(claims, alg, r); err != nil {
		return nil, err
	}
	return &verifiedIDToken{Claims: bytes.TrimSpace(payload), Subject: claims.Subject, Algorithm: alg, KeyID: h.KeyID}, nil
}

// verifyWithKeySet tries the keys that fit the header: the same kid when
// the header names one, a signing key, the header's algorithm when the key
// names one. go-jose refuses a key of the wrong type for the algorithm;
// symmetric keys are skipped, so a published secret never verifies.
func verifyWithKeySet(jws *jose.JSONWebSignature, keys jose.JSONWebKeySet) ([]byte, error) {
	h := jws.Signatures[0].Header
	tried := 0
	for _, k := range keys.Keys {
		if (h.KeyID != "" && k.KeyID != h.KeyID) || (k.Use != "" && k.Use != "sig") ||
			(k.Algorithm != "" && k.Algorithm != h.Algorithm) {
			continue
		}
		pub := k.Public()
		if !pub.Valid() {
			continue
		}
		tried++
		if payload, err := jws.Verify(pub.Key); err == nil {
			return payload, nil
		}
	}
	if tried == 0 {
		return nil, fmt.Errorf("the provider's JWKS has no %s signing key with kid %q for the ID token", h.Algorithm, h.KeyID)
	}
	return nil, fmt.Errorf("the ID token's signature does not verify with the provider's JWKS (kid %q, %s)", h.KeyID, h.Algorithm)
}

// decodeIDTokenClaims requires one JSON object whose registered claims
// have their RFC 7519 types.
func decodeIDTokenClaims(payload []byte) (*idTokenClaims, error) {
	p := bytes.TrimSpace(payload)
	var c idTokenClaims
	dec := json.NewDecoder(bytes.NewReader(p))
	if len(p) == 0 || p[0] != '{' || dec.Decode(&c) != nil || dec.More() {
		return nil, errors.New("the ID token's payload is not a JSON object of claims with the registered types")
	}
	return &c, nil
}

// checkIDTokenClaims applies OIDC Core section 3.1.3.7 items 2-11.
func checkIDTokenClaims(c *idTokenClaims, alg jose.SignatureAlgorithm, r idTokenRules) error {
	switch {
	case c.Issuer != r.Issuer:
		return fmt.Errorf("the ID token's iss is %q, but discovery names the issuer %q", c.Issuer, r.Issuer)
	case c.Subject == "":
		return errors.New("the ID token has no sub")
	case !slices.Contains(c.Audience, r.ClientID):
		return fmt.Errorf("the ID token's aud %q does not contain the client ID %q", []string(c.Audience), r.ClientID)
	case c.AZP != "" && c.AZP != r.ClientID:
		return fmt.Errorf("the ID token's azp is %q, not the client ID %q", c.AZP, r.ClientID)
	case c.Expiry == nil:
		return errors.New("the ID token has no exp")
	case !r.Now.Before(c.Expiry.Time().Add(idTokenLeeway)):
		return fmt.Errorf("the ID token expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
	case c.IssuedAt == nil:
		return errors.New("the ID token has no iat")
	case c.IssuedAt.Time().After(r.Now.Add(idTokenLeeway)):
		return fmt.Errorf("the ID token's iat (%s) is in the future; is this machine's clock right?", c.IssuedAt.Time().UTC().Format(time.RFC3339))
	case subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(r.Nonce)) != 1:
		return errors.New("the ID token's nonce is not the one this command sent: the token was issued for another sign-in")
	}
	if c.AtHash != "" && r.AccessToken != "" {
		want, err := atHash(alg, r.AccessToken)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(c.AtHash), []byte(want)) != 1 {
			return errors.New("the ID token's at_hash does not match the access token it came with")
		}
	}
	return nil
}

// atHash is the base64url left half of the access token's hash, with the
// hash of the ID token's algorithm (OIDC Core section 3.1.3.6; SHA-512 for
// EdDSA with Ed25519, as implementations agree).
func atHash(alg jose.SignatureAlgorithm, accessToken string) (string, error) {
	var h crypto.Hash
	switch alg {
	case jose.RS256, jose.PS256, jose.ES256:
		h = crypto.SHA256
	case jose.RS384, jose.PS384, jose.ES384:
		h = crypto.SHA384
	case jose.RS512, jose.PS512, jose.ES512, jose.EdDSA:
		h = crypto.SHA512
	default:
		return "", fmt.Errorf("no at_hash hash for algorithm %s", alg)
	}
	d := h.New()
	d.Write([]byte(accessToken))
	sum := d.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), nil
}
