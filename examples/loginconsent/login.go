package main

import (
	"net/http"

	hydra "github.com/ory/hydra-client-go/v2"
)

// The login page: who is the user?
//
// Signet sends the browser to GET /login?login_challenge=…. The app asks
// Signet what the challenge is about (GetOAuth2LoginRequest), signs the
// user in, and tells Signet who they are (AcceptOAuth2LoginRequest) or
// that they refused (RejectOAuth2LoginRequest). Either way Signet answers
// with redirect_to, the address the browser goes to next.

// loginRememberFor is how long, in seconds, Signet remembers a login when
// the user ticks "Remember me": until then, sign-ins in this browser skip
// the password. 0 would mean Signet's default (ttl.authentication_session).
const loginRememberFor = 7 * 24 * 60 * 60

// loginPage is the data of templates/login.html.
type loginPage struct {
	Challenge string
	CSRFToken string
	Client    string // who asks, in words
	Username  string // prefilled from the client's login_hint, or as typed
	Error     string
	Demo      string // the demo accounts; a real app has no such line
}

// showLogin handles GET /login.
func (a *App) showLogin(w http.ResponseWriter, r *http.Request) {
	challenge, ok := a.challengeParam(w, r, "login_challenge")
	if !ok {
		return
	}
	req, resp, err := a.Signet.GetOAuth2LoginRequest(r.Context()).LoginChallenge(challenge).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	// Skip: this browser has a remembered login, so Signet already knows
	// the user. Do not ask again; accept with the subject Signet names (it
	// refuses any other). A real app could first check that the account
	// is still active, and reject if not.
	if req.Skip {
		a.acceptLogin(w, r, challenge, hydra.NewAcceptOAuth2LoginRequest(req.Subject))
		return
	}
	a.renderLogin(w, r, req, req.OidcContext.GetLoginHint(), "") // OidcContext may be nil; the getter allows that
}

// submitLogin handles POST /login: the user signs in, or cancels.
func (a *App) submitLogin(w http.ResponseWriter, r *http.Request) {
	form, ok := a.readForm(w, r, "/login")
	if !ok {
		return
	}
	challenge := form.Get("challenge")
	switch form.Get("action") {
	case "deny":
		a.rejectLogin(w, r, challenge)
	case "accept":
		user, ok := a.Users.Check(form.Get("username"), form.Get("password"))
		if !ok {
			// Never log the password, not even a wrong one.
			a.Log.Info("login failed", "username", form.Get("username"))
			a.retryLogin(w, r, challenge, form.Get("username"))
			return
		}
		accept := hydra.NewAcceptOAuth2LoginRequest(user.Subject)
		accept.SetAmr([]string{"pwd"}) // how the user proved who they are (RFC 8176)
		// Remember: Signet stores a login session and sets its cookie; the
		// next sign-in in this browser arrives here with skip=true.
		if form.Get("remember") == "on" {
			accept.SetRemember(true)
			accept.SetRememberFor(loginRememberFor)
		}
		a.acceptLogin(w, r, challenge, accept)
	default:
		a.badRequest(w, "The form did not say whether to sign in or to cancel.")
	}
}

// retryLogin shows the form again after a wrong password. The page is
// built from what Signet says about the challenge, never from what the
// browser sent back, so a forged form cannot change who is asking.
func (a *App) retryLogin(w http.ResponseWriter, r *http.Request, challenge, username string) {
	req, resp, err := a.Signet.GetOAuth2LoginRequest(r.Context()).LoginChallenge(challenge).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	a.renderLogin(w, r, req, username, "The user name or password is wrong.")
}

// acceptLogin tells Signet who the user is and sends the browser on. 303
// makes the browser follow with GET whatever method brought it here.
func (a *App) acceptLogin(w http.ResponseWriter, r *http.Request, challenge string, accept *hydra.AcceptOAuth2LoginRequest) {
	to, resp, err := a.Signet.AcceptOAuth2LoginRequest(r.Context()).LoginChallenge(challenge).AcceptOAuth2LoginRequest(*accept).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	a.Log.Info("login accepted", "subject", accept.Subject, "remember", accept.GetRemember())
	http.Redirect(w, r, to.RedirectTo, http.StatusSeeOther)
}

// rejectLogin makes Signet send the client the error access_denied (with
// the client's state).
func (a *App) rejectLogin(w http.ResponseWriter, r *http.Request, challenge string) {
	reject := hydra.RejectOAuth2Request{}
	reject.SetError("access_denied")
	reject.SetErrorDescription("The user did not sign in.")
	to, resp, err := a.Signet.RejectOAuth2LoginRequest(r.Context()).LoginChallenge(challenge).RejectOAuth2Request(reject).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	http.Redirect(w, r, to.RedirectTo, http.StatusSeeOther)
}

func (a *App) renderLogin(w http.ResponseWriter, r *http.Request, req *hydra.OAuth2LoginRequest, username, problem string) {
	token, err := newCSRFToken(w, r, "/login")
	if err != nil {
		a.Log.Error("no randomness for the CSRF token", "error", err.Error())
		http.Error(w, "The page could not be prepared; try again.", http.StatusInternalServerError)
		return
	}
	a.Pages.render(w, http.StatusOK, "login", loginPage{
		Challenge: req.Challenge, CSRFToken: token, Client: clientName(req.Client),
		Username: username, Error: problem, Demo: a.Users.DemoHint(),
	})
}

// clientName is how a page names the application that asks.
func clientName(c hydra.OAuth2Client) string {
	if name := c.GetClientName(); name != "" {
		return name
	}
	return c.GetClientId()
}
