package authorize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// The verification URI of the device authorization grant, GET
// /oauth2/device/verify (RFC 8628 section 3.3). The browser passes through
// it four times:
//
//  1. as the user opens verification_uri (with user_code when it came
//     from verification_uri_complete): a device flow is sealed into a
//     device_challenge and the browser goes to urls.device.verification,
//     the operator's page that asks for the user code;
//  2. back with a device_verifier (the admin API's answer to the code):
//     its single use is recorded and the flow goes to urls.login, exactly
//     like an authorization request;
//  3. and 4. back with the login_verifier and the consent_verifier, handled
//     by the authorization endpoint's own steps (login.go, consent.go). At
//     the end, instead of a code, the grant is recorded on the device
//     request (the device's next poll gets the tokens) and the browser
//     goes to urls.device.success. A refusal at login or consent, or a
//     grant the client may not hold, marks the request denied (the device
//     gets access_denied) and the browser goes to urls.device.success
//     with error and error_description.
//
// Errors about the browser itself (CSRF, replay, expired verifiers) are
// shown on the error page, as for the authorization endpoint.

// Parameter names of the verification URI.
const (
	paramDeviceVerifier = "device_verifier"
	paramUserCode       = "user_code"
)

// defaultDeviceCSRFName is Hydra's name for the device CSRF cookie.
const defaultDeviceCSRFName = "ory_hydra_device_csrf"

func deviceCSRFName(cfg *config.Config) string {
	if n := cfg.Serve.Cookies.Names.DeviceCSRF; n != "" {
		return n
	}
	return defaultDeviceCSRFName
}

// HandleDevice serves GET /oauth2/device/verify; like Handle, it renders
// its own errors.
func (a *Endpoint) HandleDevice(w http.ResponseWriter, r *http.Request) error {
	a.answer(w, r, a.routeDevice)
	return nil
}

func (a *Endpoint) routeDevice(w http.ResponseWriter, r *http.Request, cfg *config.Config) (*Redirect, error) {
	if a.Devices == nil {
		return nil, httpx.NotFound("The device authorization grant is not enabled.")
	}
	q, err := httpx.ParseQuery(r)
	if err != nil {
		return nil, err
	}
	dv, lv, cv := q.Get(paramDeviceVerifier), q.Get(paramLoginVerifier), q.Get(paramConsentVerifier)
	given := 0
	for _, v := range []string{dv, lv, cv} {
		if v != "" {
			given++
		}
	}
	ctx := r.Context()
	switch {
	case given > 1:
		return nil, oauth2.InvalidRequest("Send one of device_verifier, login_verifier and consent_verifier.")
	case dv != "":
		return a.afterDevice(ctx, w, r, cfg, dv)
	case lv != "":
		return a.afterLogin(ctx, w, r, cfg, lv)
	case cv != "":
		return a.afterConsent(ctx, w, r, cfg, cv)
	}
	return a.startDevice(w, cfg, q.Get(paramUserCode))
}

// startDevice seals a new device flow and sends the browser to the
// operator's verification page. Nothing is written to storage.
func (a *Endpoint) startDevice(w http.ResponseWriter, cfg *config.Config, userCode string) (*Redirect, error) {
	// Checked before the user code is spent on a flow that cannot go on.
	if cfg.URLs.Device.Verification == "" {
		return nil, unconfigured("urls.device.verification", "URLS_DEVICE_VERIFICATION", "device verification")
	}
	if cfg.URLs.Login == "" {
		return nil, unconfigured("urls.login", "URLS_LOGIN", "login")
	}
	if len(userCode) > token.MaxUserCodeLen {
		return nil, oauth2.InvalidRequest("The user_code is longer than %d characters.", token.MaxUserCodeLen)
	}
	f, csrf, err := flow.NewDevice(a.Rand, a.Now())
	if err != nil {
		return nil, err
	}
	challenge, err := a.Sealer.Seal(f, flow.PurposeDeviceChallenge)
	if err != nil {
		return nil, err
	}
	setCSRFCookie(w, cfg, deviceCSRFName(cfg), csrf)
	rd := appRedirect(cfg.URLs.Device.Verification, "device_challenge", challenge)
	if userCode != "" {
		rd.Params.Set(paramUserCode, userCode)
	}
	return rd, nil
}

