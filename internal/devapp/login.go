package devapp

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
)

// The login page (urls.login): who is signing in. Any user name is
// accepted, with dev_identity.password when one is configured.

// maxSubject bounds the user name, which becomes the tokens' sub claim.
const maxSubject = 200

// loginForm is the login page's data.
type loginForm struct {
	Client                clientLabel
	Scopes                []string
	Challenge, Token      string
	Subject               string
	AskPassword, Remember bool
	MaxSubject            int
}

// loginInput is what the person typed and ticked.
type loginInput struct {
	Subject, Password string
	Remember          bool
}

// GET /dev/login?login_challenge=…
func (a *App) showLogin(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeQuery(r, "login_challenge")
	if err != nil {
		return err
	}
	req, err := a.flows.LoginRequest(r.Context(), ch)
	if err != nil {
		return challengeError(err, false)
	}
	if req.Skip {
		// A remembered session. A login app must then accept at once, with
		// the subject Signet names, without asking again.
		to, err := a.flows.AcceptLogin(ch, skippedLogin(req))
		return next(w, r, to, err, false)
	}
	return a.writeLogin(w, r, http.StatusOK, req, loginInput{}, nil)
}

// POST /dev/login: Sign in or Deny.
func (a *App) submitLogin(w http.ResponseWriter, r *http.Request) error {
	s, err := a.readSubmission(r, flow.PurposeLoginChallenge, fieldSubject, fieldPassword, fieldRemember)
	if err != nil {
		return err
	}
	if s.action == actionReject {
		to, err := a.flows.RejectLogin(s.challenge, denied("sign-in"))
		return next(w, r, to, err, false)
	}
	req, err := a.flows.LoginRequest(r.Context(), s.challenge)
	if err != nil {
		return challengeError(err, false)
	}
	in := loginInput{Subject: s.form.Get(fieldSubject), Password: s.form.Get(fieldPassword)}
	if in.Remember, err = s.checkbox(fieldRemember); err != nil {
		return err
	}
	body, err := decideLogin(req, in, a.password)
	if refused := (*httpx.Error)(nil); errors.As(err, &refused) {
		// A mistake the person can correct: show the form again.
		return a.writeLogin(w, r, refused.Status, req, in, refused)
	} else if err != nil {
		return err
	}
	to, err := a.flows.AcceptLogin(s.challenge, body)
	return next(w, r, to, err, false)
}

// decideLogin turns what the person entered into the acceptance a login
// app sends. password is the digest of dev_identity.password, nil when
// none is set. Errors are *httpx.Error the page shows beside the form.
func decideLogin(req flow.LoginRequestView, in loginInput, password []byte) (flow.AcceptLoginBody, error) {
	if req.Skip {
		return skippedLogin(req), nil
	}
	subject, err := checkSubject(in.Subject)
	if err != nil {
		return flow.AcceptLoginBody{}, err
	}
	body := flow.AcceptLoginBody{Subject: subject, Remember: in.Remember}
	if password != nil {
		// Digests of equal length, compared in constant time: the time
		// taken says nothing about the password or its length.
		sum := sha256.Sum256([]byte(in.Password))
		if subtle.ConstantTimeCompare(sum[:], password) != 1 {
			return flow.AcceptLoginBody{}, httpx.NewError(http.StatusForbidden, "access_denied",
				"The password is not right.").
				WithHint("It is the value of dev_identity.password (DEV_IDENTITY_PASSWORD) in Signet's configuration.")
		}
		// RFC 8176: "pwd", password-based authentication.
		body.AMR = []string{"pwd"}
	}
	return body, nil
}

// skippedLogin accepts a remembered session as it is: the flow refuses any
// other subject for a skipped login.
func skippedLogin(req flow.LoginRequestView) flow.AcceptLoginBody {
	return flow.AcceptLoginBody{Subject: req.Subject}
}

// checkSubject trims the user name and refuses what cannot be a sub: an
// empty name, one too long, or one with control characters.
func checkSubject(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", httpx.BadRequest("Enter a user name.").
			WithHint("Any name works, for example alice; it becomes the sub claim of the tokens.")
	case len(s) > maxSubject:
		return "", httpx.BadRequest("The user name is longer than %d bytes.", maxSubject)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", httpx.BadRequest("The user name contains control characters.").
			WithHint("Use letters, digits and punctuation.")
	}
	return s, nil
}

// writeLogin shows the login form, with problem above it when set.
func (a *App) writeLogin(w http.ResponseWriter, r *http.Request, status int, req flow.LoginRequestView, in loginInput, problem *httpx.Error) error {
	token, err := a.forms.issue(w, r, flow.PurposeLoginChallenge, req.Challenge)
	if err != nil {
		return err
	}
	d := pageData{Title: "Sign in", Heading: "Sign in", Login: &loginForm{
		Client: clientOf(req.Client), Scopes: req.RequestedScope,
		Challenge: req.Challenge, Token: token, Subject: in.Subject, Remember: in.Remember,
		AskPassword: a.password != nil, MaxSubject: maxSubject,
	}}
	if problem != nil {
		d.Error = &pageError{Description: problem.Description, Hint: problem.Hint, Code: problem.Code,
			RequestID: httpx.RequestID(r.Context())}
	}
	writePage(w, status, a.formCSP(signInDestinations(req.RequestURL, req.Client)...), d)
	return nil
}
