package devapp

import (
	"errors"
	"net/http"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/token"
)

// The device pages (RFC 8628 section 3.3): urls.device.verification asks
// for the code the device shows and decides through flow.Admin.
// AcceptUserCode, the function behind PUT /admin/oauth2/auth/requests/
// device/accept; urls.device.success says the device is signed in, or why
// not.

// deviceForm is the device page's data.
type deviceForm struct {
	Challenge, Token, UserCode string
	MaxUserCode                int
}

// fieldUserCode is the device page's text field.
const fieldUserCode = "user_code"

// GET /dev/device?device_challenge=…[&user_code=…]
func (a *App) showDevice(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeQuery(r, "device_challenge")
	if err != nil {
		return err
	}
	// challengeQuery parsed the query strictly; user_code comes from
	// verification_uri_complete and only pre-fills the field.
	code := r.URL.Query().Get(fieldUserCode)
	if len(code) > token.MaxUserCodeLen {
		code = ""
	}
	return a.writeDevice(w, r, http.StatusOK, ch, code, nil)
}

// POST /dev/device: Continue or Cancel.
func (a *App) submitDevice(w http.ResponseWriter, r *http.Request) error {
	s, err := a.readSubmission(r, flow.PurposeDeviceChallenge, fieldUserCode)
	if err != nil {
		return err
	}
	if s.action == actionReject {
		writePage(w, http.StatusOK, pageCSP(false, nil), pageData{Title: "Cancelled", Heading: "Cancelled",
			Message: "Nothing was authorized. The device keeps waiting until its code expires."})
		return nil
	}
	code := s.form.Get(fieldUserCode)
	to, err := a.flows.AcceptUserCode(r.Context(), s.challenge, flow.AcceptDeviceUserCodeBody{UserCode: code})
	if refused := (*httpx.Error)(nil); errors.As(err, &refused) && refused.Status != http.StatusNotFound && refused.Status < 500 {
		// A wrong code, or too many: show the form again with the reason.
		return a.writeDevice(w, r, refused.Status, s.challenge, code, refused)
	}
	return next(w, r, to, err, false)
}

// GET /dev/device/done[?error=…&error_description=…]
func (a *App) showDeviceDone(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParseQuery(r)
	if err != nil {
		return err
	}
	d := pageData{Title: "Device", Heading: "Your device is signed in",
		Message: "You can close this page; the device continues on its own."}
	if code := q.Get("error"); code != "" {
		d.Heading, d.Message = "The device was not signed in", ""
		d.Error = &pageError{Description: q.Get("error_description"), Code: code}
	}
	writePage(w, http.StatusOK, pageCSP(false, nil), d)
	return nil
}

// writeDevice shows the code form, with problem above it when set.
func (a *App) writeDevice(w http.ResponseWriter, r *http.Request, status int, challenge, code string, problem *httpx.Error) error {
	tok, err := a.forms.issue(w, r, flow.PurposeDeviceChallenge, challenge)
	if err != nil {
		return err
	}
	d := pageData{Title: "Connect a device", Heading: "Connect a device",
		Device: &deviceForm{Challenge: challenge, Token: tok, UserCode: code, MaxUserCode: token.MaxUserCodeLen}}
	if problem != nil {
		d.Error = &pageError{Description: problem.Description, Hint: problem.Hint, Code: problem.Code,
			RequestID: httpx.RequestID(r.Context())}
	}
	writePage(w, status, a.formCSP(), d)
	return nil
}
