package oauth2

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
	"github.com/signet-oidc/signet/internal/trust"
)

// The JWT bearer authorization grant, RFC 7523 section 2.1: a client
// exchanges a JWT that a trusted issuer signed about a subject for an
// access token about that subject. Trust is configured through the admin
// API (internal/trust): an issuer, a subject or any subject, a public key
// and the scopes its assertions may request, until an expiry.
//
// Checks, in order (section 3; every failure is invalid_grant unless said):
//   - "assertion" present once (invalid_request otherwise), a compact JWS
//     signed with an asymmetric algorithm: "none" and HMAC are refused
//     before any key is looked at, so HS256 with the public key as the
//     secret cannot work;
//   - the unexpired trust relationships for its iss, sub and header kid
//     (any kid when the header has none); the signature must verify with
//     the key of at least one, which then vouch for the assertion;
//   - aud contains the token endpoint URL (as Hydra requires) or the
//     issuer identifier (RFC 8414's name for this server, which the
//     RFC 7523 update for client assertions recommends); exp present, not
//     passed and at most oauth2.grant.jwt.max_ttl ahead; nbf reached; iat
//     present unless oauth2.grant.jwt.iat_optional, never in the future;
//     jti present unless oauth2.grant.jwt.jti_optional. One minute of clock
//     skew is tolerated (assertion.Leeway);
//   - each requested scope is allowed by a vouching relationship and by the
//     client (invalid_scope), under strategies.scope. Hydra checks only the
//     relationship; a client's scope is its ceiling in every other grant,
//     so it is here too;
//   - the requested audience is checked against the client's, as in
//     client_credentials (invalid_request);
//   - the jti is spent last, scoped by issuer, so a refused request does
//     not burn it, and two issuers' jti values never collide.
//
// Client authentication: Hydra authenticates the client as at every token
// request (its option to skip it is not exposed) and lets public clients
// (token_endpoint_auth_method "none") use the grant, as RFC 7523 section
// 3.1 makes client authentication optional: the signed assertion is the
// credential. Signet does the same; the client must still list the grant
// in grant_types.
//
// The access token: subject = the assertion's sub, client_id = the
// client, no refresh token (RFC 7523 section 2.1 defines none), lifespan
// jwt_bearer_grant_access_token_lifespan else ttl.access_token, format by
// the client's access_token_strategy else strategies.access_token. Its
// audience is the requested one; with oauth2.grant.jwt.omit_assertion_audience
// false (Hydra's behaviour before the key existed) the assertion's aud
// values, which name this server, are added too.

// GrantJWTBearer is the grant_type value.
const GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// TrustGrants is what the grant reads of the trust relationships;
// *sqlstore.Store implements it (trust.Store).
type TrustGrants interface {
	FindTrustGrants(ctx context.Context, issuer, subject, keyID string, now time.Time) ([]*trust.Grant, error)
	ListTrustGrants(ctx context.Context, issuer string, p storage.Page) ([]*trust.Grant, storage.PageResult, error)
}

// JWTBearer implements Grant for the RFC 7523 JWT bearer grant.
type JWTBearer struct {
	Trust  TrustGrants
	Replay assertion.ReplayStore
	Issuer *token.Issuer
	// Config returns the current configuration snapshot (config.Live.Get).
	Config func() *config.Config
	Now    func() time.Time
	// Rand feeds the request id; crypto/rand.Reader in production.
	Rand io.Reader
	// Hooks runs oauth2.token_hook; nil runs none.
	Hooks *TokenHooks
}

var _ Grant = (*JWTBearer)(nil)

func (g *JWTBearer) Type() string { return GrantJWTBearer }

// AllowsPublicClients is true: see the file comment.
func (g *JWTBearer) AllowsPublicClients() bool { return true }

