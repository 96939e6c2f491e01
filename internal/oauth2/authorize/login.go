package authorize

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// afterLogin handles the browser's return with a login_verifier: the flow
// is checked to belong to this browser and used once, the login session is
// remembered when asked, and the flow moves on to the consent app.
func (a *Endpoint) afterLogin(ctx context.Context, w http.ResponseWriter, r *http.Request, cfg *config.Config, verifier string) (*Redirect, error) {
	f, csrf, err := a.openVerifier(r, cfg, verifier, flow.PurposeLoginVerifier, loginCSRFName(cfg))
	if err != nil {
		return nil, err
	}
	if err := a.useVerifier(ctx, f, flow.PurposeLoginVerifier); err != nil {
		return nil, err
	}
	c, reply, err := a.flowClient(ctx, f, cfg.IssuerURL())
	if err != nil {
		return nil, err
	}
	clearCookie(w, cfg, loginCSRFName(cfg))
	if f.State == flow.StateLoginRejected {
		a.observe(oauth2.FlowLogin, oauth2.FlowRejected)
		return a.refuse(ctx, f, reply, rejectError(f.Error))
	}
	a.observe(oauth2.FlowLogin, oauth2.FlowCompleted)
	if sub := hintSubject(f); sub != "" {
		// OIDC Core 3.1.2.1: the user who signed in must be the one the
		// client named; checked before anything is remembered.
		if seen, e := SubjectFor(c, f.Login, cfg.OIDC.SubjectIdentifiers); e == nil && seen != sub {
			return reply.fail(LoginRequired("The user who signed in is not the user the id_token_hint names.")), nil
		}
	}
	now := a.Now()
	if err := a.keepLoginSession(ctx, w, cfg, f, now); err != nil {
		return nil, err
	}
	skip, err := a.consentSkippable(ctx, f, c, now)
	if err != nil {
		return nil, err
	}
	if !skip && slices.Contains(f.Request.Prompt, "none") {
		return reply.fail(ConsentRequired("prompt=none was requested but the consent is not remembered.")), nil
	}
	if cfg.URLs.Consent == "" {
		return nil, unconfigured("urls.consent", "URLS_CONSENT", "consent")
	}
	if err := f.RequestConsent(skip); err != nil {
		return nil, err
	}
	challenge, err := a.Sealer.Seal(f, flow.PurposeConsentChallenge)
	if err != nil {
		return nil, err
	}
	// The flow keeps one CSRF digest for both halves, so the consent
	// cookie carries the value the login cookie held.
	setCSRFCookie(w, cfg, consentCSRFName(cfg), csrf)
	a.observe(oauth2.FlowConsent, oauth2.FlowStarted)
	return appRedirect(cfg.URLs.Consent, "consent_challenge", challenge), nil
}

// openVerifier opens a verifier and checks it came back to the browser
// that started the flow. It returns the CSRF cookie value so the next step
// can bind to the same browser. It writes nothing: single use is the
// caller's (UseVerifier for the login verifier; SaveConsent, keyed by the
// flow ID, for the consent verifier).
func (a *Endpoint) openVerifier(r *http.Request, cfg *config.Config, verifier string, p flow.Purpose, cookieName string) (*flow.Flow, string, error) {
	f, err := a.Sealer.Open(verifier, p)
	if err != nil {
		return nil, "", oauth2.InvalidRequest("The %s is invalid or has expired; start the sign-in again from the application.", p).Because(err)
	}
	var csrf string
	if ck, cerr := r.Cookie(cookieName); cerr == nil {
		csrf = ck.Value
	}
	if err := f.CheckCSRF(csrf); err != nil {
		return nil, "", csrfError(cfg, cookieName, csrf == "").Because(err)
	}
	return f, csrf, nil
}

// useVerifier records the single use of f's verifier of purpose p (one
// write); a second use is alreadyCompleted.
func (a *Endpoint) useVerifier(ctx context.Context, f *flow.Flow, p flow.Purpose) error {
	err := a.Flows.UseVerifier(ctx, string(p)+":"+f.ID, f.Expires)
	if errors.Is(err, storage.ErrAlreadyUsed) {
		return alreadyCompleted(err)
	}
	if err != nil {
		return fmt.Errorf("recording the %s's use: %w", p, err)
	}
	return nil
}

// alreadyCompleted is the answer to a verifier used a second time.
func alreadyCompleted(err error) *httpx.Error {
	return oauth2.InvalidRequest("This step of the sign-in was already completed (a double submit or the back button); start again from the application.").Because(err)
}

// flowClient reads the flow's client and recomputes the trusted redirect
// URI (the flow keeps the URI as requested), returning how answers reach
// the client: that URI, in the flow's response mode, with its state and
// issuer. A client deleted or changed mid-flow ends it on the error page,
// never at an untrusted URI.
func (a *Endpoint) flowClient(ctx context.Context, f *flow.Flow, issuer string) (*client.Client, clientReply, error) {
	c, err := a.Clients.GetClient(ctx, f.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, clientReply{}, oauth2.InvalidClient("The client of this sign-in no longer exists.").Because(err)
	}
	if err != nil {
		return nil, clientReply{}, fmt.Errorf("reading client: %w", err)
	}
	if f.Request.Device { // device.go: no redirect URI; the browser ends on urls.device.success
		return c, a.deviceReply(issuer), nil
	}
	uri, err := MatchRedirectURI(f.Request.RedirectURI, c.RedirectURIs)
	if err != nil {
		return nil, clientReply{}, err
	}
	return c, replyTo(issuer, uri, f.Request.ResponseType, f.Request.ResponseMode, f.Request.State), nil
}

