package oauth2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// OAuth 2.0 Token Exchange, RFC 8693: a client presents a token about a
// subject (subject_token) and, for delegation, a token about the party
// acting for it (actor_token), and gets a new access token for another
// audience. Sections 2.1 and 2.2; section 4.1 (act) and 4.4 (may_act).
//
// Who may exchange what is the client's token_exchange policy
// (client/token_exchange.go). In order:
//
//   - Confidential clients only: the policy is the client's, so the
//     client must prove who it is; a public client's client_id is no
//     credential, and anyone holding a leaked token could exchange it.
//   - subject_token_type (and actor_token_type) must be one the policy
//     accepts (default: access tokens only):
//     access_token: a token this server issued, opaque or JWT, active;
//     id_token: an ID token this server signed, unexpired;
//     jwt: a JWT from an issuer trusted through the jwt-bearer trust API,
//     verified exactly as a jwt-bearer assertion (grant_jwt_bearer.go:
//     trusted issuer and subject, asymmetric signature, aud naming this
//     server, exp, iat, jti), and its jti spent like an assertion's.
//   - A Signet token must be the client's own or meant for it: issued to
//     the client, or naming its client_id in its audience (aud or azp for
//     ID tokens). Anyone else's token is refused, so a client cannot turn
//     a token it happened to see into one of its own.
//   - A DPoP-bound token (RFC 9449) is accepted without a proof of its
//     key: the usual exchanger is the resource server it was sent to,
//     which checked the proof on receipt but never holds the key, and the
//     request's one DPoP proof names the key of the new token instead
//     (DPoPBinding.Bind). The client authentication and the rule above
//     stand in for the proof; the binding does not carry over.
//   - Without actor_token the exchange is impersonation, allowed only
//     when the policy says impersonation: true. With one, the new token
//     carries act {"sub": actor} (plus "iss" for a trusted JWT's actor),
//     nesting the subject token's own act (section 4.1). When the subject
//     token has may_act (in its ext for Signet access tokens, as a claim
//     otherwise), an actor matching its sub (and iss) is required.
//   - Scope never widens. An access token's scope is the ceiling (each
//     requested scope must be one it holds; none requested means all of
//     them), intersected with the client's scope (strategies.scope). A
//     trusted JWT's ceiling is its trust relationships' scope, as in
//     jwt-bearer (none requested means none). An ID token grants no scope.
//   - audience and resource (RFC 8707) name the targets; each must be
//     covered by the policy's audiences (matched like a client's
//     audience), else invalid_target. None means no audience.
//   - requested_token_type: access_token (default; the client's
//     access_token_strategy) or jwt (a JWT access token whatever the
//     strategy). ID tokens and refresh tokens are not issued: an exchanged
//     token lives at most as long as the subject token, and a refresh
//     token would outlive it.
//
// The access token: sub = the subject token's sub, client_id = the
// exchanging client, grant_type = the token exchange URN, lifespan
// ttl.access_token but never beyond the subject token's expiry; a Signet
// access token's ext is carried over (without act and may_act). Token
// hooks run as for other grants. Invalid or unacceptable tokens are
// invalid_request, as section 2.2.2 specifies.
//
// Not supported: other token types (SAML, refresh tokens as subjects),
// and "audience" repeated (send it space-separated, as Hydra reads it).

// GrantTokenExchange is the grant_type value.
const GrantTokenExchange = client.GrantTokenExchange

// Token exchange request parameters (section 2.1).
const (
	paramSubjectToken       = "subject_token"
	paramSubjectTokenType   = "subject_token_type"
	paramActorToken         = "actor_token"
	paramActorTokenType     = "actor_token_type"
	paramRequestedTokenType = "requested_token_type"
)

