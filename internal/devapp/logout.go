package devapp

import (
	"net/http"

	"github.com/signet-oidc/signet/internal/flow"
)

// The logout page (urls.logout): asks before Signet ends the session.

// logoutForm is the logout page's data.
type logoutForm struct {
	Subject          string
	Client           *clientLabel
	Challenge, Token string
}

// GET /dev/logout?logout_challenge=…
func (a *App) showLogout(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeQuery(r, "logout_challenge")
	if err != nil {
		return err
	}
	req, err := a.logouts.LogoutRequest(r.Context(), ch)
	if err != nil {
		return challengeError(err, true)
	}
	token, err := a.forms.issue(w, r, flow.PurposeLogoutChallenge, ch)
	if err != nil {
		return err
	}
	f := &logoutForm{Subject: req.Subject, Challenge: ch, Token: token}
	if req.Client != nil {
		c := clientOf(req.Client)
		f.Client = &c
	}
	csp := a.formCSP(signOutDestination(req.RequestURL), a.config().URLs.PostLogoutRedirect)
	writePage(w, http.StatusOK, csp, pageData{Title: "Sign out", Heading: "Sign out of Signet?", Logout: f})
	return nil
}

// POST /dev/logout: Yes (sign out) or No (stay signed in).
func (a *App) submitLogout(w http.ResponseWriter, r *http.Request) error {
	s, err := a.readSubmission(r, flow.PurposeLogoutChallenge)
	if err != nil {
		return err
	}
	if s.action == actionAccept {
		to, err := a.logouts.AcceptLogout(s.challenge)
		return next(w, r, to, err, true)
	}
	// Rejecting changes nothing and sends no redirect (the contract answers
	// 204): the logout app tells the person, as this page does.
	if err := a.logouts.RejectLogout(s.challenge); err != nil {
		return challengeError(err, true)
	}
	writePage(w, http.StatusOK, pageCSP(false, nil), pageData{Title: "Still signed in",
		Heading: "You are still signed in",
		Message: "Nothing was changed. You can close this page or go back to the application."})
	return nil
}
