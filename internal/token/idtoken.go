package token

// OpenID Connect Core 1.0 ID tokens: minting (sections 2 and 3.1.3.6, with
// at_hash and c_hash per 3.3.2.11) and reading an id_token_hint (3.1.2.1).
//
// The token is signed with the newest key of the hydra.openid.id-token set;
// the signer handed out by jwk.SignerSource sets the "kid" and "typ": "JWT"
// headers. Nothing here writes to storage: ID tokens are not introspectable
// and not revocable, so they are never recorded.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	_ "crypto/sha256" // registers crypto.SHA256 for hashAlg
	_ "crypto/sha512" // registers crypto.SHA384 and crypto.SHA512
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/jwk"
)

// MaxIDTokenHintLen bounds an id_token_hint before any parsing. It is
// larger than MaxJWTLen because consent may add claims to ID tokens.
const MaxIDTokenHintLen = 16 << 10

// ErrInvalidHint is returned by ParseHint for a hint Signet did not issue
// or cannot read. The wrapped message says why and is safe to show.
var ErrInvalidHint = errors.New("token: invalid id_token_hint")

// idTokenAlgorithms is the allow-list for id_token_hint: every signing
// algorithm the key manager can hold, and nothing else (no "none", no HMAC,
// whose "secret" an attacker would pick to be our public key).
var idTokenAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// reservedIDTokenClaims are set by Signet alone; consent's session.id_token
// claims with these names are dropped (never allowed to override them).
var reservedIDTokenClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash",
	"acr", "amr", "sid", "rat", "azp", "jti", "nbf",
}

// IsReservedIDTokenClaim reports whether name is a claim Signet sets itself
// and that extra (consent) claims may not override. Userinfo uses the same
// rule.
func IsReservedIDTokenClaim(name string) bool {
	return slices.Contains(reservedIDTokenClaims, name)
}

// IDTokenClaims is what a grant decided to put into an ID token.
type IDTokenClaims struct {
	Issuer  string // urls.self.issuer; required
	Subject string // public or pairwise subject; required
	// Audience is required. Audience[0] is the client the token is issued
	// to: when there are several audiences it is also the "azp" claim
	// (OIDC Core 2).
	Audience    []string
	ExpiresAt   time.Time // required: the lifetime is the caller's decision
	IssuedAt    time.Time // zero means IDTokens.Now()
	AuthTime    time.Time // auth_time; omitted when zero
	RequestedAt time.Time // rat; omitted when zero
	Nonce       string
	ACR         string
	AMR         []string
	SessionID   string // sid
	// AccessToken and Code, when set, are hashed into at_hash and c_hash.
	// They are never put into the token themselves.
	AccessToken string
	Code        string
	// Extra holds the consent's session.id_token claims.
	Extra map[string]any
}

// IDTokens mints ID tokens and reads id_token_hint values.
type IDTokens struct {
	Signer jwk.SignerSource
	Keys   jwk.KeySource
	Now    func() time.Time
}

// Mint signs an ID token for c with the newest key of the ID token set. It
// returns the names of Extra claims that were dropped because they are
// reserved (sorted), so the caller can log them once; they are not an
// error, because a login/consent app written for Hydra may send them.
func (t *IDTokens) Mint(ctx context.Context, c IDTokenClaims) (raw string, dropped []string, err error) {
	if err := c.check(); err != nil {
		return "", nil, err
	}
	signer, pub, err := t.Signer.Signer(ctx, jwk.SetIDToken)
	if err != nil {
		return "", nil, fmt.Errorf("token: id-token signer: %w", err)
	}
	body, dropped := t.body(c)
	if c.AccessToken != "" || c.Code != "" {
		h, err := hashFor(pub)
		if err != nil {
			return "", nil, err
		}
		if c.AccessToken != "" {
			body["at_hash"] = halfHash(h, c.AccessToken)
		}
		if c.Code != "" {
			body["c_hash"] = halfHash(h, c.Code)
		}
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return "", nil, fmt.Errorf("token: id-token claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", nil, fmt.Errorf("token: signing id token: %w", err)
	}
	raw, err = jws.CompactSerialize()
	if err != nil {
		return "", nil, err
	}
	return raw, dropped, nil
}

func (c *IDTokenClaims) check() error {
	switch {
	case c.Issuer == "":
		return errors.New("token: id token without issuer")
	case c.Subject == "":
		return errors.New("token: id token without subject")
	case len(c.Audience) == 0 || c.Audience[0] == "":
		return errors.New("token: id token without audience")
	case c.ExpiresAt.IsZero():
		return errors.New("token: id token without expiry")
	}
	return nil
}

// body builds the claim set: extra claims first, then the reserved ones on
// top, so no extra claim can survive under a reserved name.
func (t *IDTokens) body(c IDTokenClaims) (map[string]any, []string) {
	body := make(map[string]any, len(c.Extra)+12)
	var dropped []string
	for k, v := range c.Extra {
		if IsReservedIDTokenClaim(k) {
			dropped = append(dropped, k)
			continue
		}
		body[k] = v
	}
	slices.Sort(dropped)
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = t.Now()
	}
	body["iss"] = c.Issuer
	body["sub"] = c.Subject
	body["aud"] = c.Audience // always an array, as Hydra issues it
	body["exp"] = c.ExpiresAt.Unix()
	body["iat"] = iat.Unix()
	if len(c.Audience) > 1 {
		body["azp"] = c.Audience[0]
	}
	if !c.AuthTime.IsZero() {
		body["auth_time"] = c.AuthTime.Unix()
	}
	if !c.RequestedAt.IsZero() {
		body["rat"] = c.RequestedAt.Unix()
	}
	setString(body, "nonce", c.Nonce)
	setString(body, "acr", c.ACR)
	setString(body, "sid", c.SessionID)
	if len(c.AMR) > 0 {
		body["amr"] = c.AMR
	}
	return body, dropped
}