// TokenExchange implements Grant for RFC 8693.
type TokenExchange struct {
	Tokens token.Store
	Opaque token.AccessStrategy
	JWT    token.AccessStrategy
	// IDTokens verifies ID tokens presented as subject or actor.
	IDTokens *token.IDTokens
	// Trust and Replay verify and spend trusted JWTs, as jwt-bearer does.
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

var _ Grant = (*TokenExchange)(nil)

func (g *TokenExchange) Type() string { return GrantTokenExchange }

// AllowsPublicClients is false: see the file comment.
func (g *TokenExchange) AllowsPublicClients() bool { return false }

// presented is a verified subject or actor token.
type presented struct {
	Type    string // its token type URN
	Param   string // subject_token or actor_token
	Subject string
	// Issuer is who vouches for it: a trusted JWT's iss, else this
	// server's issuer identifier.
	Issuer    string
	Scopes    []string // an access token's scope
	ExpiresAt time.Time
	// Claims are its extra claims: a Signet access token's ext, else the
	// JWT's claims. act and may_act are read from them.
	Claims  map[string]any
	vouched *vouched // a trusted JWT: its relationships and jti
}

// Exchange verifies the tokens, decides scope and audience, and issues one
// access token.
func (g *TokenExchange) Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error) {
	cfg, now := g.Config(), g.Now()
	strategy, issuedType, err := requestedTokenType(req, c, cfg)
	if err != nil {
		return nil, err
	}
	subject, actor, err := g.presentedTokens(ctx, req, c, cfg, now)
	if err != nil {
		return nil, err
	}
	// A trusted JWT passes its checks up to assertion.Leeway after exp, but
	// the new token may not outlive it: nothing would be left to issue.
	expires := exchangeExpiry(now, cfg, subject.ExpiresAt)
	if !expires.After(now) {
		return nil, InvalidRequest("The subject_token has expired.")
	}
	scopes, err := exchangeScopes(req.Scopes, subject, SplitScope(c.Scope), ScopeStrategyFor(cfg.Strategies.Scope))
	if err != nil {
		return nil, err
	}
	audience, err := exchangeAudience(req, c.TokenExchange.ExchangeAudiences())
	if err != nil {
		return nil, err
	}
	for _, p := range []*presented{subject, actor} {
		if p != nil && p.vouched != nil {
			if err := spendTrustedJTI(ctx, g.Replay, p.vouched.claims); err != nil {
				return nil, asExchangeError(err, p.Param)
			}
		}
	}
	resp, err := accessOnly{Rand: g.Rand, Hooks: g.Hooks, Issuer: g.Issuer}.issue(ctx, &HookInput{
		GrantType: GrantTokenExchange, Client: c, Subject: subject.Subject,
		RequestedScopes: req.Scopes, GrantedScopes: scopes, GrantedAudience: audience, Form: req.Form,
		AccessTokenClaims: carriedExt(subject),
	}, token.Claims{
		ClientID: c.ID, Subject: subject.Subject, Scopes: scopes, Audience: audience,
		GrantType: GrantTokenExchange, Issuer: cfg.IssuerURL(), IssuedAt: now, ExpiresAt: expires,
		Act: actClaim(subject, actor),
	}, strategy)
	if err != nil {
		return nil, err
	}
	resp.IssuedTokenType = issuedType
	return resp, nil
}

// requestedTokenType maps requested_token_type onto an access token
// strategy and the issued_token_type of the response.
func requestedTokenType(req *TokenRequest, c *client.Client, cfg *config.Config) (string, string, error) {
	switch t := req.Form.Get(paramRequestedTokenType); t {
	case "", client.TokenTypeAccessToken:
		return AccessTokenStrategy(c, cfg), client.TokenTypeAccessToken, nil
	case client.TokenTypeJWT:
		return token.StrategyJWT, client.TokenTypeJWT, nil
	default:
		return "", "", InvalidRequest("The requested_token_type %q is not issued by token exchange; use %s or %s.",
			httpx.Clip(t, 96), client.TokenTypeAccessToken, client.TokenTypeJWT)
	}
}

