package main

import (
	"net/http"
	"slices"

	hydra "github.com/ory/hydra-client-go/v2"
)

// The consent page: what does the user allow the application to do?
//
// After the login, Signet sends the browser to GET
// /consent?consent_challenge=…. The app reads the request
// (GetOAuth2ConsentRequest: who is signed in, which client, which scopes),
// asks the user, and answers with the scopes granted and the claims to put
// in the ID token (AcceptOAuth2ConsentRequest), or a refusal
// (RejectOAuth2ConsentRequest).

// consentRememberFor is how long, in seconds, Signet remembers a consent
// when the user ticks "Remember": later sign-ins of this user to this
// client that ask for no more scopes arrive with skip=true. 0 would mean
// until the consent is revoked.
const consentRememberFor = 30 * 24 * 60 * 60

// consentPage is the data of templates/consent.html.
type consentPage struct {
	Challenge string
	CSRFToken string
	Client    string
	User      string
	Scopes    []scopeChoice
}

// scopeChoice is one checkbox.
type scopeChoice struct {
	Name        string
	Description string
}

// showConsent handles GET /consent.
func (a *App) showConsent(w http.ResponseWriter, r *http.Request) {
	challenge, ok := a.challengeParam(w, r, "consent_challenge")
	if !ok {
		return
	}
	req, resp, err := a.Signet.GetOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	// Skip: the user already gave (and asked Signet to remember) consent
	// covering these scopes for this client, or the client is registered
	// with skip_consent. Do not ask; grant what is requested. The claims
	// are sent again: each consent carries its own session.
	if req.GetSkip() {
		a.acceptConsent(w, r, req, req.GetRequestedScope(), false)
		return
	}
	user, _ := a.Users.BySubject(req.GetSubject())
	token, err := newCSRFToken(w, r, "/consent")
	if err != nil {
		a.Log.Error("no randomness for the CSRF token", "error", err.Error())
		http.Error(w, "The page could not be prepared; try again.", http.StatusInternalServerError)
		return
	}
	page := consentPage{Challenge: challenge, CSRFToken: token, Client: clientName(req.GetClient()), User: user.Name}
	for _, s := range req.GetRequestedScope() {
		page.Scopes = append(page.Scopes, scopeChoice{Name: s, Description: describeScope(s)})
	}
	a.Pages.render(w, http.StatusOK, "consent", page)
}

// submitConsent handles POST /consent: the user allows (some of) the
// scopes, or refuses.
func (a *App) submitConsent(w http.ResponseWriter, r *http.Request) {
	form, ok := a.readForm(w, r, "/consent")
	if !ok {
		return
	}
	challenge := form.Get("challenge")
	switch form.Get("action") {
	case "deny":
		a.rejectConsent(w, r, challenge, "The user did not allow access.")
	case "accept":
		// Read the request again: the form says which boxes were ticked,
		// only Signet says which scopes were asked for, and only those may
		// be granted.
		req, resp, err := a.Signet.GetOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).Execute()
		if err != nil {
			a.signetError(w, r, resp, err)
			return
		}
		granted := grantedScopes(req.GetRequestedScope(), form["grant_scope"])
		a.acceptConsent(w, r, req, granted, form.Get("remember") == "on")
	default:
		a.badRequest(w, "The form did not say whether to allow or to deny.")
	}
}

// acceptConsent grants scopes and passes the user's claims for them.
func (a *App) acceptConsent(w http.ResponseWriter, r *http.Request, req *hydra.OAuth2ConsentRequest, granted []string, remember bool) {
	user, ok := a.Users.BySubject(req.GetSubject())
	if !ok {
		// The account disappeared since the login: issue nothing.
		a.rejectConsent(w, r, req.GetChallenge(), "The user's account no longer exists.")
		return
	}
	accept := hydra.NewAcceptOAuth2ConsentRequest()
	accept.SetGrantScope(granted)
	accept.SetGrantAccessTokenAudience(req.GetRequestedAccessTokenAudience())
	// session.id_token: claims Signet adds to the ID token and answers from
	// /userinfo; only those of the granted scopes (see users.go).
	// session.access_token would be visible to resource servers (in
	// introspection, or in JWT access tokens).
	accept.SetSession(hydra.AcceptOAuth2ConsentRequestSession{IdToken: user.IDTokenClaims(granted)})
	if remember {
		accept.SetRemember(true)
		accept.SetRememberFor(consentRememberFor)
	}
	to, resp, err := a.Signet.AcceptOAuth2ConsentRequest(r.Context()).ConsentChallenge(req.GetChallenge()).AcceptOAuth2ConsentRequest(*accept).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	a.Log.Info("consent accepted", "subject", user.Subject, "scopes", granted, "remember", remember)
	http.Redirect(w, r, to.RedirectTo, http.StatusSeeOther)
}

// rejectConsent makes Signet send the client access_denied.
func (a *App) rejectConsent(w http.ResponseWriter, r *http.Request, challenge, why string) {
	reject := hydra.RejectOAuth2Request{}
	reject.SetError("access_denied")
	reject.SetErrorDescription(why)
	to, resp, err := a.Signet.RejectOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).RejectOAuth2Request(reject).Execute()
	if err != nil {
		a.signetError(w, r, resp, err)
		return
	}
	http.Redirect(w, r, to.RedirectTo, http.StatusSeeOther)
}

// grantedScopes keeps the requested scopes whose box was ticked, in the
// order they were requested; anything else in the form is ignored.
func grantedScopes(requested, ticked []string) []string {
	granted := []string{}
	for _, s := range requested {
		if slices.Contains(ticked, s) {
			granted = append(granted, s)
		}
	}
	return granted
}

// describeScope says in words what a scope lets the application do.
func describeScope(scope string) string {
	switch scope {
	case "openid":
		return "Know who you are (your user id)"
	case "email":
		return "See your e-mail address"
	case "profile":
		return "See your name and user name"
	case "offline", "offline_access":
		return "Keep access while you are away (a refresh token)"
	}
	return "Use the permission “" + scope + "”"
}
