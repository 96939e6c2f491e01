package main

import (
	"net/http"
)

// The logout page: does the user really want to sign out?
//
// When an application (or the user) asks Signet to end the session, Signet
// sends the browser to GET /logout?logout_challenge=…. The app confirms
// with the user, then accepts (AcceptOAuth2LogoutRequest: Signet ends the
// session, tells the applications, and sends the browser back) or rejects
// (RejectOAuth2LogoutRequest: nothing ends). Asking protects the user from
// a page that signs them out against their will.

// logoutPage is the data of templates/logout.html.
type logoutPage struct {
	Challenge string
	CSRFToken string
	Client    string // empty when the logout was not started by an application
	User      string
}

// showLogout handles GET /logout.
func (a *App) showLogout(w http.ResponseWriter, r *http.Request) {
	challenge, ok := a.challengeParam(w, r, "logout_challenge")
	if !ok {
		return
	}
	req, resp, err := a.Signet.GetOAuth2LogoutRequest(r.Context()).LogoutChallenge(challenge).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	token, err := newCSRFToken(w, r, "/logout")
	if err != nil {
		a.Log.Error("no randomness for the CSRF token", "error", err.Error())
		http.Error(w, "The page could not be prepared; try again.", http.StatusInternalServerError)
		return
	}
	page := logoutPage{Challenge: challenge, CSRFToken: token}
	if c, ok := req.GetClientOk(); ok && c != nil {
		page.Client = clientName(*c)
	}
	if user, ok := a.Users.BySubject(req.GetSubject()); ok {
		page.User = user.Name
	}
	a.Pages.render(w, http.StatusOK, "logout", page)
}

// submitLogout handles POST /logout.
func (a *App) submitLogout(w http.ResponseWriter, r *http.Request) {
	form, ok := a.readForm(w, r, "/logout")
	if !ok {
		return
	}
	challenge := form.Get("challenge")
	switch form.Get("action") {
	case "accept":
		to, resp, err := a.Signet.AcceptOAuth2LogoutRequest(r.Context()).LogoutChallenge(challenge).Execute()
		if err != nil {
			a.signetError(w, r, resp, err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusSeeOther)
	case "deny":
		// Rejecting gives no address to go to: the app says so itself.
		if resp, err := a.Signet.RejectOAuth2LogoutRequest(r.Context()).LogoutChallenge(challenge).Execute(); err != nil {
			a.signetError(w, r, resp, err)
			return
		}
		a.showMessage(w, http.StatusOK, message{
			Title: "You are still signed in",
			Text:  "Nothing was changed. You can close this page and go back to the application.",
		})
	default:
		a.badRequest(w, "The form did not say whether to sign out or to stay signed in.")
	}
}
