package clientauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// Client authentication with a JWT: RFC 7523 section 2.2 and OIDC Core
// section 9 (private_key_jwt, client_secret_jwt).
//
// The request carries client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer and a
// client_assertion, and no other credentials (HTTP Basic or a
// client_secret with it is invalid_request). client_id in the body is
// optional; when present it must equal the assertion's sub.
//
// Checks, in order; every failure is invalid_client (401):
//   - the assertion is a compact JWS of at most 8 KiB (the form limit),
//     signed with one of the algorithms below, never "none";
//   - iss and sub are present and equal (both are the client_id);
//   - the client exists and is registered for private_key_jwt or
//     client_secret_jwt, the alg belongs to that method and equals the
//     client's token_endpoint_auth_signing_alg when it has one;
//   - the signature verifies with the client's jwks, its jwks_uri (cached,
//     refetched once for an unknown kid), or for client_secret_jwt with
//     its current or a rotated secret (HMAC; no slow hash is involved);
//   - aud contains the token endpoint URL, the issuer identifier or the
//     URL of the endpoint called (for the revocation endpoint); exp is
//     present, not passed and at most MaxLifetime ahead; nbf reached; iat,
//     optional, not in the future; jti present and never used before by
//     this client (it is remembered until exp).
//
// Until the signature verifies, every failure that depends on the client
// (unknown, another method or algorithm, no fitting key, a wrong
// signature, its jwks_uri unreachable) gives one hint, so a stranger cannot
// tell which client ids exist; after it, hints are precise, because only
// the holder of the client's key can read them.
//
// Differences from Hydra, on purpose:
//   - client_secret_jwt is supported (Hydra refuses it) using the secret
//     sealed with the system secret;
//   - without token_endpoint_auth_signing_alg every algorithm of the method
//     is accepted; Hydra then demands RS256;
//   - exp may be at most MaxLifetime (one hour) ahead; Hydra has no bound,
//     which lets one assertion, and its replay record, live for years;
//   - the issuer identifier and the called endpoint are also accepted as
//     aud (RFC 7523 section 3 item 3; the RFC 7523 update for client
//     assertions recommends the issuer);
//   - a replayed jti is invalid_client (401) like every other failure;
//     Hydra answers jti_known (400).

// AssertionType is the only client_assertion_type (RFC 7523 section 2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// The JWT client authentication methods (OIDC Core section 9).
const (
	MethodPrivateKeyJWT = "private_key_jwt"
	MethodSecretJWT     = "client_secret_jwt"
)

// DefaultAssertionMaxLifetime bounds exp: client assertions are signed per
// request, and one hour is generous for clock skew and for clients that
// reuse a signed assertion's template.
const DefaultAssertionMaxLifetime = time.Hour

// maxRotatedSecrets bounds the rotated secrets tried for one request,
// whatever the stored list holds (the admin API keeps at most this many).
const maxRotatedSecrets = 5

// assertionFailed is the hint for every failure before the signature
// verifies (see the file comment).
const assertionFailed = "The client does not exist, is not registered for this JWT authentication method or signing algorithm, " +
	"or the client_assertion's signature does not verify with the client's keys."

// TokenEndpointAuthMethods lists the supported token_endpoint_auth_method
// values, for discovery's token_endpoint_auth_methods_supported (and the
// revocation endpoint's).
func TokenEndpointAuthMethods() []string {
	return []string{MethodBasic, MethodPost, MethodPrivateKeyJWT, MethodSecretJWT, MethodNone}
}

// TokenEndpointAuthSigningAlgs lists the algorithms accepted for client
// assertions, for token_endpoint_auth_signing_alg_values_supported.
func TokenEndpointAuthSigningAlgs() []string {
	var out []string
	for _, a := range append(assertion.AsymmetricAlgorithms(), assertion.HMACAlgorithms()...) {
		out = append(out, string(a))
	}
	return out
}

// methodAlgs are the algorithms a method may use: public-key signatures
// for private_key_jwt, HMAC for client_secret_jwt.
func methodAlgs(method string) []jose.SignatureAlgorithm {
	switch method {
	case MethodPrivateKeyJWT:
		return assertion.AsymmetricAlgorithms()
	case MethodSecretJWT:
		return assertion.HMACAlgorithms()
	}
	return nil
}

