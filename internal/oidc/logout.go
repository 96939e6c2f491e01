package oidc

// OpenID Connect RP-Initiated Logout 1.0: GET and POST
// /oauth2/sessions/logout. A new request is validated, then handed to the
// operator's logout app as a sealed logout_challenge (urls.logout); the
// app accepts through the admin API (flow.LogoutAdmin) and the browser
// comes back here with a logout_verifier. Only then is the login session
// ended: in storage, in the cookie, towards back-channel clients (the
// Notifier) and front-channel clients (logout_frontchannel.go).
//
// Choices, compared with Hydra's contract:
//   - The logout app is asked unless the client of the hint has
//     skip_logout_consent. A valid id_token_hint alone does not skip the
//     question unless SkipWithHint is set: the logout app sees
//     rp_initiated=true and decides (the spec's "SHOULD ask the End-User").
//   - With urls.logout unset, an RP-initiated logout (valid hint) ends the
//     session at once, as if the app had accepted; a logout without a hint
//     is refused, since nothing then shows the user wanted it.
//   - A hint whose sub or sid does not match the browser's session ends
//     nothing (section 2: the RP's user is already logged out here).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
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

// SessionNotifier is told about login sessions that logout ended, for
// back-channel logout. It must return at once (deliveries run on their
// own) and must not keep the request's cancellation: it gets a context
// without it.
type SessionNotifier interface {
	SessionsEnded(ctx context.Context, ended []flow.LoginSession)
}

// Logout serves /oauth2/sessions/logout.
type Logout struct {
	Sessions *flow.SessionCookies
	Flows    flow.Store
	Clients  client.Store
	IDTokens *token.IDTokens
	Sealer   *flow.Sealer
	Notifier SessionNotifier // nil: no back-channel logout
	Config   func() *config.Config
	Log      *slog.Logger
	Now      func() time.Time
	Rand     io.Reader
	// SkipWithHint ends the session without asking the logout app when
	// the request carries a valid id_token_hint.
	SkipWithHint bool
	// Observer counts logouts started and completed; nil counts nothing.
	Observer oauth2.Observer
}

// Parameter bounds: generous for real clients, small enough that nothing a
// stranger sends is carried further unbounded.
const (
	maxLogoutParam    = 2048
	maxLogoutClientID = 512
	maxUILocales      = 256
)

// logoutParams is a parsed new logout request.
type logoutParams struct {
	Hint, ClientID, PostLogoutRedirectURI, State string
	UILocales                                    []string
}

// Handle serves GET and POST. Every outcome is a redirect or an HTML page,
// rendered here, so the returned error is always nil.
func (l *Logout) Handle(w http.ResponseWriter, r *http.Request) error {
	cfg := l.Config()
	var q url.Values
	var err error
	if r.Method == http.MethodPost {
		q, err = httpx.ParseForm(r, httpx.MaxFormBody)
	} else {
		q, err = httpx.ParseQuery(r)
	}
	var out *logoutOutcome
	switch {
	case err != nil:
	case q.Get("logout_verifier") != "":
		out, err = l.finish(w, r, cfg, q.Get("logout_verifier"))
	default:
		out, err = l.start(w, r, cfg, q)
	}
	if err != nil {
		l.fail(w, r, cfg, err)
		return nil
	}
	out.write(w, r)
	return nil
}

// logoutOutcome is where the browser goes next: a redirect, the
// front-channel page, or (neither) the signed-out page.
type logoutOutcome struct {
	Redirect string
	Frames   []frontChannelFrame
	Final    string // after the frames; empty shows the signed-out text
}

// parseLogout reads and bounds the parameters of a new request.
func parseLogout(q url.Values) (logoutParams, error) {
	var p logoutParams
	fields := []struct {
		name string
		max  int
		dst  *string
	}{
		{"id_token_hint", token.MaxIDTokenHintLen, &p.Hint},
		{"client_id", maxLogoutClientID, &p.ClientID},
		{"post_logout_redirect_uri", maxLogoutParam, &p.PostLogoutRedirectURI},
		{"state", maxLogoutParam, &p.State},
	}
	for _, f := range fields {
		v := q.Get(f.name)
		if len(v) > f.max {
			return p, httpx.BadRequest("The parameter %s is longer than %d characters.", f.name, f.max)
		}
		if hasControl(v) {
			return p, httpx.BadRequest("The parameter %s contains control characters.", f.name)
		}
		*f.dst = v
	}
	loc := q.Get("ui_locales")
	if len(loc) > maxUILocales || hasControl(loc) {
		return p, httpx.BadRequest("The parameter ui_locales must be at most %d printable characters.", maxUILocales)
	}
	p.UILocales = strings.Fields(loc)
	return p, nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}

