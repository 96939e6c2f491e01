package main

import (
	"mime"
	"net/http"
	"net/url"
)

// Reading what a browser sends. Anyone can send anything to these URLs,
// so every value is bounded and anything unexpected gets a page that says
// what is wrong, before the app talks to Signet.

const (
	maxFormBytes = 16 << 10 // a whole form
	maxChallenge = 8 << 10  // Signet's challenges are at most 6,000 characters
	maxField     = 256      // user name, password, one scope, …
)

// challengeParam reads the challenge Signet put in the address
// (login_challenge, consent_challenge or logout_challenge).
func (a *App) challengeParam(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	v := r.URL.Query()[name]
	if len(v) != 1 || v[0] == "" || len(v[0]) > maxChallenge {
		a.badRequest(w, "This page is opened by the sign-in service with a "+name+
			" in its address; this address has none, or more than one, or one that is too long.")
		return "", false
	}
	return v[0], true
}

// readForm parses a POST from our form at path form ("/login", …): a URL
// encoded body of bounded size, each field once (only grant_scope, the
// consent checkboxes, may repeat), a challenge, and a valid CSRF token.
func (a *App) readForm(w http.ResponseWriter, r *http.Request, form string) (url.Values, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		a.badRequest(w, "The form was not sent the way a browser sends it.")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.badRequest(w, "The form could not be read.")
		return nil, false
	}
	posted := r.PostForm
	for name, values := range posted {
		limit := maxField
		if name == "challenge" {
			limit = maxChallenge
		}
		if len(values) > 1 && name != "grant_scope" {
			a.badRequest(w, "The form field "+clip(name)+" was sent more than once.")
			return nil, false
		}
		for _, v := range values {
			if len(v) > limit {
				a.badRequest(w, "The form field "+clip(name)+" is too long.")
				return nil, false
			}
		}
	}
	if !validCSRF(r, form, posted) {
		a.showMessage(w, http.StatusForbidden, message{
			Title: "This form cannot be accepted",
			Text:  "The form has expired, or it was not sent from this site.",
			Hint:  "Go back, reload the page and submit it again. This site needs cookies to be allowed.",
		})
		return nil, false
	}
	if posted.Get("challenge") == "" {
		a.badRequest(w, "The form lacks the sign-in request it belongs to.")
		return nil, false
	}
	return posted, true
}

// clip shortens a stranger's text before it appears on a page.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