// keepLoginSession writes what the login outcome asks to keep: a new
// remembered session, or, for a skipped login accepted with
// extend_session_lifespan, the remembered session's later expiry.
func (a *Endpoint) keepLoginSession(ctx context.Context, w http.ResponseWriter, cfg *config.Config, f *flow.Flow, now time.Time) error {
	switch {
	case f.Login.Remember && !f.Login.Skip:
		return a.rememberLogin(ctx, w, cfg, f, now)
	case f.Login.Skip && f.Login.ExtendSessionLifespan:
		return a.extendLogin(ctx, w, cfg, f, now)
	}
	return nil
}

// rememberLogin stores the login session and writes the session cookie, so
// later requests of this browser can skip the login app.
func (a *Endpoint) rememberLogin(ctx context.Context, w http.ResponseWriter, cfg *config.Config, f *flow.Flow, now time.Time) error {
	id := f.Login.SessionID
	if id == "" {
		var err error
		if id, err = secret.NewUUID(a.Rand); err != nil {
			return err
		}
		f.Login.SessionID = id
	}
	ls := &flow.LoginSession{ID: id, Subject: f.Login.Subject, AuthenticatedAt: f.Login.AuthTime,
		Remember: true, ExpiresAt: sessionExpiry(cfg, f.Login.RememberFor, now),
		IdentityProviderSessionID: f.Login.IdentityProviderSessionID}
	return a.saveLoginSession(ctx, w, ls)
}

// extendLogin moves the remembered session's expiry to remember_for (or
// ttl.authentication_session) from now, in the record and the cookie. It
// only ever extends: a session ended meanwhile (logout, admin) or already
// expired stays ended, and an expiry already later than the new one stays.
// auth_time is unchanged, as no one authenticated.
func (a *Endpoint) extendLogin(ctx context.Context, w http.ResponseWriter, cfg *config.Config, f *flow.Flow, now time.Time) error {
	ls, err := a.Flows.GetLoginSession(ctx, f.Login.SessionID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading login session: %w", err)
	}
	until := sessionExpiry(cfg, f.Login.RememberFor, now)
	if ls.Subject != f.Login.Subject || !now.Before(ls.ExpiresAt) || !until.After(ls.ExpiresAt) {
		return nil
	}
	ls.ExpiresAt = until
	return a.saveLoginSession(ctx, w, ls)
}

// sessionExpiry is when a session remembered now ends: rememberFor seconds
// when set, else ttl.authentication_session, else Hydra's default.
func sessionExpiry(cfg *config.Config, rememberFor int64, now time.Time) time.Time {
	ttl := time.Duration(rememberFor) * time.Second
	if ttl == 0 {
		ttl = cfg.TTL.AuthenticationSession
	}
	if ttl <= 0 {
		ttl = defaultAuthSessionTTL
	}
	return now.Add(ttl).UTC().Truncate(time.Second)
}

// saveLoginSession stores ls and writes the matching session cookie.
func (a *Endpoint) saveLoginSession(ctx context.Context, w http.ResponseWriter, ls *flow.LoginSession) error {
	if err := a.Flows.SaveLoginSession(ctx, ls); err != nil {
		return fmt.Errorf("saving login session: %w", err)
	}
	err := a.Sessions.Write(w, &flow.Session{ID: ls.ID, Subject: ls.Subject, AuthTime: ls.AuthenticatedAt,
		Remember: true, ExpiresAt: ls.ExpiresAt, IdentityProviderSessionID: ls.IdentityProviderSessionID})
	if errors.Is(err, flow.ErrSessionTooLarge) {
		return oauth2.InvalidRequest("The login session is too large for a cookie; shorten the subject or identity_provider_session_id.").Because(err)
	}
	return err
}

// consentSkippable reports whether the consent app may be told skip=true:
// the client skips consent, or a remembered consent of this subject covers
// every requested scope and audience. prompt=consent always asks.
func (a *Endpoint) consentSkippable(ctx context.Context, f *flow.Flow, c *client.Client, now time.Time) (bool, error) {
	if slices.Contains(f.Request.Prompt, "consent") {
		return false, nil
	}
	if c.SkipConsent {
		return true, nil
	}
	cs, err := a.Flows.FindRememberedConsent(ctx, f.Login.Subject, f.ClientID, now)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading remembered consent: %w", err)
	}
	return containsAll(cs.GrantedScopes, f.Request.Scope) && containsAll(cs.GrantedAudience, f.Request.Audience), nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// loginSessionID is the login session a consent and its tokens belong to:
// empty when the login was neither remembered nor a remembered session.
func loginSessionID(f *flow.Flow) string {
	if f.Login.Remember || f.Login.Skip {
		return f.Login.SessionID
	}
	return ""
}
