package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// The device half of the admin API (RFC 8628 section 3.3): the operator's
// verification page has a device_challenge and the code the user typed;
// PUT /admin/oauth2/auth/requests/device/accept checks the code and, when
// it names a pending device request, answers where the browser goes next:
// /oauth2/device/verify with a device_verifier, which starts the login.

// DeviceCodes is what Admin needs to serve the device flow.
type DeviceCodes struct {
	Store     token.DeviceStore
	UserCodes token.UserCodeFormat
	Limiter   *UserCodeLimiter
	// VerifyURL is the public /oauth2/device/verify: the verifiers of
	// device flows (device, login, consent) are sent back there.
	VerifyURL string
}

// AcceptDeviceUserCodeBody is the contract's acceptDeviceUserCodeRequest.
type AcceptDeviceUserCodeBody struct {
	UserCode string `json:"user_code"`
}

// maxUserCodeBody bounds the accept body: a user code and its JSON.
const maxUserCodeBody = 1 << 10

// AcceptUserCode binds the device challenge to the request behind the
// typed user code. Wrong, expired and already used codes get the same
// answer and count against the limiter (flow.UserCodeLimiter); the code is
// accepted once, so a second browser cannot take over a request.
func (a *Admin) AcceptUserCode(ctx context.Context, challenge string, b AcceptDeviceUserCodeBody) (RedirectTo, error) {
	d := a.Device
	if d == nil {
		return RedirectTo{}, httpx.NotFound("The device authorization grant is not enabled.")
	}
	f, err := a.open(challenge, PurposeDeviceChallenge)
	if err != nil {
		return RedirectTo{}, err
	}
	switch d.Limiter.allow(f.ID) {
	case limitBudget:
		return RedirectTo{}, httpx.NewError(http.StatusTooManyRequests, "temporarily_unavailable",
			"Too many wrong user codes were entered recently; try again in a minute.")
	case limitChallenge:
		return RedirectTo{}, httpx.NewError(http.StatusForbidden, "request_forbidden",
			"Too many wrong user codes were entered for this request.").
			WithHint("Start again at the verification URI to get a new device_challenge.")
	}
	rec, err := a.lookUpUserCode(ctx, b.UserCode)
	if err != nil {
		if errors.Is(err, errWrongUserCode) {
			d.Limiter.fail(f.ID)
			return RedirectTo{}, httpx.BadRequest("The user code is wrong, has expired or was already used.").
				WithHint("Check the code shown on the device; codes are not case-sensitive and dashes are optional.").Because(err)
		}
		return RedirectTo{}, err
	}
	if err := f.AcceptDevice(rec); err != nil {
		return RedirectTo{}, decisionError(err)
	}
	return a.redirectTo(f, PurposeDeviceVerifier)
}

// errWrongUserCode is any code that does not name a pending request.
var errWrongUserCode = errors.New("flow: user code unknown, expired or used")

// lookUpUserCode normalises the typed code and accepts it: one write and
// one read, none for a code of the wrong shape.
func (a *Admin) lookUpUserCode(ctx context.Context, typed string) (*token.DeviceRecord, error) {
	norm, ok := a.Device.UserCodes.Normalize(typed)
	if !ok {
		return nil, fmt.Errorf("%w: not a code of the configured format", errWrongUserCode)
	}
	rec, err := a.Device.Store.UseUserCode(ctx, a.Device.UserCodes.Digest(norm), a.Now())
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrAlreadyUsed):
		return nil, fmt.Errorf("%w: %w", errWrongUserCode, err)
	case err != nil:
		return nil, fmt.Errorf("accepting user code: %w", err)
	}
	return rec, nil
}

// deviceRedirect is redirectTo's target for device flows: the verifier
// alone, to /oauth2/device/verify (the request is in the flow).
func (a *Admin) deviceRedirect(p Purpose, v string) RedirectTo {
	return RedirectTo{RedirectTo: a.Device.VerifyURL + "?" + url.Values{string(p): {v}}.Encode()}
}

func (a *Admin) handleAcceptDevice(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "device_challenge")
	if err != nil {
		return err
	}
	var b AcceptDeviceUserCodeBody
	if err := httpx.DecodeJSON(r, &b, maxUserCodeBody, httpx.RejectUnknown); err != nil {
		return err
	}
	if b.UserCode == "" {
		return httpx.BadRequest("The user_code is required.")
	}
	out, err := a.AcceptUserCode(r.Context(), ch, b)
	if err != nil {
		return err
	}
	writeView(w, out)
	return nil
}