// afterDevice handles the browser's return with a device_verifier: the
// flow now knows its device request, and goes to the login app as an
// authorization request would (remembered sessions included).
func (a *Endpoint) afterDevice(ctx context.Context, w http.ResponseWriter, r *http.Request, cfg *config.Config, verifier string) (*Redirect, error) {
	f, csrf, err := a.openVerifier(r, cfg, verifier, flow.PurposeDeviceVerifier, deviceCSRFName(cfg))
	if err != nil {
		return nil, err
	}
	if cfg.URLs.Login == "" {
		return nil, unconfigured("urls.login", "URLS_LOGIN", "login")
	}
	if err := a.useVerifier(ctx, f, flow.PurposeDeviceVerifier); err != nil {
		return nil, err
	}
	sessionID, remembered, err := a.rememberedLogin(ctx, r, &Request{}, a.Now())
	if err != nil {
		return nil, err
	}
	clearCookie(w, cfg, deviceCSRFName(cfg))
	return a.toLogin(w, cfg, f, csrf, sessionID, remembered)
}

// deviceReply is where the answers of a device flow go: urls.device.
// success (the verification page when unset), in the query, with iss.
func (a *Endpoint) deviceReply(issuer string) clientReply {
	urls := a.Config().URLs.Device
	uri := urls.Success
	if uri == "" {
		uri = urls.Verification
	}
	return clientReply{uri: uri, mode: ResponseModeQuery, iss: issuer}
}

// flowResponseType is the response type the flow asked for; a device flow
// has none (its "response" is the device's token request).
func flowResponseType(f *flow.Flow, c *client.Client) (ResponseType, *httpx.Error) {
	if f.Request.Device {
		return ResponseType{}, nil
	}
	return checkResponseType(f.Request.ResponseType, c)
}

// refuse sends e where the flow's answers go; for a device flow it first
// marks the device request denied, so the device stops polling with
// access_denied instead of waiting for the code to expire.
func (a *Endpoint) refuse(ctx context.Context, f *flow.Flow, reply clientReply, e *httpx.Error) (*Redirect, error) {
	if f.Request.Device {
		err := a.Devices.DenyDevice(ctx, f.ID, a.Now())
		if errors.Is(err, storage.ErrAlreadyUsed) {
			return nil, alreadyCompleted(err)
		}
		if err != nil {
			return nil, fmt.Errorf("denying the device request: %w", err)
		}
	}
	return reply.fail(e), nil
}

// approveDevice records the grant on the device request (one write) and
// sends the browser to urls.device.success; with error=expired_token when
// the request expired during the sign-in.
func (a *Endpoint) approveDevice(ctx context.Context, f *flow.Flow, subject string, reply clientReply, now time.Time) (*Redirect, error) {
	if err := f.IssueCode(); err != nil {
		return nil, err
	}
	session, err := grantSession(f)
	if err != nil {
		return nil, err
	}
	sessionJSON, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	err = a.Devices.ApproveDevice(ctx, f.ID, &token.DeviceApproval{Subject: subject,
		GrantedScopes: f.Consent.GrantedScope, GrantedAudience: f.Consent.GrantedAudience,
		Session: sessionJSON}, now)
	if errors.Is(err, storage.ErrAlreadyUsed) {
		// Not a replay: the consent was just stored, and SaveConsent
		// refuses a second one. The request expired while the user signed
		// in (or the janitor removed it), so the device cannot redeem it.
		return reply.fail(oauth2.ExpiredToken("Start again on the device: the sign-in took longer than the code's lifetime.").
			Because(err)), nil
	}
	if err != nil {
		return nil, fmt.Errorf("approving the device request: %w", err)
	}
	a.observe(oauth2.FlowConsent, oauth2.FlowCompleted)
	return reply.success(url.Values{}), nil
}
