package authorize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Endpoint is the authorization endpoint, GET and POST /oauth2/auth
// (RFC 6749 section 3.1, OpenID Connect Core section 3.1.2). One browser
// passes through it three times:
//
//  1. the client's request: validated, sealed into a login_challenge, and
//     sent to urls.login (nothing is written to storage);
//  2. back with a login_verifier: single use recorded, sent to urls.consent;
//  3. back with a consent_verifier: consent stored (keyed by the flow ID,
//     it is what makes this verifier single use), then the code and, for
//     implicit and hybrid response types, the tokens (implicit.go),
//     sent to the client's redirect URI in the response mode
//     (response_mode.go).
//
// Errors before the redirect URI is trusted, and errors about the browser
// itself (CSRF, replay), are shown on an error page (or sent to urls.error);
// errors about the request after that go to the client.
type Endpoint struct {
	Clients    client.Store
	Flows      flow.Store
	Codes      token.FlowStore
	Sealer     *flow.Sealer
	Sessions   *flow.SessionCookies
	CodeFormat token.OpaqueFormat
	// IDTokens reads id_token_hint values and mints the ID tokens of
	// implicit and hybrid responses; a request that needs it is refused
	// with a server error when it is nil.
	IDTokens *token.IDTokens
	// Issuer mints and stores the access tokens of the "token" response
	// types; a request that needs it is refused with a server error when
	// it is nil.
	Issuer *token.Issuer
	Config func() *config.Config
	Now    func() time.Time
	Rand   io.Reader
	Log    *slog.Logger
	// Observer counts flow steps and implicit tokens; nil counts nothing.
	Observer oauth2.Observer
	// Devices records the outcome of device flows (device.go); nil
	// refuses them.
	Devices token.DeviceStore
	// Pushed and PushedFormat redeem the request_uri values of pushed
	// requests (par.go); with Pushed nil they are refused.
	Pushed       PushedStore
	PushedFormat token.OpaqueFormat
	// Objects resolves request objects (request_object.go); with it nil
	// they are refused with request_not_supported.
	Objects *RequestObjects
}

// observe reports a flow step's outcome to the Observer, if any.
func (a *Endpoint) observe(step oauth2.FlowStep, outcome oauth2.FlowOutcome) {
	if a.Observer != nil {
		a.Observer.Flow(step, outcome)
	}
}

// Parameter names of the three entries.
const (
	paramLoginVerifier   = "login_verifier"
	paramConsentVerifier = "consent_verifier"
)

// defaultAuthSessionTTL applies when ttl.authentication_session is unset
// (Hydra's default, 30 days).
const defaultAuthSessionTTL = 720 * time.Hour

// Handle serves GET and POST /oauth2/auth. Every outcome is a redirect, a
// form_post page or an error page; errors are rendered here, so the
// returned error is always nil and the adapter around it never writes JSON
// to a browser.
func (a *Endpoint) Handle(w http.ResponseWriter, r *http.Request) error {
	a.answer(w, r, a.route)
	return nil
}

// answer runs route and writes its redirect, or renders its error for the
// browser (an error page or urls.error).
func (a *Endpoint) answer(w http.ResponseWriter, r *http.Request,
	route func(http.ResponseWriter, *http.Request, *config.Config) (*Redirect, error)) {
	cfg := a.Config()
	next, err := route(w, r, cfg)
	if err != nil {
		a.fail(w, r, cfg, err)
		return
	}
	next.write(w, r)
}

// route reads the parameters once and picks the entry.
func (a *Endpoint) route(w http.ResponseWriter, r *http.Request, cfg *config.Config) (*Redirect, error) {
	var q url.Values
	var err error
	// RFC 8707's resource is the one parameter that may repeat.
	if r.Method == http.MethodPost {
		q, err = httpx.ParseForm(r, httpx.MaxFormBody, oauth2.ParamResource)
	} else {
		q, err = httpx.ParseQuery(r, oauth2.ParamResource)
	}
	if err != nil {
		return nil, err
	}
	lv, cv := q.Get(paramLoginVerifier), q.Get(paramConsentVerifier)
	switch {
	case lv != "" && cv != "":
		return nil, oauth2.InvalidRequest("Send either login_verifier or consent_verifier, not both.")
	case lv != "":
		return a.afterLogin(r.Context(), w, r, cfg, lv)
	case cv != "":
		return a.afterConsent(r.Context(), w, r, cfg, cv)
	}
	return a.start(r.Context(), w, r, cfg, q)
}

// start handles a new authorization request: validate, look for a
// remembered login, seal the flow and hand it to the login app.
func (a *Endpoint) start(ctx context.Context, w http.ResponseWriter, r *http.Request, cfg *config.Config, q url.Values) (*Redirect, error) {
	req, c, err := a.readRequest(ctx, q, cfg)
	if err != nil {
		return nil, err
	}
	redirectURI, aerr := req.Validate(c, requestOptions(cfg))
	if aerr != nil {
		if aerr.Redirectable {
			return aerr.Redirect(redirectURI, cfg.IssuerURL()), nil
		}
		return nil, aerr.Err
	}
	reply := replyTo(cfg.IssuerURL(), redirectURI, req.ResponseType, req.ResponseMode, req.State)
	hint, herr, err := a.readIDTokenHint(ctx, req.IDTokenHint, cfg.IssuerURL())
	if err != nil {
		return nil, err
	}
	if herr != nil {
		return reply.fail(herr), nil
	}
	now := a.Now()
	sessionID, remembered, err := a.rememberedLogin(ctx, r, req, now)
	if err != nil {
		return nil, err
	}
	if remembered != nil && hint != nil && !hint.names(c, remembered.Subject, cfg) {
		// OIDC Core 3.1.2.1: a session of another user than the hint
		// names must not answer for it; the login app is asked instead.
		sessionID, remembered, err = a.newLoginSession()
	}
	if err != nil {
		return nil, err
	}
	if remembered == nil && slices.Contains(req.Prompt, "none") {
		return reply.fail(LoginRequired("prompt=none was requested but no valid authentication session exists.")), nil
	}
	if cfg.URLs.Login == "" {
		return nil, unconfigured("urls.login", "URLS_LOGIN", "login")
	}
	f, csrf, err := flow.New(a.Rand, now, req.ClientID, flowRequest(req, hint))
	if err != nil {
		return nil, err
	}
	return a.toLogin(w, cfg, f, csrf, sessionID, remembered)
}