// Exchange verifies the assertion and issues one access token.
func (g *JWTBearer) Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error) {
	cfg := g.Config()
	now := g.Now()
	v, err := g.verify(ctx, req, cfg, now)
	if err != nil {
		return nil, err
	}
	scopes, err := jwtBearerScopes(req.Scopes, v, SplitScope(c.Scope), ScopeStrategyFor(cfg.Strategies.Scope))
	if err != nil {
		return nil, err
	}
	target, err := TargetAudience(req, c.Audience)
	if err != nil {
		return nil, err
	}
	audience := slices.Clone(target)
	if !cfg.OAuth2.Grant.JWT.OmitAssertionAudience {
		audience = Dedupe(append(audience, v.claims.Audience...))
	}
	if err := g.spend(ctx, v.claims); err != nil {
		return nil, err
	}
	ttl := Lifespan(c.JwtBearerGrantAccessTokenLifespan, cfg.TTL.AccessToken, DefaultAccessTTL)
	return accessOnly{Rand: g.Rand, Hooks: g.Hooks, Issuer: g.Issuer}.issue(ctx, &HookInput{
		GrantType: GrantJWTBearer, Client: c, Subject: v.claims.Subject,
		RequestedScopes: req.Scopes, GrantedScopes: scopes, GrantedAudience: audience, Form: req.Form,
	}, token.Claims{
		ClientID: c.ID, Subject: v.claims.Subject, Scopes: scopes, Audience: audience,
		GrantType: GrantJWTBearer, Issuer: cfg.URLs.Self.Issuer, IssuedAt: now, ExpiresAt: now.Add(ttl),
	}, AccessTokenStrategy(c, cfg))
}

// vouched is a verified assertion and the trust relationships whose keys
// verified it.
type vouched struct {
	claims *assertion.Claims
	grants []*trust.Grant
}

// verify reads the assertion and verifies it (verifyTrustedJWT).
func (g *JWTBearer) verify(ctx context.Context, req *TokenRequest, cfg *config.Config, now time.Time) (*vouched, error) {
	raw := req.Form.Get("assertion")
	if raw == "" {
		return nil, InvalidRequest("The assertion parameter is missing; grant_type %s needs the JWT in it.", GrantJWTBearer)
	}
	return verifyTrustedJWT(ctx, g.Trust, raw, cfg, now)
}

// verifyTrustedJWT parses a JWT from an issuer trusted through the trust
// API, finds the relationships that may vouch for it, and checks its
// signature and claims by the rules of the file comment. The jwt-bearer
// grant verifies its assertion with it, and token exchange its "jwt"
// subject and actor tokens; failures are invalid_grant.
func verifyTrustedJWT(ctx context.Context, trusts TrustGrants, raw string, cfg *config.Config, now time.Time) (*vouched, error) {
	tok, err := assertion.Parse(raw, assertion.AsymmetricAlgorithms())
	if err != nil {
		return nil, refusedAssertion(err)
	}
	u := tok.Unverified()
	if u.Issuer == "" || u.Subject == "" {
		return nil, InvalidGrant("The assertion must contain \"iss\" (issuer) and \"sub\" (subject) claims.")
	}
	grants, err := trusts.FindTrustGrants(ctx, u.Issuer, u.Subject, tok.KeyID(), now)
	if err != nil {
		return nil, ServerError(err)
	}
	if len(grants) == 0 {
		return nil, untrusted(ctx, trusts, u.Issuer, u.Subject, tok.KeyID(), now)
	}
	rules := assertion.Rules{
		Issuer: u.Issuer, Subject: u.Subject, Audiences: jwtBearerAudiences(cfg),
		MaxLifetime: maxAssertionTTL(cfg), IATOptional: cfg.OAuth2.Grant.JWT.IATOptional,
		JTIOptional: cfg.OAuth2.Grant.JWT.JTIOptional, Now: now,
	}
	return verifyWith(tok, grants, rules)
}

// verifyWith tries each relationship's key; every relationship whose key
// verifies vouches. Claim failures do not depend on the key, so the first
// one (after a verified signature) is final. Keys shared by several
// relationships are verified once.
func verifyWith(tok *assertion.JWT, grants []*trust.Grant, rules assertion.Rules) (*vouched, error) {
	out := &vouched{}
	verified := map[string]bool{}
	var sigErr error
	for _, tg := range grants {
		ok, seen := verified[string(tg.PublicKey)]
		if !seen {
			key, err := tg.DecodeKey()
			if err != nil {
				return nil, ServerError(err)
			}
			claims, err := tok.Verify(assertion.Keys{Public: []jose.JSONWebKey{key}}, rules)
			switch {
			case errors.Is(err, assertion.ErrSignature):
				sigErr = err
			case err != nil:
				return nil, refusedAssertion(err)
			default:
				ok, out.claims = true, claims
			}
			verified[string(tg.PublicKey)] = ok
		}
		if ok {
			out.grants = append(out.grants, tg)
		}
	}
	if len(out.grants) == 0 {
		return nil, InvalidGrant("The assertion's signature does not verify with the key of any trust relationship for its issuer and subject.").Because(sigErr)
	}
	return out, nil
}