// start validates a new request and either asks the logout app, ends the
// session at once, or (no matching session) goes straight to the end.
func (l *Logout) start(w http.ResponseWriter, r *http.Request, cfg *config.Config, q url.Values) (*logoutOutcome, error) {
	ctx := r.Context()
	p, err := parseLogout(q)
	if err != nil {
		return nil, err
	}
	hint, c, err := l.checkRequest(ctx, cfg, p)
	if err != nil {
		return nil, err
	}
	final := finalRedirect(cfg, p.PostLogoutRedirectURI, p.State)
	s, err := l.currentSession(ctx, r)
	if err != nil {
		return nil, err
	}
	if s == nil || (hint != nil && !hintMatches(hint, s)) {
		return &logoutOutcome{Redirect: final}, nil
	}
	req, err := l.newRequest(p, s, c, hint != nil)
	if err != nil {
		return nil, err
	}
	// Without a logout app only an RP-initiated logout (a valid hint proves
	// which client asks) ends the session unasked; a bare link must not,
	// or any site could sign users out by sending them to it.
	skip := (c != nil && c.SkipLogoutConsent) || (hint != nil && (l.SkipWithHint || cfg.URLs.Logout == ""))
	if skip {
		return l.end(w, r, cfg, req)
	}
	if cfg.URLs.Logout == "" {
		return nil, httpx.BadRequest("No logout app is configured (urls.logout), and a logout without id_token_hint must be confirmed by one.").
			WithHint("Set URLS_LOGOUT, or sign out from the application, which sends its id_token_hint.")
	}
	ch, err := l.Sealer.SealLogout(req, flow.PurposeLogoutChallenge)
	if err != nil {
		return nil, err
	}
	if l.Observer != nil {
		l.Observer.Flow(oauth2.FlowLogout, oauth2.FlowStarted)
	}
	return &logoutOutcome{Redirect: httpx.WithQuery(cfg.URLs.Logout, url.Values{"logout_challenge": {ch}})}, nil
}

