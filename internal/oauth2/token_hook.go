package oauth2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/token"
)

// Token hooks, Hydra's oauth2.token_hook and oauth2.refresh_token_hook:
// before a grant mints, Signet POSTs what it is about to issue to the
// operator's URL, which may change the extra claims or refuse.
//
//   - oauth2.token_hook runs for every grant. oauth2.refresh_token_hook (the
//     legacy hook) runs only for refresh_token, and first: when both are set
//     both are called, the token hook sees what the refresh hook returned,
//     and the last answer wins (Hydra's order of AccessRequestHooks).
//   - The answer: 200 with {"session": {"access_token": {…}, "id_token":
//     {…}}} replaces the access token's extra claims (introspection "ext",
//     JWT "ext") and the ID token's extra claims with exactly those maps;
//     to keep a claim, echo it back. 204 changes nothing. 403 refuses the
//     request with access_denied (403). Anything else, a redirect, a
//     timeout, a body over 1 MiB or one that is not that JSON shape fails
//     the request with server_error (500); the cause is logged, the
//     client sees only "The token hook failed".
//   - Unlike Hydra, a 200 must carry "session" (Hydra would silently clear
//     the claims); a hook that means "no change" answers 204.
//   - The payload is the token request reduced to an allow-list, the one
//     fosite uses: grant_type, scope, client_id and, for jwt-bearer, the
//     assertion, which Hydra forwards so the hook can read its claims. By
//     the time the hook runs the assertion has been verified and its jti
//     (when it has one) spent, so the copy cannot be replayed here.
//     client_secret, client_assertion, code, code_verifier, redirect_uri
//     and refresh_token never leave the server.
//   - Reserved ID token claims (iss, sub, aud, exp, nonce…) stay Signet's:
//     token.IDTokens drops them from the extra claims whatever the hook says.
//
// The hook URL is the operator's, usually an internal service, so the
// clients.http private-address guard does not apply; redirects are not
// followed. No retries: the client waits for the token response.

// TokenHookTimeout bounds one hook call (connect, send, answer, body).
const TokenHookTimeout = 5 * time.Second

// maxHookResponse bounds the hook's answer: it becomes token claims, and
// tokens larger than this are unusable anyway.
const maxHookResponse = 1 << 20

// hookPayloadParams are the token request parameters a hook may see.
var hookPayloadParams = []string{"grant_type", "scope", "client_id", "assertion"}

// TokenHooks calls the operator's oauth2.token_hook (and, for the refresh
// grant, oauth2.refresh_token_hook) before a grant issues tokens. A nil
// *TokenHooks calls nothing.
type TokenHooks struct {
	// Config returns the current configuration (config.Live.Get); every
	// Apply reads the hook settings anew, so a reload applies at once.
	Config func() *config.Config
	// HTTP sends the calls: httpx.NewOutboundClient with TokenHookTimeout
	// and without the private-address guard.
	HTTP *http.Client
}

// HookInput is what a grant is about to issue. The hook may replace the
// two claim maps; the grant then mints with what Apply left in them.
type HookInput struct {
	GrantType       string
	Client          *client.Client
	Subject         string
	RequestID       string
	GrantedScopes   []string
	GrantedAudience []string
	// RequestedScopes is the scope the client asked for; nil means the
	// granted scope (browser grants record only what was granted).
	RequestedScopes []string
	// Form is the token request; only hookPayloadParams are sent.
	Form url.Values
	// Login carries the login facts of browser grants (auth_time, acr,
	// amr, nonce) into session.id_token; nil for machine grants.
	Login *token.GrantSession
	// AccessTokenClaims and IDTokenClaims are session.access_token and
	// session.id_token: the extra claims of the access token and ID token.
	AccessTokenClaims map[string]any
	IDTokenClaims     map[string]any
}

// Apply runs the hooks configured for in.GrantType. It returns an
// *httpx.Error when a hook denies the request or fails.
func (h *TokenHooks) Apply(ctx context.Context, in *HookInput) error {
	_, err := h.apply(ctx, in)
	return err
}

// apply is Apply that also reports whether a hook replaced the claims, so
// grants re-encode the stored session only when something changed.
func (h *TokenHooks) apply(ctx context.Context, in *HookInput) (bool, error) {
	if h == nil || h.Config == nil || in == nil {
		return false, nil
	}
	cfg := h.Config()
	changed := false
	if in.GrantType == GrantRefreshToken && cfg.OAuth2.RefreshTokenHook.URL != "" {
		ok, err := h.call(ctx, "oauth2.refresh_token_hook", cfg.OAuth2.RefreshTokenHook, refreshHookBody(cfg, in), in)
		if err != nil {
			return false, err
		}
		changed = changed || ok
	}
	if cfg.OAuth2.TokenHook.URL != "" {
		ok, err := h.call(ctx, "oauth2.token_hook", cfg.OAuth2.TokenHook, tokenHookBody(cfg, in), in)
		if err != nil {
			return false, err
		}
		changed = changed || ok
	}
	return changed, nil
}

