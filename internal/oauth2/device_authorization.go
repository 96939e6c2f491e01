package oauth2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// The device authorization endpoint, POST /oauth2/device/auth (RFC 8628
// sections 3.1 and 3.2).
//
//   - The client authenticates exactly as at the token endpoint (section
//     3.1: "the client MUST authenticate ... as described in Section
//     3.2.1 of [RFC6749]"); public clients send client_id alone.
//   - The client must have registered the device_code grant type; the
//     requested scope and audience are checked as for every other grant.
//     RFC 8707 resource indicators join the requested audience, as at the
//     authorization endpoint (resource.go), so the consent app sees them.
//   - The answer carries a device_code (an opaque string whose MAC is
//     checked before any storage access at the token endpoint), a user_code
//     (token.UserCodeFormat), the verification URIs, expires_in
//     (ttl.device_user_code) and interval (oauth2.device_authorization.
//     token_polling_interval).
//
// Storage: one write (CreateDevice). Only digests of both codes are kept.

// Device flow defaults, used when the configuration leaves a value unset.
const (
	DefaultDeviceCodeTTL       = 10 * time.Minute
	DefaultDevicePollInterval  = 5 * time.Second
	deviceCodeCollisionRetries = 3
)

// DeviceAuthorization serves POST /oauth2/device/auth.
type DeviceAuthorization struct {
	Auth        ClientAuthenticator
	Store       token.DeviceStore
	DeviceCodes token.OpaqueFormat
	UserCodes   token.UserCodeFormat
	// VerifyURL is the public /oauth2/device/verify (verification_uri).
	VerifyURL string
	Config    func() *config.Config
	Now       func() time.Time
	Rand      io.Reader
}

// DeviceAuthorizationResponse is the contract's deviceAuthorization.
type DeviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// Handle is an httpx.HandlerFunc; mount it with httpx.Renderer.OAuth.
func (e *DeviceAuthorization) Handle(w http.ResponseWriter, r *http.Request) error {
	form, err := httpx.ParseForm(r, httpx.MaxFormBody, ParamResource)
	if err != nil {
		return err
	}
	req, err := parseTarget(form)
	if err != nil {
		return err
	}
	c, err := e.Auth.Authenticate(r.Context(), r, form)
	if err != nil {
		return err
	}
	resp, err := e.Authorize(r.Context(), c, req)
	if err != nil {
		return err
	}
	writeNoStore(w)
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// Authorize checks the authenticated client's request (its scope,
// audience and resources) and stores it.
func (e *DeviceAuthorization) Authorize(ctx context.Context, c *client.Client, req *TokenRequest) (*DeviceAuthorizationResponse, error) {
	if !AllowsGrant(c, client.GrantDeviceCode) {
		return nil, UnauthorizedClient("The client is not allowed to use the device authorization grant; add %q to the client's grant_types.", client.GrantDeviceCode)
	}
	cfg := e.Config()
	covers := ScopeStrategyFor(cfg.Strategies.Scope)
	scopes := Dedupe(req.Scopes)
	for _, s := range scopes {
		if !covers(SplitScope(c.Scope), s) {
			return nil, InvalidScope("The client is not allowed to request scope %q.", httpx.Clip(s, 64))
		}
	}
	audience, err := TargetAudience(req, c.Audience)
	if err != nil {
		return nil, err
	}
	now := e.Now()
	ttl := orDuration(cfg.TTL.DeviceUserCode, DefaultDeviceCodeTTL)
	interval := orDuration(cfg.OAuth2.DeviceAuthorization.TokenPollingInterval, DefaultDevicePollInterval)
	var lastErr error
	// A user code collides with a live one with a probability of about
	// live/alphabet^length; drawing again is cheaper than a read first.
	for range deviceCodeCollisionRetries {
		resp, rec, err := e.mint(c, scopes, audience, now, ttl, interval)
		if err != nil {
			return nil, ServerError(err)
		}
		lastErr = e.Store.CreateDevice(ctx, rec)
		if lastErr == nil {
			return resp, nil
		}
		if !errors.Is(lastErr, storage.ErrConflict) {
			break
		}
	}
	return nil, ServerError(lastErr)
}

// mint draws both codes and builds the record and the response.
func (e *DeviceAuthorization) mint(c *client.Client, scopes, audience []string, now time.Time, ttl, interval time.Duration) (*DeviceAuthorizationResponse, *token.DeviceRecord, error) {
	deviceCode, err := e.DeviceCodes.New()
	if err != nil {
		return nil, nil, err
	}
	userCode, err := e.UserCodes.New()
	if err != nil {
		return nil, nil, err
	}
	norm, _ := e.UserCodes.Normalize(userCode)
	requestID, err := secret.RandomString(e.Rand, 16)
	if err != nil {
		return nil, nil, err
	}
	rec := &token.DeviceRecord{
		DeviceDigest: token.Digest(deviceCode), UserDigest: e.UserCodes.Digest(norm), RequestID: requestID,
		ClientID: c.ID, Scopes: scopes, Audience: audience,
		IssuedAt: now, ExpiresAt: now.Add(ttl), Interval: interval,
	}
	return &DeviceAuthorizationResponse{
		DeviceCode: deviceCode, UserCode: userCode, VerificationURI: e.VerifyURL,
		VerificationURIComplete: e.VerifyURL + "?" + url.Values{"user_code": {userCode}}.Encode(),
		ExpiresIn:               int64(ttl / time.Second), Interval: int64((interval + time.Second - 1) / time.Second),
	}, rec, nil
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