func setString(body map[string]any, name, v string) {
	if v != "" {
		body[name] = v
	}
}

// hashFor picks the hash of OIDC Core 3.3.2.11 for the signing key: the
// hash the JWS algorithm uses. EdDSA names no hash of its own; for Ed25519
// keys Signet uses SHA-512, the hash Ed25519 is built on, as the OpenID
// Foundation's errata and the registrations that followed specify (Ed448
// would take SHAKE256, but the key manager does not hold Ed448 keys, so it
// is refused here rather than guessed).
func hashFor(pub jose.JSONWebKey) (crypto.Hash, error) {
	switch jose.SignatureAlgorithm(pub.Algorithm) {
	case jose.RS256, jose.PS256, jose.ES256:
		return crypto.SHA256, nil
	case jose.RS384, jose.PS384, jose.ES384:
		return crypto.SHA384, nil
	case jose.RS512, jose.PS512, jose.ES512:
		return crypto.SHA512, nil
	case jose.EdDSA:
		if _, ok := pub.Key.(ed25519.PublicKey); ok {
			return crypto.SHA512, nil
		}
	}
	return 0, fmt.Errorf("token: no at_hash/c_hash hash for id-token key %q with alg %q", pub.KeyID, pub.Algorithm)
}

// halfHash is OIDC Core 3.3.2.11: hash the ASCII value, keep the left half,
// base64url without padding.
func halfHash(h crypto.Hash, value string) string {
	d := h.New()
	d.Write([]byte(value))
	sum := d.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// ParseHint reads an id_token_hint (OIDC Core 3.1.2.1). The signature must
// verify against a public key of the ID token set, under an allow-listed
// algorithm that matches the key's; the issuer must be issuer and the
// subject non-empty. Expiry is deliberately not checked: the hint is
// typically an ID token the client received long ago. Numbers keep their
// exact text (json.Number), so the claims can be echoed verbatim to the
// login app as id_token_hint_claims.
//
// Errors wrap ErrInvalidHint, except a failure to read the key set.
func (t *IDTokens) ParseHint(ctx context.Context, raw, issuer string) (map[string]any, error) {
	if len(raw) > MaxIDTokenHintLen {
		return nil, fmt.Errorf("%w: it is longer than %d bytes", ErrInvalidHint, MaxIDTokenHintLen)
	}
	if strings.Count(raw, ".") != 2 {
		return nil, fmt.Errorf("%w: it is not a signed JWT", ErrInvalidHint)
	}
	jws, err := jose.ParseSignedCompact(raw, idTokenAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: it is not a signed JWT with a supported algorithm", ErrInvalidHint)
	}
	set, err := t.Keys.PublicKeys(ctx, jwk.SetIDToken)
	if err != nil {
		return nil, fmt.Errorf("token: id-token public keys: %w", err)
	}
	if !verifiedBy(jws, set) {
		return nil, fmt.Errorf("%w: its signature does not match any ID token signing key", ErrInvalidHint)
	}
	claims, err := decodeClaims(jws.UnsafePayloadWithoutVerification()) // verified just above
	if err != nil {
		return nil, err
	}
	if iss, _ := claims["iss"].(string); iss != issuer {
		return nil, fmt.Errorf("%w: it was issued by another issuer", ErrInvalidHint)
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return nil, fmt.Errorf("%w: it has no subject", ErrInvalidHint)
	}
	return claims, nil
}

// decodeClaims decodes a JSON object with numbers kept as json.Number.
func decodeClaims(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, fmt.Errorf("%w: its payload is not a JSON object", ErrInvalidHint)
	}
	return claims, nil
}