// presentedTokens reads the subject token and, when sent, the actor token,
// and applies the delegation rules.
func (g *TokenExchange) presentedTokens(ctx context.Context, req *TokenRequest, c *client.Client, cfg *config.Config, now time.Time) (subject, actor *presented, err error) {
	raw, typ := req.Form.Get(paramSubjectToken), req.Form.Get(paramSubjectTokenType)
	if raw == "" || typ == "" {
		return nil, nil, InvalidRequest("The subject_token and subject_token_type parameters are required.")
	}
	if subject, err = g.read(ctx, c, paramSubjectToken, raw, typ, cfg, now); err != nil {
		return nil, nil, err
	}
	raw, typ = req.Form.Get(paramActorToken), req.Form.Get(paramActorTokenType)
	switch {
	case raw == "" && typ != "":
		return nil, nil, InvalidRequest("The actor_token_type parameter was sent without actor_token.")
	case raw != "" && typ == "":
		return nil, nil, InvalidRequest("The actor_token_type parameter is required with actor_token (RFC 8693 section 2.1).")
	case raw != "":
		if actor, err = g.read(ctx, c, paramActorToken, raw, typ, cfg, now); err != nil {
			return nil, nil, err
		}
	case !c.TokenExchange.AllowsImpersonation():
		return nil, nil, InvalidRequest("This client may not impersonate: send an actor_token, or allow impersonation in the client's token_exchange policy.")
	}
	if err := checkMayAct(subject, actor); err != nil {
		return nil, nil, err
	}
	return subject, actor, nil
}

// read verifies one presented token of type typ; param names it in errors.
func (g *TokenExchange) read(ctx context.Context, c *client.Client, param, raw, typ string, cfg *config.Config, now time.Time) (*presented, error) {
	if !c.TokenExchange.AcceptsTokenType(typ) {
		return nil, InvalidRequest("The %s_type %q is not accepted for this client; its token_exchange policy accepts %s.",
			param, httpx.Clip(typ, 96), strings.Join(acceptedTypes(c.TokenExchange), ", "))
	}
	var p *presented
	var err error
	switch typ {
	case client.TokenTypeAccessToken:
		p, err = g.readAccessToken(ctx, c, param, raw, cfg, now)
	case client.TokenTypeIDToken:
		p, err = g.readIDToken(ctx, c, param, raw, cfg, now)
	default: // client.TokenTypeJWT; AcceptsTokenType allows nothing else
		p, err = g.readTrustedJWT(ctx, raw, cfg, now)
		err = asExchangeError(err, param)
	}
	if err != nil {
		return nil, err
	}
	p.Type, p.Param = typ, param
	return p, nil
}

// acceptedTypes lists what the policy accepts, for error hints.
func acceptedTypes(p *client.TokenExchange) []string {
	var out []string
	for _, t := range []string{client.TokenTypeAccessToken, client.TokenTypeIDToken, client.TokenTypeJWT} {
		if p.AcceptsTokenType(t) {
			out = append(out, t)
		}
	}
	return out
}

// readAccessToken accepts an active access token of this server that was
// issued to c or names c in its audience. Every failure reads the same
// apart from the reason, and none reveals another client's token.
func (g *TokenExchange) readAccessToken(ctx context.Context, c *client.Client, param, raw string, cfg *config.Config, now time.Time) (*presented, error) {
	digest, err := token.Check(ctx, raw, g.Opaque, g.JWT)
	if errors.Is(err, token.ErrMalformed) {
		return nil, InvalidRequest("The %s is not an access token issued by this server.", param)
	}
	if err != nil {
		return nil, ServerError(err)
	}
	rec, err := g.Tokens.GetAccess(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, InvalidRequest("The %s is not an access token issued by this server.", param)
	}
	if err != nil {
		return nil, ServerError(err)
	}
	if !isLive(rec, now) {
		return nil, InvalidRequest("The %s is not active: it expired or was revoked.", param)
	}
	if rec.ClientID != c.ID && !slices.Contains(rec.Audience, c.ID) {
		return nil, InvalidRequest("The %s was issued to another client and is not meant for this one (its audience does not name this client).", param)
	}
	ext, err := decodeObject(rec.Ext)
	if err != nil {
		return nil, ServerError(err)
	}
	return &presented{Subject: rec.Subject, Issuer: cfg.IssuerURL(), Scopes: rec.Scopes,
		ExpiresAt: rec.ExpiresAt, Claims: ext}, nil
}