// KeyFetcher returns the keys at a client's jwks_uri.
type KeyFetcher = assertion.KeyFetcher

// AssertionDeps are the inputs of NewAssertions.
type AssertionDeps struct {
	// Keyring opens the sealed secrets of client_secret_jwt clients.
	Keyring *secret.Keyring
	// JWKS fetches jwks_uri key sets.
	JWKS KeyFetcher
	// Replay remembers used jti values.
	Replay assertion.ReplayStore
	// Config gives the URLs an assertion may name as its audience.
	Config func() *config.Config
	Now    func() time.Time
	// MaxLifetime bounds exp; 0 means DefaultAssertionMaxLifetime.
	MaxLifetime time.Duration
}

// Assertions verifies client assertions for Authenticator.
type Assertions struct {
	keyring     *secret.Keyring
	jwks        KeyFetcher
	replay      assertion.ReplayStore
	config      func() *config.Config
	now         func() time.Time
	maxLifetime time.Duration
}

// NewAssertions checks that every dependency is present.
func NewAssertions(d AssertionDeps) (*Assertions, error) {
	if d.Keyring == nil || d.JWKS == nil || d.Replay == nil || d.Config == nil || d.Now == nil {
		return nil, errors.New("clientauth: client assertions need Keyring, JWKS, Replay, Config and Now")
	}
	if d.MaxLifetime < 0 {
		return nil, errors.New("clientauth: client assertion MaxLifetime must not be negative")
	}
	life := d.MaxLifetime
	if life == 0 {
		life = DefaultAssertionMaxLifetime
	}
	return &Assertions{keyring: d.Keyring, jwks: d.JWKS, replay: d.Replay, config: d.Config,
		now: d.Now, maxLifetime: life}, nil
}

// authenticate verifies cred.assertion and returns its client. It makes
// one client read, at most one jwks_uri fetch and one jti write.
func (v *Assertions) authenticate(ctx context.Context, clients client.Store, cred credentials) (*client.Client, error) {
	tok, err := assertion.Parse(cred.assertion, append(assertion.AsymmetricAlgorithms(), assertion.HMACAlgorithms()...))
	if err != nil {
		return nil, oauth2.InvalidClient("%s", "The client_assertion is invalid: "+assertion.Message(err)).Because(err)
	}
	id, err := assertedClientID(tok.Unverified(), cred.id)
	if err != nil {
		return nil, err
	}
	c, err := clients.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, oauth2.InvalidClient(assertionFailed).Because(errors.New("unknown client"))
	}
	if err != nil {
		return nil, oauth2.ServerError(fmt.Errorf("load client: %w", err))
	}
	keys, err := v.keysFor(ctx, c, tok)
	if err != nil {
		return nil, err
	}
	claims, err := tok.Verify(keys, v.rules(c.ID, cred.endpoint))
	switch {
	case errors.Is(err, assertion.ErrClaims):
		return nil, oauth2.InvalidClient("%s", "The client_assertion is invalid: "+assertion.Message(err)).Because(err)
	case err != nil:
		return nil, oauth2.InvalidClient(assertionFailed).Because(err)
	}
	err = assertion.ConsumeJTI(ctx, v.replay, assertion.ClientAssertionScope(c.ID), claims)
	switch {
	case errors.Is(err, assertion.ErrReplayed):
		return nil, oauth2.InvalidClient("%s", "The client_assertion is invalid: "+assertion.Message(err)).Because(err)
	case err != nil:
		return nil, oauth2.ServerError(err)
	}
	return c, nil
}

// assertedClientID requires iss and sub to name one client (RFC 7523
// section 3 items 1 and 2, as section 2.2 applies them to client
// authentication), equal to client_id in the body when that is present.
// It looks only at the request, so its precise hints reveal nothing.
func assertedClientID(u assertion.Claims, formID string) (string, error) {
	switch {
	case u.Issuer == "" || u.Subject == "":
		return "", oauth2.InvalidClient("The client_assertion must have iss and sub claims, both the client_id.")
	case u.Issuer != u.Subject:
		return "", oauth2.InvalidClient("The client_assertion's iss and sub claims must both be the client_id.")
	case formID != "" && formID != u.Subject:
		return "", oauth2.InvalidClient("The client_id in the body differs from the client_assertion's iss and sub claims.")
	case len(u.Subject) > oauth2.MaxClientIDLen:
		return "", oauth2.InvalidClient(assertionFailed).Because(errors.New("client id exceeds the length bound"))
	}
	return u.Subject, nil
}