// toLogin moves f to the login step and sends the browser to urls.login
// with the sealed login_challenge, its CSRF cookie beside it.
func (a *Endpoint) toLogin(w http.ResponseWriter, cfg *config.Config, f *flow.Flow, csrf, sessionID string,
	remembered *flow.RememberedLogin) (*Redirect, error) {
	if err := f.RequestLogin(sessionID, remembered); err != nil {
		return nil, err
	}
	challenge, err := a.Sealer.Seal(f, flow.PurposeLoginChallenge)
	if err != nil {
		if errors.Is(err, flow.ErrTooLarge) {
			return nil, oauth2.InvalidRequest("The authorization request is too large to carry through the login flow.").Because(err)
		}
		return nil, err
	}
	setCSRFCookie(w, cfg, loginCSRFName(cfg), csrf)
	a.observe(oauth2.FlowLogin, oauth2.FlowStarted)
	return appRedirect(cfg.URLs.Login, "login_challenge", challenge), nil
}

// appRedirect sends the browser to the login or consent app.
func appRedirect(appURL, param, challenge string) *Redirect {
	return &Redirect{URI: appURL, Mode: ResponseModeQuery, Params: url.Values{param: {challenge}}}
}

// rememberedLogin returns the login session the flow belongs to and, when
// the browser's session may skip login, what it remembers. A session is
// usable only while the server's record exists for the same subject and
// has not expired, no prompt=login, and max_age is not exceeded.
func (a *Endpoint) rememberedLogin(ctx context.Context, r *http.Request, req *Request, now time.Time) (string, *flow.RememberedLogin, error) {
	fresh := a.newLoginSession
	s, err := a.Sessions.Read(r)
	if err != nil || slices.Contains(req.Prompt, "login") {
		return fresh()
	}
	ls, err := a.Flows.GetLoginSession(ctx, s.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return fresh()
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading login session: %w", err)
	}
	if ls.Subject != s.Subject || !now.Before(ls.ExpiresAt) {
		return fresh()
	}
	// OIDC Core 3.1.2.1: max_age=0 means a new login, like prompt=login,
	// even within the second of the last one.
	if req.MaxAge != nil && now.Sub(ls.AuthenticatedAt) >= time.Duration(*req.MaxAge)*time.Second {
		return fresh()
	}
	return ls.ID, &flow.RememberedLogin{Subject: ls.Subject, AuthTime: ls.AuthenticatedAt}, nil
}

// newLoginSession is the answer "no usable session": the flow gets a new
// login session ID, used if the login app asks to remember the login.
func (a *Endpoint) newLoginSession() (string, *flow.RememberedLogin, error) {
	id, err := secret.NewUUID(a.Rand)
	return id, nil, err
}

// requestOptions maps the configuration onto request validation.
func requestOptions(cfg *config.Config) Options {
	return Options{
		ScopeStrategy:                oauth2.ScopeStrategyFor(cfg.Strategies.Scope),
		PKCEEnforced:                 cfg.OAuth2.PKCE.Enforced,
		PKCEEnforcedForPublicClients: cfg.OAuth2.PKCE.EnforcedForPublicClients,
	}
}

// flowRequest copies every validated parameter, and the verified hint's
// claims, into the flow. RedirectURI
// stays as requested ("" when omitted): the token endpoint must compare
// against what the client sent (RFC 6749 section 4.1.3).
func flowRequest(req *Request, hint *idTokenHint) flow.Request {
	fr := flow.Request{
		ResponseType:        req.ResponseType,
		ResponseMode:        req.ResponseMode,
		RedirectURI:         req.RedirectURI,
		Scope:               req.Scope,
		Audience:            req.TargetAudience(),
		State:               req.State,
		Nonce:               req.Nonce,
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: req.CodeChallengeMethod,
		Prompt:              req.Prompt,
		MaxAge:              req.MaxAge,
		ACRValues:           req.ACRValues,
		UILocales:           req.UILocales,
		Display:             req.Display,
		LoginHint:           req.LoginHint,
		DPoPJKT:             req.DPoPJKT,
	}
	if hint != nil {
		fr.IDTokenHintClaims = hint.Claims
	}
	return fr
}

// LoginRequired is OpenID Connect Core section 3.1.2.6's login_required.
func LoginRequired(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "login_required",
		"The Authorization Server requires End-User authentication.").WithHint(hint, args...)
}

// ConsentRequired is OpenID Connect Core section 3.1.2.6's consent_required.
func ConsentRequired(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "consent_required",
		"The Authorization Server requires End-User consent.").WithHint(hint, args...)
}
