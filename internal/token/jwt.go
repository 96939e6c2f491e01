package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
)

// JWT access tokens (strategies.access_token: jwt, or a client's
// access_token_strategy), following the RFC 9068 profile where Hydra does:
// iss, sub, aud (always an array), exp, iat, nbf, jti and client_id, with the
// granted scope as "scp" (array), "scope" (space-separated string) or both
// per strategies.jwt.scope_claim, and the session's extra claims under "ext".
//
// Deliberate difference from RFC 9068 section 2.1: the header typ is "JWT",
// not "at+jwt", because that is what Hydra issues and what existing resource
// servers validating Hydra tokens expect. The typ and kid headers are set by
// the signer that jwk.SignerSource hands out.
//
// JWT tokens are still recorded (by digest), so they can be introspected
// and revoked like opaque ones.

// MaxJWTLen bounds a presented JWT before any parsing.
const MaxJWTLen = 8 << 10

// Scope claim styles (strategies.jwt.scope_claim).
const (
	ScopeClaimList   = "list"
	ScopeClaimString = "string"
	ScopeClaimBoth   = "both"
)

// jwtAlgorithms are the algorithms Signet's key manager issues with; Check
// refuses every other, notably "none" and HMAC algorithms.
var jwtAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS512, jose.ES256, jose.ES512, jose.EdDSA}

// JWT mints and checks JWT access tokens signed with the
// hydra.jwt.access-token key set.
type JWT struct {
	Signer jwk.SignerSource
	Keys   jwk.KeySource
	// ScopeClaim returns strategies.jwt.scope_claim; nil means "list".
	ScopeClaim func() string
	// Rand feeds the jti; crypto/rand.Reader in production.
	Rand io.Reader
}

var _ AccessStrategy = (*JWT)(nil)

// jwtClaims is the token body; a struct, not a map, to keep minting cheap.
type jwtClaims struct {
	Issuer    string         `json:"iss,omitempty"`
	Subject   string         `json:"sub"`
	Audience  []string       `json:"aud"`
	ExpiresAt int64          `json:"exp"`
	IssuedAt  int64          `json:"iat"`
	NotBefore int64          `json:"nbf"`
	ID        string         `json:"jti"`
	ClientID  string         `json:"client_id"`
	Scp       []string       `json:"scp,omitempty"`
	Scope     *string        `json:"scope,omitempty"`
	Ext       map[string]any `json:"ext,omitempty"`
	Act       map[string]any `json:"act,omitempty"`
	// Cnf binds a DPoP token to its key (RFC 9449 section 6.1).
	Cnf *Cnf `json:"cnf,omitempty"`
}

// Mint signs a JWT for c with the newest access-token key.
func (j *JWT) Mint(ctx context.Context, c Claims) (string, *AccessRecord, error) {
	jti, err := secret.RandomString(j.Rand, 16)
	if err != nil {
		return "", nil, err
	}
	body := jwtClaims{
		Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience,
		ExpiresAt: c.ExpiresAt.Unix(), IssuedAt: c.IssuedAt.Unix(), NotBefore: c.IssuedAt.Unix(),
		ID: jti, ClientID: c.ClientID, Ext: c.Ext, Act: c.Act, Cnf: CnfOf(c.JKT),
	}
	if body.Audience == nil {
		body.Audience = []string{}
	}
	j.setScope(&body, c.Scopes)
	payload, err := json.Marshal(body)
	if err != nil {
		return "", nil, err
	}
	signer, _, err := j.Signer.Signer(ctx, jwk.SetAccessToken)
	if err != nil {
		return "", nil, fmt.Errorf("token: access-token signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", nil, err
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		return "", nil, err
	}
	rec, err := newRecord(raw, StrategyJWT, c)
	if err != nil {
		return "", nil, err
	}
	return raw, rec, nil
}

func (j *JWT) setScope(body *jwtClaims, scopes []string) {
	style := ScopeClaimList
	if j.ScopeClaim != nil && j.ScopeClaim() != "" {
		style = j.ScopeClaim()
	}
	if scopes == nil {
		scopes = []string{}
	}
	if style == ScopeClaimList || style == ScopeClaimBoth {
		body.Scp = scopes
	}
	if style == ScopeClaimString || style == ScopeClaimBoth {
		s := strings.Join(scopes, " ")
		body.Scope = &s
	}
}

// Check verifies the signature of raw against the public keys of the
// access-token set (held in memory by the key manager) and returns its
// digest. Expiry and revocation are the stored record's business.
func (j *JWT) Check(ctx context.Context, raw string) ([]byte, error) {
	if len(raw) > MaxJWTLen || strings.Count(raw, ".") != 2 {
		return nil, ErrMalformed
	}
	jws, err := jose.ParseSignedCompact(raw, jwtAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, ErrMalformed
	}
	set, err := j.Keys.PublicKeys(ctx, jwk.SetAccessToken)
	if err != nil {
		return nil, fmt.Errorf("token: access-token public keys: %w", err)
	}
	if verifiedBy(jws, set) {
		return Digest(raw), nil
	}
	return nil, ErrMalformed
}

// verifiedBy tries the key named by kid, or every key when the header has
// no kid (tokens of other issuers sharing our keys do not exist, so trying
// all is safe; the set is small).
func verifiedBy(jws *jose.JSONWebSignature, set jose.JSONWebKeySet) bool {
	hdr := jws.Signatures[0].Header
	keys := set.Keys
	if hdr.KeyID != "" {
		keys = set.Key(hdr.KeyID)
	}
	for i := range keys {
		k := keys[i]
		if k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
			continue
		}
		if _, err := jws.Verify(k.Public()); err == nil {
			return true
		}
	}
	return false
}

// isJWT reports whether raw is shaped like a compact JWS.
func isJWT(raw string) bool {
	return strings.Count(raw, ".") == 2 && !IsOpaque(raw)
}

// errNoStrategy is returned by Issuer.Access for an unknown strategy name.
var errNoStrategy = errors.New("token: unknown access token strategy")