// keysFor checks that c may use tok's algorithm and returns the keys to
// verify it with.
func (v *Assertions) keysFor(ctx context.Context, c *client.Client, tok *assertion.JWT) (assertion.Keys, error) {
	method := registeredMethod(c)
	allowed := methodAlgs(method)
	if allowed == nil {
		return assertion.Keys{}, oauth2.InvalidClient(assertionFailed).Because(fmt.Errorf("client is registered for %q, request used a client assertion", method))
	}
	if reg := c.TokenEndpointAuthSigningAlg; reg != "" {
		allowed = slices.DeleteFunc(allowed, func(a jose.SignatureAlgorithm) bool { return string(a) != reg })
	}
	if !slices.Contains(allowed, tok.Algorithm()) {
		return assertion.Keys{}, oauth2.InvalidClient(assertionFailed).Because(fmt.Errorf("alg %s not allowed for the client (method %s, registered alg %q)",
			tok.Algorithm(), method, c.TokenEndpointAuthSigningAlg))
	}
	if method == MethodSecretJWT {
		return v.secretKeys(c)
	}
	return v.publicKeys(ctx, c, tok.KeyID())
}

// publicKeys are the client's registered jwks, or those at its jwks_uri.
func (v *Assertions) publicKeys(ctx context.Context, c *client.Client, kid string) (assertion.Keys, error) {
	keys, err := assertion.ClientKeys(ctx, v.jwks, c.JWKS, c.JWKSURI, kid)
	if err != nil {
		return assertion.Keys{}, oauth2.InvalidClient(assertionFailed).Because(err)
	}
	return keys, nil
}

// secretKeys opens the current secret and the rotated ones, in that order.
// An expired secret authenticates nothing (client_secret_expires_at). A
// sealed secret that does not open means secrets.system lost the key that
// sealed it: a server problem, not the client's.
func (v *Assertions) secretKeys(c *client.Client) (assertion.Keys, error) {
	if c.SecretExpiresAt != 0 && v.now().Unix() >= c.SecretExpiresAt {
		return assertion.Keys{}, oauth2.InvalidClient(assertionFailed).Because(errors.New("client secret expired"))
	}
	sealed := [][]byte{c.Credentials.SealedSecret}
	for _, r := range c.Credentials.Rotated[:min(len(c.Credentials.Rotated), maxRotatedSecrets)] {
		sealed = append(sealed, r.Sealed)
	}
	var keys assertion.Keys
	for _, s := range sealed {
		if len(s) == 0 {
			continue
		}
		plain, err := client.OpenSecret(v.keyring, c.ID, s)
		if err != nil {
			return assertion.Keys{}, oauth2.ServerError(fmt.Errorf("client %q: %w (was secrets.system rotated without keeping the old secret?)", c.ID, err))
		}
		keys.HMAC = append(keys.HMAC, []byte(plain))
	}
	if len(keys.HMAC) == 0 {
		return assertion.Keys{}, oauth2.InvalidClient(assertionFailed).Because(errors.New("client_secret_jwt client has no sealed secret"))
	}
	return keys, nil
}

// rules are the claim rules for an assertion of client id sent to the
// endpoint at path.
func (v *Assertions) rules(id, path string) assertion.Rules {
	cfg := v.config()
	auds := []string{cfg.PublicEndpoint("/oauth2/token")}
	if iss := cfg.IssuerURL(); iss != "" {
		auds = append(auds, iss)
	}
	if path != "" {
		if here := cfg.PublicEndpoint(path); !slices.Contains(auds, here) {
			auds = append(auds, here)
		}
	}
	return assertion.Rules{Issuer: id, Subject: id, Audiences: auds, MaxLifetime: v.maxLifetime,
		IATOptional: true, Now: v.now()}
}
