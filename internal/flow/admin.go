package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// Admin serves the login and consent requests of the admin API
// (/admin/oauth2/auth/requests/{login,consent}[/accept|/reject]). It writes
// nothing to storage: a challenge is opened, the app's decision is applied
// with a Flow transition, and the result is sealed as a verifier that the
// browser carries back to the authorization endpoint.
//
// Handled requests: Hydra answers 410 with a redirect_to for a request that
// was already accepted or rejected. A sealed challenge cannot know that, so
// until it expires Admin shows the request again and a repeated accept or
// reject answers 200 with a fresh verifier for the same flow. Only one
// verifier per flow step is ever usable: the authorization endpoint records
// its single use (Store.UseVerifier keyed by purpose and flow ID), so a
// double submit or the back button is harmless and never an error. 410 is
// therefore never sent; 409 is reserved for a challenge whose flow is not
// at the step the endpoint handles, which a valid challenge never is.
type Admin struct {
	Sealer  *Sealer
	Clients client.Store
	// AuthorizeURL is the issuer's public authorization endpoint
	// (…/oauth2/auth); request_url and redirect_to are built on it.
	AuthorizeURL string
	Now          func() time.Time
	// Device serves the device flow (admin_device.go); nil refuses it.
	Device *DeviceCodes
}

// maxDecisionBody bounds accept and reject bodies. The decision must fit in
// a sealed verifier of at most MaxSealedLen characters, so anything larger
// could never be applied.
const maxDecisionBody = 64 << 10

// Routes registers the seven endpoints. wrap adapts a handler and renders its
// errors; the contract's shape for all seven is errorOAuth2 (Renderer.OAuth).
func (a *Admin) Routes(mux httpx.Mux, wrap func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("GET /admin/oauth2/auth/requests/login", wrap(a.handleGetLogin))
	mux.Handle("PUT /admin/oauth2/auth/requests/login/accept", wrap(a.handleAcceptLogin))
	mux.Handle("PUT /admin/oauth2/auth/requests/login/reject", wrap(a.handleRejectLogin))
	mux.Handle("GET /admin/oauth2/auth/requests/consent", wrap(a.handleGetConsent))
	mux.Handle("PUT /admin/oauth2/auth/requests/consent/accept", wrap(a.handleAcceptConsent))
	mux.Handle("PUT /admin/oauth2/auth/requests/consent/reject", wrap(a.handleRejectConsent))
	mux.Handle("PUT /admin/oauth2/auth/requests/device/accept", wrap(a.handleAcceptDevice))
}

// challengeParam reads the one required query parameter named name.
func challengeParam(r *http.Request, name string) (string, error) {
	q, err := httpx.ParseQuery(r)
	if err != nil {
		return "", err
	}
	v := q.Get(name)
	if v == "" {
		return "", httpx.BadRequest("The query parameter %s is required.", name)
	}
	return v, nil
}

// open opens a challenge for purpose p. Every failure (garbage, tampered,
// expired, another purpose) gets the same 404 so a prober learns nothing.
func (a *Admin) open(challenge string, p Purpose) (*Flow, error) {
	f, err := a.Sealer.Open(challenge, p)
	if err != nil {
		return nil, httpx.NotFound("The %s is invalid, expired, or belongs to another step of the flow.", p).
			WithHint("Challenges expire after ttl.login_consent_request; pass the %s exactly as received, or restart the flow at the authorization endpoint.", p).
			Because(err)
	}
	return f, nil
}

// client reads the client of a flow for display.
func (a *Admin) client(ctx context.Context, id string) (*client.Client, error) {
	c, err := a.Clients.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, httpx.NotFound("The client of this request no longer exists.").Because(err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading client of flow: %w", err)
	}
	return c, nil
}

// decisionError maps a refused transition or seal to a precise 4xx. Other
// errors stay internal (500 with a request id).
func decisionError(err error) error {
	switch {
	case errors.Is(err, ErrInvalidResult):
		reason := strings.TrimPrefix(err.Error(), ErrInvalidResult.Error()+": ")
		return httpx.BadRequest("The decision cannot be applied: %s.", reason).Because(err)
	case errors.Is(err, ErrTooLarge):
		return httpx.BadRequest("The decision is too large to carry through the browser.").
			WithHint("Shorten context, session.access_token or session.id_token.").Because(err)
	case errors.Is(err, ErrTransition):
		return httpx.Conflict("The request is not at the step this endpoint handles.").Because(err)
	}
	return err
}

// redirectTo seals f as a verifier and builds the URL the app sends the
// browser to: the authorization endpoint with the original request and the
// verifier, as Hydra does.
func (a *Admin) redirectTo(f *Flow, p Purpose) (RedirectTo, error) {
	v, err := a.Sealer.Seal(f, p)
	if err != nil {
		return RedirectTo{}, decisionError(err)
	}
	if f.Request.Device && a.Device != nil {
		return a.deviceRedirect(p, v), nil
	}
	q := requestQuery(f)
	q.Set(string(p), v)
	return RedirectTo{RedirectTo: a.AuthorizeURL + "?" + q.Encode()}, nil
}

// requestURL is the authorization request as the browser made it, rebuilt
// from the flow. The id_token_hint itself is not kept (only its claims), so
// it is absent here.
func (a *Admin) requestURL(f *Flow) string {
	if f.Request.Device && a.Device != nil {
		return a.Device.VerifyURL
	}
	return a.AuthorizeURL + "?" + requestQuery(f).Encode()
}

func requestQuery(f *Flow) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	r := f.Request
	set("client_id", f.ClientID)
	set("response_type", r.ResponseType)
	set("response_mode", r.ResponseMode)
	set("redirect_uri", r.RedirectURI)
	set("scope", strings.Join(r.Scope, " "))
	set("audience", strings.Join(r.Audience, " "))
	set("state", r.State)
	set("nonce", r.Nonce)
	set("code_challenge", r.CodeChallenge)
	set("code_challenge_method", r.CodeChallengeMethod)
	set("prompt", strings.Join(r.Prompt, " "))
	if r.MaxAge != nil {
		q.Set("max_age", strconv.FormatInt(*r.MaxAge, 10))
	}
	set("acr_values", strings.Join(r.ACRValues, " "))
	set("ui_locales", strings.Join(r.UILocales, " "))
	set("display", r.Display)
	set("login_hint", r.LoginHint)
	set("dpop_jkt", r.DPoPJKT)
	return q
}

// writeView answers 200 with v; the body holds a challenge or verifier, so
// no cache may keep it.
func writeView(w http.ResponseWriter, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, v)
}