// readIDToken accepts an unexpired ID token this server signed for c (aud
// or azp names it).
func (g *TokenExchange) readIDToken(ctx context.Context, c *client.Client, param, raw string, cfg *config.Config, now time.Time) (*presented, error) {
	claims, err := g.IDTokens.ParseHint(ctx, raw, cfg.IssuerURL())
	if errors.Is(err, token.ErrInvalidHint) {
		return nil, InvalidRequest("The %s is not an ID token issued by this server.", param).Because(err)
	}
	if err != nil {
		return nil, ServerError(err)
	}
	exp, ok := claimDate(claims["exp"])
	if !ok || !now.Before(exp) {
		return nil, InvalidRequest("The %s has expired.", param)
	}
	azp, _ := claims["azp"].(string)
	if azp != c.ID && !slices.Contains(stringList(claims["aud"]), c.ID) {
		return nil, InvalidRequest("The %s was issued to another client (its aud and azp do not name this client).", param)
	}
	sub, _ := claims["sub"].(string)
	return &presented{Subject: sub, Issuer: cfg.IssuerURL(), ExpiresAt: exp, Claims: claims}, nil
}

// readTrustedJWT verifies a JWT from a trusted issuer exactly as the
// jwt-bearer grant verifies an assertion; its jti is spent only once the
// whole exchange is decided.
func (g *TokenExchange) readTrustedJWT(ctx context.Context, raw string, cfg *config.Config, now time.Time) (*presented, error) {
	v, err := verifyTrustedJWT(ctx, g.Trust, raw, cfg, now)
	if err != nil {
		return nil, err
	}
	claims, err := decodeObject(v.claims.Payload)
	if err != nil {
		return nil, InvalidGrant("The JWT's claims are not a JSON object.")
	}
	return &presented{Subject: v.claims.Subject, Issuer: v.claims.Issuer, ExpiresAt: v.claims.Expiry,
		Claims: claims, vouched: v}, nil
}

// asExchangeError turns the invalid_grant of the shared JWT checks into
// section 2.2.2's invalid_request, naming the parameter.
func asExchangeError(err error, param string) error {
	var he *httpx.Error
	if errors.As(err, &he) && he.Code == "invalid_grant" {
		return InvalidRequest("The %s is not acceptable: %s", param, he.Hint).Because(err)
	}
	return err
}

// checkMayAct applies section 4.4: a subject token naming who may act
// needs an actor that matches it.
func checkMayAct(subject, actor *presented) error {
	mayAct, ok := subject.Claims["may_act"].(map[string]any)
	if !ok {
		return nil
	}
	if actor == nil {
		return InvalidRequest("The subject_token names who may act for its subject (may_act); send that party's actor_token.")
	}
	sub, _ := mayAct["sub"].(string)
	iss, hasIss := mayAct["iss"].(string)
	if sub != actor.Subject || (hasIss && iss != actor.Issuer) {
		return InvalidRequest("The actor_token's subject is not the party the subject_token allows to act (may_act).")
	}
	return nil
}

// actClaim is the new token's act (section 4.1): the actor, with the
// subject token's own act nested as the prior actors. Without an actor
// (impersonation) a delegation the subject token already carries stays.
func actClaim(subject, actor *presented) map[string]any {
	prior, _ := subject.Claims["act"].(map[string]any)
	if actor == nil {
		return prior
	}
	act := map[string]any{"sub": actor.Subject}
	if actor.vouched != nil { // another issuer's subject: say whose
		act["iss"] = actor.Issuer
	}
	if prior != nil {
		act["act"] = prior
	}
	return act
}

