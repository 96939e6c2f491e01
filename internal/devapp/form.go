package devapp

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"unicode/utf8"

	"github.com/signet-oidc/signet/internal/httpx"
)

// The forms are parsed as strictly as httpx.ParseForm parses the protocol
// endpoints (Content-Type, size, UTF-8, value length, no repeated field),
// with one difference: the consent form's checkboxes all carry
// name="scope", so that one field may repeat, up to maxScopes times.
// Fields a page never sends are refused too.

// maxFormBody bounds a form post: a sealed challenge (flow.MaxSealedLen),
// a token, a user name and the scopes fit with room to spare.
const maxFormBody = 32 << 10

// maxScopes bounds the repeated scope field.
const maxScopes = 100

// Form fields the pages send.
const (
	fieldChallenge = "challenge"
	fieldToken     = "csrf_token"
	fieldAction    = "action"
	fieldSubject   = "subject"
	fieldPassword  = "password"
	fieldRemember  = "remember"
	fieldScope     = "scope"
)

// parseForm reads r's urlencoded body. allowed lists the fields the page
// sends; fieldScope may repeat.
func parseForm(r *http.Request, allowed ...string) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, httpx.NewError(http.StatusUnsupportedMediaType, "invalid_request",
			"The form must be sent with Content-Type application/x-www-form-urlencoded.").
			WithHint("Submit the form on the page rather than posting to this address by hand.")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(raw) > maxFormBody:
		return nil, httpx.NewError(http.StatusRequestEntityTooLarge, "invalid_request",
			"The form is larger than %d bytes.", maxFormBody)
	case err != nil:
		return nil, httpx.BadRequest("The form could not be read.").Because(err)
	}
	vals, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, httpx.BadRequest("The form is not correctly URL-encoded.")
	}
	return vals, checkFields(vals, allowed)
}

// checkFields applies the per-field rules of parseForm.
func checkFields(vals url.Values, allowed []string) error {
	for k, vs := range vals {
		switch {
		case !slices.Contains(allowed, k):
			return httpx.BadRequest("The form has a field %q that this page does not send.", httpx.Clip(k, 64))
		case len(vs) > 1 && k != fieldScope:
			return httpx.BadRequest("The form field %q is included more than once.", k)
		case len(vs) > maxScopes:
			return httpx.BadRequest("The form selects more than %d scopes.", maxScopes)
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return httpx.BadRequest("The form field %q is not valid UTF-8.", k)
			}
			if len(v) > httpx.MaxParamLen {
				return httpx.BadRequest("The form field %q is longer than %d bytes.", k, httpx.MaxParamLen)
			}
		}
	}
	return nil
}
