package devapp

import (
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
)

// What the three POST handlers share: reading the decision and the
// challenge, checking the form token, and the rejection every Deny sends.

// The two buttons of every form.
const (
	actionAccept = "accept"
	actionReject = "reject"
)

// submission is a checked form post: the challenge it is about and the
// button pressed.
type submission struct {
	form      url.Values
	challenge string
	action    string
}

// readSubmission parses a form of step p (fields: the ones the page sends)
// and checks its token before anything else is looked at.
func (a *App) readSubmission(r *http.Request, p flow.Purpose, fields ...string) (submission, error) {
	form, err := parseForm(r, append(fields, fieldChallenge, fieldToken, fieldAction)...)
	if err != nil {
		return submission{}, err
	}
	s := submission{form: form, challenge: form.Get(fieldChallenge), action: form.Get(fieldAction)}
	if s.challenge == "" {
		return submission{}, httpx.BadRequest("The form does not say which request it answers.").
			WithHint("Submit the form on the page rather than posting to this address by hand.")
	}
	if err := a.forms.check(r, p, s.challenge, form.Get(fieldToken)); err != nil {
		return submission{}, err
	}
	if s.action != actionAccept && s.action != actionReject {
		return submission{}, httpx.BadRequest("The form was sent without pressing one of its buttons.").
			WithHint("Press one of the buttons on the page.")
	}
	return s, nil
}

// checkbox reads a checkbox: absent is false, its value "true" is true.
func (s submission) checkbox(name string) (bool, error) {
	switch v, ok := s.form[name]; {
	case !ok:
		return false, nil
	case len(v) == 1 && v[0] == "true":
		return true, nil
	}
	return false, httpx.BadRequest("The form field %q must be \"true\" or absent.", name)
}

// denied is the rejection behind every Deny button: the client receives
// access_denied (RFC 6749 section 4.1.2.1: "The resource owner or
// authorization server denied the request").
func denied(what string) flow.RejectBody {
	return flow.RejectBody{Error: "access_denied", Description: "The user denied the " + what + ".",
		StatusCode: http.StatusForbidden}
}

// signInDestinations are where a sign-in's redirects may end: the request's
// redirect_uri, or, when the request named none, the client's only
// registered one (the authorization endpoint accepts no other case).
func signInDestinations(requestURL string, c *client.Client) []string {
	if u, err := url.Parse(requestURL); err == nil {
		if ru := u.Query().Get("redirect_uri"); ru != "" {
			return []string{ru}
		}
	}
	if c == nil {
		return nil
	}
	return c.RedirectURIs
}

// signOutDestination is the post_logout_redirect_uri of a logout request.
func signOutDestination(requestURL string) string {
	u, err := url.Parse(requestURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("post_logout_redirect_uri")
}

// formCSP is the policy of a form page whose submission may end at dest
// (besides Signet itself and urls.error).
func (a *App) formCSP(dest ...string) string {
	cfg := a.config()
	sources, ok := formActionSources(append(dest, cfg.PublicURL(), cfg.URLs.Error, cfg.URLs.Device.Success)...)
	if !ok {
		return pageCSP(true, nil)
	}
	return pageCSP(true, sources)
}