// splitAct separates RFC 8693 section 4.1's "act" from a token's stored
// ext, where the record keeps it (token.Claims.Act): introspection shows
// act at the top level, as section 2.2.1 describes, and ext without it, as
// a JWT access token carries them. Only a JSON object counts as act.
func splitAct(ext json.RawMessage) (rest, act json.RawMessage) {
	if !bytes.Contains(ext, []byte(`"act"`)) {
		return ext, nil // the common case: no decoding
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ext, &m); err != nil {
		return ext, nil
	}
	act = m["act"]
	if len(act) == 0 || act[0] != '{' {
		return ext, nil
	}
	delete(m, "act")
	rest, err := json.Marshal(m)
	if err != nil {
		return ext, act
	}
	return rest, act
}

// carriedExt is the subject access token's ext without the delegation
// claims, which actClaim decides anew; nil for other token types, whose
// claims belong to another audience.
func carriedExt(subject *presented) map[string]any {
	if subject.Type != client.TokenTypeAccessToken || len(subject.Claims) == 0 {
		return nil
	}
	out := make(map[string]any, len(subject.Claims))
	for k, v := range subject.Claims {
		if k != "act" && k != "may_act" {
			out[k] = v
		}
	}
	return out
}

// exchangeScopes decides the scope of the new token (file comment).
func exchangeScopes(requested []string, subject *presented, clientScope []string, covers ScopeStrategy) ([]string, error) {
	switch {
	case subject.vouched != nil:
		return jwtBearerScopes(requested, subject.vouched, clientScope, covers)
	case subject.Type == client.TokenTypeIDToken:
		if len(requested) > 0 {
			return nil, InvalidScope("An ID token grants no scope, so an exchange of one cannot request scope %q.", httpx.Clip(requested[0], 64))
		}
		return []string{}, nil
	case len(requested) == 0:
		out := []string{}
		for _, s := range subject.Scopes {
			if covers(clientScope, s) {
				out = append(out, s)
			}
		}
		return out, nil
	}
	for _, s := range requested {
		if !slices.Contains(subject.Scopes, s) {
			return nil, InvalidScope("The subject_token does not hold scope %q, so an exchange cannot grant it.", httpx.Clip(s, 64))
		}
		if !covers(clientScope, s) {
			return nil, InvalidScope("The client is not allowed to request scope %q.", httpx.Clip(s, 64))
		}
	}
	return Dedupe(requested), nil
}

// exchangeAudience is the audience and resources, each covered by the
// policy's audiences (section 2.2.2: invalid_target).
func exchangeAudience(req *TokenRequest, allowed []string) ([]string, error) {
	targets := Dedupe(append(slices.Clone(req.Audience), req.Resources...))
	for _, a := range targets {
		if !audienceAllowed(a, allowed) {
			return nil, InvalidTarget("The client's token_exchange policy does not allow the audience %q.", httpx.Clip(a, 128))
		}
	}
	return targets, nil
}

// exchangeExpiry is ttl.access_token from now, cut at the subject token's
// expiry.
func exchangeExpiry(now time.Time, cfg *config.Config, subjectExpiry time.Time) time.Time {
	exp := now.Add(Lifespan(nil, cfg.TTL.AccessToken, DefaultAccessTTL))
	if !subjectExpiry.IsZero() && subjectExpiry.Before(exp) {
		return subjectExpiry
	}
	return exp
}

// decodeObject decodes a JSON object (numbers kept exact); empty is nil.
func decodeObject(raw []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// claimDate reads a JWT NumericDate claim decoded as json.Number
// (numericDate in dpop.go bounds its range).
func claimDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	return numericDate(n)
}

// stringList reads a claim that is a string or an array of strings.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, item := range x {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
