package oauth2

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// The device access token request, RFC 8628 sections 3.4 and 3.5:
// grant_type=urn:ietf:params:oauth:grant-type:device_code with device_code.
//
//   - The device code's MAC is checked first, so a forged code costs no
//     storage access; then one read decides the answer.
//   - It must belong to the authenticated client (invalid_grant otherwise,
//     so a client cannot even learn whether another's code is pending).
//   - Section 3.5, in this order: expired_token past ttl.device_user_code;
//     access_denied when the user (login or consent app) refused;
//     authorization_pending while the user has not finished; slow_down when
//     the device polls sooner than its interval after its last answered
//     poll, and then the interval grows by five seconds ("the interval
//     MUST be increased by 5 seconds for this and all subsequent
//     requests"). The interval is stored per device code. The first poll
//     is never too early: a client that polls at once simply gets
//     authorization_pending.
//   - Once approved, the tokens are issued exactly once: a conditional
//     write marks the request used; a replay is invalid_grant.
//
// Storage: GetDevice, then PollDevice (pending), or ConsumeDevice,
// CreateAccess and CreateRefresh when offline access was granted.
// Lifespans: device_authorization_grant_{access,id,refresh}_token_lifespan
// of the client, else ttl.*.

// DeviceSlowDownStep is what every slow_down adds to the interval.
const DeviceSlowDownStep = 5 * time.Second

// DeviceCode implements Grant for urn:ietf:params:oauth:grant-type:device_code.
type DeviceCode struct {
	Devices       token.DeviceStore
	Codes         token.FlowStore
	Issuer        *token.Issuer
	IDTokens      *token.IDTokens
	DeviceCodes   token.OpaqueFormat
	RefreshFormat token.OpaqueFormat
	Config        func() *config.Config
	Now           func() time.Time
	// Hooks runs oauth2.token_hook; nil runs none.
	Hooks *TokenHooks
}

var _ Grant = (*DeviceCode)(nil)

func (g *DeviceCode) Type() string { return client.GrantDeviceCode }

// AllowsPublicClients is true: devices with no way to keep a secret (TVs,
// command line tools) are what the grant is for (section 5.6).
func (g *DeviceCode) AllowsPublicClients() bool { return true }

// The error codes of section 3.5. They are token endpoint errors (RFC 6749
// section 5.2), so all answer 400, access_denied included (the
// authorization endpoint's AccessDenied is 403).

// AuthorizationPending: the user has not finished yet.
func AuthorizationPending() *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "authorization_pending",
		"The authorization request is still pending as the end user hasn't yet completed the user-interaction steps.")
}

// SlowDown: the device polled sooner than interval allowed.
func SlowDown(interval time.Duration) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "slow_down",
		"The authorization request is still pending and polling should be slowed down.").
		WithHint("Poll at most every %d seconds from now on.", int64(interval/time.Second))
}

// ExpiredToken: the device code expired.
func ExpiredToken(hint string) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "expired_token", "The device_code has expired.").WithHint("%s", hint)
}

// DeviceAccessDenied: the user refused.
func DeviceAccessDenied() *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "access_denied", "The end user denied the authorization request.")
}

// Exchange answers one poll.
func (g *DeviceCode) Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error) {
	raw := req.Form.Get("device_code")
	if raw == "" {
		return nil, InvalidRequest("The device_code parameter is missing.")
	}
	digest, err := g.DeviceCodes.Check(raw)
	if err != nil {
		return nil, InvalidGrant("The device_code is malformed or was not issued by this server.")
	}
	rec, err := g.Devices.GetDevice(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, InvalidGrant("The device_code is unknown.")
	}
	if err != nil {
		return nil, ServerError(err)
	}
	now := g.Now()
	if err := g.poll(ctx, rec, c, now); err != nil {
		return nil, err
	}
	// RFC 8707 section 2.2: resources narrow the access token's audience
	// to part of the grant; checked before the code is spent.
	accessAudience, err := resourceAudience(req, rec.GrantedAudience)
	if err != nil {
		return nil, err
	}
	if err := g.Devices.ConsumeDevice(ctx, digest, now); err != nil {
		if errors.Is(err, storage.ErrAlreadyUsed) {
			return nil, InvalidGrant("The device_code was already exchanged for tokens.")
		}
		return nil, ServerError(err)
	}
	session, err := decodeSession(rec.Session)
	if err != nil {
		return nil, err
	}
	f := &family{
		Client: c, RequestID: rec.RequestID, Subject: rec.Subject, Scopes: rec.GrantedScopes,
		Audience: rec.GrantedAudience, Session: session, SessionJSON: rec.Session, GrantType: client.GrantDeviceCode,
		AccessAudience: accessAudience,
	}
	if err := f.runHooks(ctx, g.Hooks, req, rec.Scopes, f.Scopes); err != nil {
		return nil, err
	}
	return g.issue(ctx, f, now)
}

// poll decides every answer but success, recording the poll when the
// request is still pending. nil means approved and not yet exchanged.
func (g *DeviceCode) poll(ctx context.Context, rec *token.DeviceRecord, c *client.Client, now time.Time) error {
	switch {
	case rec.ClientID != c.ID:
		return InvalidGrant("The device_code was issued to another client.")
	case !now.Before(rec.ExpiresAt):
		return ExpiredToken("Start a new device authorization request.")
	case rec.UsedAt != nil:
		return InvalidGrant("The device_code was already exchanged for tokens.")
	case rec.DeniedAt != nil:
		return DeviceAccessDenied()
	case rec.ApprovedAt != nil:
		return nil
	}
	interval := rec.Interval
	tooSoon := rec.LastPolledAt != nil && now.Sub(*rec.LastPolledAt) < interval
	if tooSoon {
		interval += DeviceSlowDownStep
	}
	recorded, err := g.Devices.PollDevice(ctx, rec.DeviceDigest, rec.LastPolledAt, now, interval)
	if err != nil {
		return ServerError(err)
	}
	if tooSoon || !recorded { // !recorded: another poll of the same code was answered meanwhile
		return SlowDown(interval)
	}
	return AuthorizationPending()
}

// issue mints and stores the grant's tokens, as the code grant does, but
// with no nonce: the device request has none (RFC 8628 carries no OIDC
// request parameters).
func (g *DeviceCode) issue(ctx context.Context, f *family, now time.Time) (*TokenResponse, error) {
	return f.issueFirst(ctx, firstTokens{Issuer: g.Issuer, IDTokens: g.IDTokens, RefreshFormat: g.RefreshFormat,
		Refreshes: g.Codes, Config: g.Config()}, now, familyLifespans{
		Access:  f.Client.DeviceAuthorizationGrantAccessTokenLifespan,
		IDToken: f.Client.DeviceAuthorizationGrantIDTokenLifespan,
		Refresh: f.Client.DeviceAuthorizationGrantRefreshTokenLifespan,
	}, false)
}
