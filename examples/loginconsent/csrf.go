package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
)

// Cross-site request forgery protection for the three forms.
//
// Another web site can make a visitor's browser POST to /consent, and the
// browser would send along every cookie it has for this app. So each form
// carries a random token twice: in a cookie, and in a hidden field of the
// page. A POST is accepted only when the two are equal. The other site can
// neither read our cookie nor our page, so it cannot fill in the field
// (the "double submit cookie" pattern).
//
// Each form has its own cookie, scoped to its path, so an open login page
// does not invalidate a consent page in another tab. The cookie is
// SameSite=Strict (never sent on requests another site starts) and
// HttpOnly (no script reads it). Behind TLS it is also Secure; a
// production app serves only https and can then use the "__Host-" cookie
// name prefix, which stops a sibling subdomain from planting the cookie.

// csrfField is the hidden form field holding the token.
const csrfField = "csrf_token"

// csrfLifetime is how long a form stays usable: Signet's login and consent
// challenges expire after 30 minutes by default (ttl.login_consent_request).
const csrfLifetime = 30 * 60

// newCSRFToken sets a fresh token cookie for form (its path, e.g. "/login")
// and returns the token for the page's hidden field.
func newCSRFToken(w http.ResponseWriter, r *http.Request, form string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name:     csrfCookieName(form),
		Value:    token,
		Path:     form,
		MaxAge:   csrfLifetime,
		HttpOnly: true,
		Secure:   isHTTPS(r),
		SameSite: http.SameSiteStrictMode,
	})
	return token, nil
}

// validCSRF reports whether the submitted form carries the token of the
// browser's cookie. The comparison is constant-time, so timing does not
// leak how much of a guess was right.
func validCSRF(r *http.Request, form string, posted url.Values) bool {
	c, err := r.Cookie(csrfCookieName(form))
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(posted.Get(csrfField))) == 1
}

// csrfCookieName is e.g. "csrf_login" for the form at "/login".
func csrfCookieName(form string) string { return "csrf_" + form[1:] }

// isHTTPS tells whether the browser reached us over TLS, directly or
// through a proxy that terminates it. Trusting the header is harmless
// here: it can only make the cookie stricter.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}
