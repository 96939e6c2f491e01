package authorize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// afterConsent handles the browser's return with a consent_verifier: the
// grant is checked against the client, the subject the client will see is
// decided, the consent and what the response type asks for (a code,
// tokens) are stored, and the browser goes back to the client.
//
// Two writes happen here for "code", and with the login verifier's one
// that makes the three-write budget of a flow that is not remembered
// ("token" responses write an access token instead of a code, hybrid ones
// both). The consent verifier has no used-verifier record of its own: the
// consent session's ID is the flow ID and SaveConsent refuses an existing
// ID, so storing the consent is what makes the verifier single use, and it
// happens before anything is minted.
func (a *Endpoint) afterConsent(ctx context.Context, w http.ResponseWriter, r *http.Request, cfg *config.Config, verifier string) (*Redirect, error) {
	f, _, err := a.openVerifier(r, cfg, verifier, flow.PurposeConsentVerifier, consentCSRFName(cfg))
	if err != nil {
		return nil, err
	}
	c, reply, err := a.flowClient(ctx, f, cfg.IssuerURL())
	if err != nil {
		return nil, err
	}
	clearCookie(w, cfg, loginCSRFName(cfg))
	clearCookie(w, cfg, consentCSRFName(cfg))
	if f.State == flow.StateConsentRejected {
		a.observe(oauth2.FlowConsent, oauth2.FlowRejected)
		return a.refuse(ctx, f, reply, rejectError(f.Error))
	}
	// The client may have changed since the request was validated.
	rt, e := flowResponseType(f, c)
	if e == nil {
		e = checkGrant(f, c, rt, oauth2.ScopeStrategyFor(cfg.Strategies.Scope))
	}
	if e != nil {
		return a.refuse(ctx, f, reply, e)
	}
	subject, e := SubjectFor(c, f.Login, cfg.OIDC.SubjectIdentifiers)
	if e != nil {
		return a.refuse(ctx, f, reply, e)
	}
	now := a.Now()
	if err := a.Flows.SaveConsent(ctx, consentSession(f, now)); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, alreadyCompleted(err)
		}
		return nil, fmt.Errorf("saving consent: %w", err)
	}
	if f.Request.Device {
		return a.approveDevice(ctx, f, subject, reply, now)
	}
	params, err := a.issueResponse(ctx, cfg, f, c, rt, subject, now)
	if err != nil {
		return nil, err
	}
	a.observe(oauth2.FlowConsent, oauth2.FlowCompleted)
	if a.Observer != nil && (rt.Token || rt.IDToken) {
		a.Observer.TokensIssued(client.GrantImplicit)
	}
	return reply.success(params), nil
}

// SubjectFor is the subject identifier the client sees in the code, and so
// in every token, ID token and userinfo answer of the grant (OpenID Connect
// Core section 8):
//
//   - a "public" client sees the subject the login app accepted;
//   - a "pairwise" client sees force_subject_identifier when the login app
//     set one (as in Hydra, it overrides the derived value), otherwise
//     token.PairwiseSubject of its sector, the login subject and
//     oidc.subject_identifiers.pairwise.salt.
//
// Client registration accepts subject_type "pairwise" whatever the server
// supports (the client package cannot see the configuration), so this is
// where a pairwise client is refused when oidc.subject_identifiers.
// supported_types lacks "pairwise", or when its sector cannot be
// determined. The refusal is unauthorized_client: the registration, not
// the request, must change.
func SubjectFor(c *client.Client, login flow.LoginResult, ids config.SubjectIdentifiers) (string, *httpx.Error) {
	if c.SubjectType != "pairwise" {
		return login.Subject, nil
	}
	if !slices.Contains(ids.SupportedTypes, "pairwise") {
		return "", oauth2.UnauthorizedClient("The client uses subject_type \"pairwise\", but this server does not support it " +
			"(oidc.subject_identifiers.supported_types does not include \"pairwise\").")
	}
	if login.ForceSubjectIdentifier != "" {
		return login.ForceSubjectIdentifier, nil
	}
	sector, err := token.SectorIdentifier(c)
	if err != nil {
		// The message names the client and how to fix it; it holds no secret.
		return "", oauth2.UnauthorizedClient("%s", strings.TrimPrefix(err.Error(), token.ErrNoSectorIdentifier.Error()+": ")).Because(err)
	}
	return token.PairwiseSubject(sector, login.Subject, ids.Pairwise.Salt), nil
}

// checkGrant refuses a consent that grants what the client may not hold:
// the consent app decides what the user allows, the client registration
// bounds it. A response type that returns an ID token cannot be answered
// when the consent withheld openid.
func checkGrant(f *flow.Flow, c *client.Client, rt ResponseType, covers oauth2.ScopeStrategy) *httpx.Error {
	if rt.IDToken && !slices.Contains(f.Consent.GrantedScope, "openid") {
		return oauth2.AccessDenied("The consent did not grant the openid scope, which response_type %q needs to return an ID token.", rt.String())
	}
	allowed := oauth2.SplitScope(c.Scope)
	for _, s := range f.Consent.GrantedScope {
		if !covers(allowed, s) {
			return oauth2.InvalidScope("The consent granted scope %q, which the client is not allowed to request.", httpx.Clip(s, 64))
		}
	}
	if err := oauth2.CheckAudience(f.Consent.GrantedAudience, c.Audience); err != nil {
		return asHTTPError(err)
	}
	return nil
}