// call sends body to one hook and, on 200, replaces in's claims. key names
// the hook in logs.
func (h *TokenHooks) call(ctx context.Context, key string, hook config.Hook, body any, in *HookInput) (bool, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return false, hookFailed(fmt.Errorf("%s: encoding the request: %w", key, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(raw))
	if err != nil {
		return false, hookFailed(fmt.Errorf("%s: %s: invalid URL", key, redactURL(hook.URL)))
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if err := applyHookAuth(req, hook.Auth); err != nil {
		return false, hookFailed(fmt.Errorf("%s: %w", key, err))
	}
	resp, err := h.HTTP.Do(req)
	if err != nil {
		return false, hookFailed(fmt.Errorf("%s: POST %s: %w", key, redactURL(hook.URL), unwrapURLError(err)))
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		_ = resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNoContent:
		return false, nil
	case http.StatusForbidden:
		return false, AccessDenied("The token hook denied the request.").
			Because(fmt.Errorf("%s answered %s", key, resp.Status))
	default:
		return false, hookFailed(fmt.Errorf("%s answered %s", key, resp.Status))
	}
	claims, err := readHookResponse(resp.Body)
	if err != nil {
		return false, hookFailed(fmt.Errorf("%s: %w", key, err))
	}
	in.AccessTokenClaims, in.IDTokenClaims = claims.AccessToken, claims.IDToken
	return true, nil
}

// hookFailed is the server_error of a hook that could not be asked or gave
// no usable answer. 5xx errors are rendered without hint, so the text is
// the description; the cause goes to the log only.
func hookFailed(cause error) error {
	return httpx.NewError(http.StatusInternalServerError, "server_error",
		"The token hook failed, so no token was issued.").Because(cause)
}

// applyHookAuth adds the api_key credential of webhook_config.auth.
func applyHookAuth(req *http.Request, auth config.HookAuth) error {
	if auth == (config.HookAuth{}) {
		return nil
	}
	if auth.Type != "api_key" {
		return fmt.Errorf("unsupported auth.type %q (only api_key)", httpx.Clip(auth.Type, 32))
	}
	switch auth.Config.In {
	case "", "header":
		req.Header.Set(auth.Config.Name, auth.Config.Value)
	case "cookie":
		req.AddCookie(&http.Cookie{Name: auth.Config.Name, Value: auth.Config.Value})
	default:
		return fmt.Errorf("unsupported auth.config.in %q (header or cookie)", httpx.Clip(auth.Config.In, 32))
	}
	return nil
}

// hookClaims is the answer's session: claims must be JSON objects (or
// null, which clears them, as in Hydra).
type hookClaims struct {
	AccessToken map[string]any `json:"access_token"`
	IDToken     map[string]any `json:"id_token"`
}

// readHookResponse decodes a 200 answer: one JSON value within
// maxHookResponse, with a "session" object. Unknown fields are ignored, as
// Hydra does, so hooks written for Hydra keep working.
func readHookResponse(body io.Reader) (*hookClaims, error) {
	raw, err := io.ReadAll(io.LimitReader(body, maxHookResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(raw) > maxHookResponse {
		return nil, fmt.Errorf("the answer exceeds %d bytes", maxHookResponse)
	}
	var out struct {
		Session *hookClaims `json:"session"`
	}
	if err := httpx.DecodeJSONBytes(raw, &out, httpx.AllowUnknown); err != nil {
		return nil, fmt.Errorf("malformed answer: %w", err)
	}
	if out.Session == nil {
		return nil, errors.New(`the 200 answer has no "session" object (answer 204 for no change)`)
	}
	return out.Session, nil
}

// redactURL keeps scheme, host and path: a query may hold a credential.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// unwrapURLError drops *url.Error's copy of the full URL, keeping the
// cause (and errors.Is on context.Canceled).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// The request bodies mirror Hydra's, so hooks written for Hydra read the
// same fields: session.extra (access token claims),
// session.id_token.id_token_claims.ext (ID token claims),
// session.id_token.subject, and the request (or, for the legacy refresh
// hook, requester) context. Empty lists and maps are sent as [] and {}.

// hookSession is Hydra's oauth2.Session as far as Signet knows it.
type hookSession struct {
	IDToken               hookIDTokenSession `json:"id_token"`
	Extra                 map[string]any     `json:"extra"`
	ClientID              string             `json:"client_id"`
	ExcludeNotBeforeClaim bool               `json:"exclude_not_before_claim"`
	AllowedTopLevelClaims []string           `json:"allowed_top_level_claims"`
	MirrorTopLevelClaims  bool               `json:"mirror_top_level_claims"`
}

type hookIDTokenSession struct {
	Claims   hookIDTokenClaims `json:"id_token_claims"`
	Username string            `json:"username"`
	Subject  string            `json:"subject"`
}

type hookIDTokenClaims struct {
	Issuer      string         `json:"iss"`
	Subject     string         `json:"sub"`
	Audience    []string       `json:"aud"`
	Nonce       string         `json:"nonce,omitempty"`
	AuthTime    *time.Time     `json:"auth_time,omitempty"`
	RequestedAt *time.Time     `json:"rat,omitempty"`
	ACR         string         `json:"acr,omitempty"`
	AMR         []string       `json:"amr,omitempty"`
	Ext         map[string]any `json:"ext"`
}

// hookRequest is the "request" of the token hook.
type hookRequest struct {
	ClientID        string              `json:"client_id"`
	RequestedScopes []string            `json:"requested_scopes"`
	GrantedScopes   []string            `json:"granted_scopes"`
	GrantedAudience []string            `json:"granted_audience"`
	GrantTypes      []string            `json:"grant_types"`
	Payload         map[string][]string `json:"payload"`
}

// hookRequester is the "requester" of the legacy refresh hook.
type hookRequester struct {
	ClientID        string   `json:"client_id"`
	GrantedScopes   []string `json:"granted_scopes"`
	GrantedAudience []string `json:"granted_audience"`
	GrantTypes      []string `json:"grant_types"`
}

func tokenHookBody(cfg *config.Config, in *HookInput) any {
	requested := in.RequestedScopes
	if requested == nil {
		requested = in.GrantedScopes
	}
	return struct {
		Session hookSession `json:"session"`
		Request hookRequest `json:"request"`
	}{
		Session: newHookSession(cfg, in),
		Request: hookRequest{
			ClientID: in.Client.ID, RequestedScopes: hookList(requested), GrantedScopes: hookList(in.GrantedScopes),
			GrantedAudience: hookList(in.GrantedAudience), GrantTypes: []string{in.GrantType},
			Payload: hookPayload(in.Form),
		},
	}
}

func refreshHookBody(cfg *config.Config, in *HookInput) any {
	return struct {
		Subject         string        `json:"subject"`
		Session         hookSession   `json:"session"`
		Requester       hookRequester `json:"requester"`
		ClientID        string        `json:"client_id"`
		GrantedScopes   []string      `json:"granted_scopes"`
		GrantedAudience []string      `json:"granted_audience"`
	}{
		Subject: in.Subject, Session: newHookSession(cfg, in),
		Requester: hookRequester{ClientID: in.Client.ID, GrantedScopes: hookList(in.GrantedScopes),
			GrantedAudience: hookList(in.GrantedAudience), GrantTypes: []string{in.GrantType}},
		ClientID: in.Client.ID, GrantedScopes: hookList(in.GrantedScopes), GrantedAudience: hookList(in.GrantedAudience),
	}
}

func newHookSession(cfg *config.Config, in *HookInput) hookSession {
	claims := hookIDTokenClaims{Issuer: cfg.IssuerURL(), Subject: in.Subject,
		Audience: []string{in.Client.ID}, Ext: hookObject(in.IDTokenClaims)}
	if l := in.Login; l != nil {
		claims.Nonce, claims.ACR, claims.AMR = l.Nonce, l.ACR, l.AMR
		if !l.AuthTime.IsZero() {
			claims.AuthTime = &l.AuthTime
		}
		if !l.RequestedAt.IsZero() {
			claims.RequestedAt = &l.RequestedAt
		}
	}
	return hookSession{
		IDToken:               hookIDTokenSession{Claims: claims, Subject: in.Subject},
		Extra:                 hookObject(in.AccessTokenClaims),
		ClientID:              in.Client.ID,
		ExcludeNotBeforeClaim: cfg.OAuth2.ExcludeNotBeforeClaim,
		AllowedTopLevelClaims: hookList(cfg.OAuth2.AllowedTopLevelClaims),
		MirrorTopLevelClaims:  cfg.OAuth2.MirrorTopLevelClaims,
	}
}

// hookPayload keeps only hookPayloadParams of the token request.
func hookPayload(form url.Values) map[string][]string {
	out := map[string][]string{}
	for _, k := range hookPayloadParams {
		if v, ok := form[k]; ok {
			out[k] = v
		}
	}
	return out
}

func hookList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func hookObject(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