// checkRequest verifies the hint and the post-logout redirect URI. It
// returns the hint's claims (nil without a hint) and the client the
// request is for (nil when unknown).
func (l *Logout) checkRequest(ctx context.Context, cfg *config.Config, p logoutParams) (map[string]any, *client.Client, error) {
	if p.Hint == "" {
		if p.PostLogoutRedirectURI != "" {
			return nil, nil, httpx.BadRequest("A post_logout_redirect_uri needs an id_token_hint.").
				WithHint("Without an ID token Signet cannot tell which client the address belongs to, so it will not redirect there.")
		}
		return nil, nil, nil
	}
	claims, err := l.IDTokens.ParseHint(ctx, p.Hint, cfg.IssuerURL())
	if errors.Is(err, token.ErrInvalidHint) {
		return nil, nil, httpx.BadRequest("The id_token_hint is not a valid ID token of this server.").Because(err)
	}
	if err != nil {
		return nil, nil, err
	}
	clientID, err := hintClient(claims, p.ClientID)
	if err != nil {
		return nil, nil, err
	}
	c, err := l.Clients.GetClient(ctx, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, httpx.BadRequest("The client of the id_token_hint does not exist.").Because(err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading client of logout: %w", err)
	}
	if p.PostLogoutRedirectURI != "" && !slices.Contains(c.PostLogoutRedirectURIs, p.PostLogoutRedirectURI) {
		return nil, nil, httpx.BadRequest("The post_logout_redirect_uri is not registered for this client.").
			WithHint("Register it in the client's post_logout_redirect_uris; it must match exactly.")
	}
	return claims, c, nil
}

// hintClient picks the client: client_id, which must be an audience of the
// hint, else the hint's azp, else its only audience.
func hintClient(claims map[string]any, clientID string) (string, error) {
	aud := audience(claims["aud"])
	if clientID != "" {
		if !slices.Contains(aud, clientID) {
			return "", httpx.BadRequest("The client_id is not an audience of the id_token_hint.")
		}
		return clientID, nil
	}
	if azp, _ := claims["azp"].(string); azp != "" && slices.Contains(aud, azp) {
		return azp, nil
	}
	if len(aud) != 1 {
		return "", httpx.BadRequest("The id_token_hint has several audiences; send client_id to say which client logs out.")
	}
	return aud[0], nil
}

func audience(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// hintMatches reports whether the hint names the browser's session: the
// same subject, and the same sid when the hint has one.
func hintMatches(claims map[string]any, s *flow.LoginSession) bool {
	sub, _ := claims["sub"].(string)
	sid, _ := claims["sid"].(string)
	return sub == s.Subject && (sid == "" || sid == s.ID)
}

// currentSession returns the browser's live login session, or nil.
func (l *Logout) currentSession(ctx context.Context, r *http.Request) (*flow.LoginSession, error) {
	ck, err := l.Sessions.Read(r)
	if err != nil {
		return nil, nil // no cookie, or one that no longer opens: nothing to end
	}
	s, err := l.Flows.GetLoginSession(ctx, ck.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading login session: %w", err)
	}
	if s.Subject != ck.Subject || (!s.ExpiresAt.IsZero() && l.Now().After(s.ExpiresAt)) {
		return nil, nil
	}
	return s, nil
}

func (l *Logout) newRequest(p logoutParams, s *flow.LoginSession, c *client.Client, rp bool) (*flow.LogoutRequest, error) {
	id, err := secret.NewUUID(l.Rand)
	if err != nil {
		return nil, err
	}
	req := &flow.LogoutRequest{ID: id, Subject: s.Subject, SessionID: s.ID,
		PostLogoutRedirectURI: p.PostLogoutRedirectURI, State: p.State, UILocales: p.UILocales,
		RPInitiated: rp, RequestedAt: l.Now().UTC().Truncate(time.Second)}
	if c != nil {
		req.ClientID = c.ID
	}
	return req, nil
}

// finish opens an accepted logout, uses its verifier once, and ends the
// session.
func (l *Logout) finish(w http.ResponseWriter, r *http.Request, cfg *config.Config, verifier string) (*logoutOutcome, error) {
	req, err := l.Sealer.OpenLogout(verifier, flow.PurposeLogoutVerifier)
	if err != nil {
		return nil, httpx.BadRequest("The logout_verifier is invalid or expired.").
			WithHint("Start the logout again.").Because(err)
	}
	err = l.Flows.UseVerifier(r.Context(), req.VerifierKey(), req.Expires)
	if errors.Is(err, storage.ErrAlreadyUsed) {
		return nil, httpx.BadRequest("This logout was already completed.").Because(err)
	}
	if err != nil {
		return nil, fmt.Errorf("recording logout verifier: %w", err)
	}
	return l.end(w, r, cfg, req)
}

// end removes the login session (storage, cookie), tells the notifier,
// and prepares the front-channel page.
func (l *Logout) end(w http.ResponseWriter, r *http.Request, cfg *config.Config, req *flow.LogoutRequest) (*logoutOutcome, error) {
	ctx := r.Context()
	ended, err := l.Flows.EndLoginSessions(ctx, flow.SessionSelector{ID: req.SessionID})
	if err != nil {
		return nil, fmt.Errorf("ending login session: %w", err)
	}
	if l.Observer != nil {
		l.Observer.Flow(oauth2.FlowLogout, oauth2.FlowCompleted)
	}
	if ck, err := l.Sessions.Read(r); err != nil || ck.ID == req.SessionID {
		l.Sessions.Clear(w)
	}
	if l.Notifier != nil && len(ended) > 0 {
		// Deliveries outlive this response; keep the request id, drop the
		// cancellation.
		l.Notifier.SessionsEnded(context.WithoutCancel(ctx), ended)
	}
	frames, err := l.frontChannelFrames(ctx, cfg.IssuerURL(), req.Subject, req.SessionID)
	if err != nil {
		return nil, err
	}
	final := finalRedirect(cfg, req.PostLogoutRedirectURI, req.State)
	if len(frames) == 0 {
		return &logoutOutcome{Redirect: final}, nil
	}
	return &logoutOutcome{Frames: frames, Final: final}, nil
}

// finalRedirect is where the browser ends up: the client's post-logout
// URI with state, else urls.post_logout_redirect, else "" (signed-out page).
func finalRedirect(cfg *config.Config, uri, state string) string {
	if uri == "" {
		return cfg.URLs.PostLogoutRedirect
	}
	if state == "" {
		return uri
	}
	return httpx.WithQuery(uri, url.Values{"state": {state}})
}