// consentSession is the durable record of the consent. Every consent that
// leads to tokens is stored, so revoking it can revoke them.
func consentSession(f *flow.Flow, now time.Time) *flow.ConsentSession {
	cs := &flow.ConsentSession{
		ID: f.ID, Subject: f.Login.Subject, ClientID: f.ClientID, LoginSessionID: loginSessionID(f),
		GrantedScopes: f.Consent.GrantedScope, GrantedAudience: f.Consent.GrantedAudience,
		Remember: f.Consent.Remember, Session: consentClaims(f.Consent),
		Context: f.Consent.Context, RequestedAt: f.RequestedAt, HandledAt: f.Consent.HandledAt,
	}
	if cs.HandledAt.IsZero() {
		cs.HandledAt = now.UTC().Truncate(time.Second)
	}
	if f.Consent.Remember && f.Consent.RememberFor > 0 {
		until := now.Add(time.Duration(f.Consent.RememberFor) * time.Second).UTC().Truncate(time.Second)
		cs.RememberUntil = &until
	}
	return cs
}

// consentClaims is {"access_token":…,"id_token":…}; AcceptConsent has
// already checked both are objects (or absent).
func consentClaims(c flow.ConsentResult) json.RawMessage {
	m := map[string]json.RawMessage{}
	if len(c.AccessTokenClaims) > 0 && string(c.AccessTokenClaims) != "null" {
		m["access_token"] = c.AccessTokenClaims
	}
	if len(c.IDTokenClaims) > 0 && string(c.IDTokenClaims) != "null" {
		m["id_token"] = c.IDTokenClaims
	}
	out, _ := json.Marshal(m) // a map of valid raw JSON always marshals
	return out
}

// issueCode stores the authorization code (one write) bound to the
// client, the redirect URI as requested and the PKCE challenge, and
// returns the raw code. Only its digest is stored. subject is what the
// client sees (SubjectFor); the consent keeps the local one. session is
// what the token endpoint will mint from.
func (a *Endpoint) issueCode(ctx context.Context, cfg *config.Config, f *flow.Flow, subject string, session token.GrantSession, now time.Time) (string, error) {
	sessionJSON, err := json.Marshal(session)
	if err != nil {
		return "", err
	}
	raw, err := a.CodeFormat.New()
	if err != nil {
		return "", err
	}
	digest, err := a.CodeFormat.Check(raw)
	if err != nil {
		return "", fmt.Errorf("checking a fresh code: %w", err)
	}
	ttl := cfg.TTL.AuthCode
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	rec := &token.CodeRecord{
		Digest: digest, ClientID: f.ClientID, RequestID: f.ID, RedirectURI: f.Request.RedirectURI,
		CodeChallenge: f.Request.CodeChallenge, CodeChallengeMethod: f.Request.CodeChallengeMethod,
		Subject: subject, Scopes: f.Consent.GrantedScope, Audience: f.Consent.GrantedAudience,
		Session: sessionJSON, IssuedAt: now, ExpiresAt: now.Add(ttl), DPoPJKT: f.Request.DPoPJKT,
	}
	if err := a.Codes.CreateCode(ctx, rec); err != nil {
		return "", fmt.Errorf("storing code: %w", err)
	}
	return raw, nil
}

// grantSession is what the flow decided about the tokens: what the token
// endpoint needs to mint them later, and what the authorization endpoint
// mints implicit tokens from.
func grantSession(f *flow.Flow) (token.GrantSession, error) {
	gs := token.GrantSession{
		Nonce: f.Request.Nonce, AuthTime: f.Login.AuthTime, RequestedAt: f.RequestedAt,
		ACR: f.Login.ACR, AMR: f.Login.AMR, SessionID: loginSessionID(f),
	}
	for raw, dst := range map[*json.RawMessage]*map[string]any{
		&f.Consent.IDTokenClaims: &gs.IDToken, &f.Consent.AccessTokenClaims: &gs.AccessToken,
	} {
		if len(*raw) > 0 {
			if err := json.Unmarshal(*raw, dst); err != nil {
				return gs, fmt.Errorf("decoding consent claims: %w", err)
			}
		}
	}
	return gs, nil
}

// rejectError is the login or consent app's refusal as the client sees it.
func rejectError(e *flow.RejectError) *httpx.Error {
	if e == nil {
		return oauth2.AccessDenied("The request was denied.")
	}
	out := httpx.NewError(e.StatusCode, e.Error, "%s", e.Description)
	if e.Hint != "" {
		out = out.WithHint("%s", e.Hint)
	}
	return out
}