// untrusted explains why no relationship matched: an unknown kid, a
// subject the issuer is not trusted for (or whose trust expired), or an
// issuer nobody trusts. It costs up to two more reads, on failures only.
func untrusted(ctx context.Context, trusts TrustGrants, iss, sub, kid string, now time.Time) error {
	q := func(s string) string { return httpx.Clip(s, 64) }
	if kid != "" {
		other, err := trusts.FindTrustGrants(ctx, iss, sub, "", now)
		if err != nil {
			return ServerError(err)
		}
		if len(other) > 0 {
			return InvalidGrant("No trust relationship for issuer %q and subject %q has a key with kid %q.", q(iss), q(sub), q(kid))
		}
	}
	known, _, err := trusts.ListTrustGrants(ctx, iss, storage.Page{Size: 1})
	if err != nil {
		return ServerError(err)
	}
	if len(known) > 0 {
		return InvalidGrant("The issuer %q is trusted, but no unexpired trust relationship allows subject %q.", q(iss), q(sub))
	}
	return InvalidGrant("The issuer %q is not trusted: no trust relationship names it.", q(iss))
}

// spend marks the jti used (spendTrustedJTI).
func (g *JWTBearer) spend(ctx context.Context, c *assertion.Claims) error {
	return spendTrustedJTI(ctx, g.Replay, c)
}

// spendTrustedJTI marks the jti of a verified trusted JWT used, in the
// issuer's replay scope, which jwt-bearer assertions and token exchange
// share: a JWT is spent once, whichever grant presents it. Without a jti
// (oauth2.grant.jwt.jti_optional) there is nothing to spend and the JWT
// may be replayed until exp.
func spendTrustedJTI(ctx context.Context, replay assertion.ReplayStore, c *assertion.Claims) error {
	if c.ID == "" {
		return nil
	}
	err := assertion.ConsumeJTI(ctx, replay, assertion.JWTBearerScope(c.Issuer), c)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, assertion.ErrReplayed):
		return refusedAssertion(err)
	default:
		return ServerError(err)
	}
}

// jwtBearerScopes checks each requested scope against the vouching
// relationships (one covering it is enough) and the client. Nothing
// requested grants nothing, as in Hydra.
func jwtBearerScopes(requested []string, v *vouched, clientScope []string, covers ScopeStrategy) ([]string, error) {
	var trusted []string
	for _, tg := range v.grants {
		trusted = append(trusted, tg.Scope...)
	}
	for _, s := range requested {
		if !covers(trusted, s) {
			return nil, InvalidScope("The trust relationship for issuer %q and subject %q does not allow scope %q.",
				httpx.Clip(v.claims.Issuer, 64), httpx.Clip(v.claims.Subject, 64), httpx.Clip(s, 64))
		}
		if !covers(clientScope, s) {
			return nil, InvalidScope("The client is not allowed to request scope %q.", httpx.Clip(s, 64))
		}
	}
	return Dedupe(requested), nil
}

// jwtBearerAudiences are the "aud" values that name this server: the
// token endpoint URL and the issuer identifier.
func jwtBearerAudiences(cfg *config.Config) []string {
	out := []string{cfg.PublicEndpoint("/oauth2/token")}
	if iss := cfg.IssuerURL(); iss != "" && iss != out[0] {
		out = append(out, iss)
	}
	return out
}

// defaultAssertionTTL is oauth2.grant.jwt.max_ttl's default (Hydra's).
const defaultAssertionTTL = 720 * time.Hour

func maxAssertionTTL(cfg *config.Config) time.Duration {
	if d := cfg.OAuth2.Grant.JWT.MaxTTL; d > 0 {
		return d
	}
	return defaultAssertionTTL
}

// refusedAssertion renders an assertion refusal as invalid_grant with the
// package's sender-safe message as hint.
func refusedAssertion(err error) error {
	return InvalidGrant("%s", assertion.Message(err)).Because(err)
}
