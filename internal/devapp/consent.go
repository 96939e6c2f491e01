package devapp

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
)

// The consent page (urls.consent): which of the requested scopes the
// signed-in user grants the client.

// consentForm is the consent page's data.
type consentForm struct {
	Client           clientLabel
	Subject          string
	Scopes, Audience []string
	Challenge, Token string
}

// GET /dev/consent?consent_challenge=…
func (a *App) showConsent(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeQuery(r, "consent_challenge")
	if err != nil {
		return err
	}
	req, err := a.flows.ConsentRequest(r.Context(), ch)
	if err != nil {
		return challengeError(err, false)
	}
	if req.Skip {
		// A remembered consent that covers this request, or a client with
		// skip_consent: a consent app accepts at once without asking.
		to, err := a.flows.AcceptConsent(ch, skippedConsent(req))
		return next(w, r, to, err, false)
	}
	token, err := a.forms.issue(w, r, flow.PurposeConsentChallenge, ch)
	if err != nil {
		return err
	}
	writePage(w, http.StatusOK, a.formCSP(signInDestinations(req.RequestURL, req.Client)...), pageData{
		Title: "Allow access", Heading: "Allow access?",
		Consent: &consentForm{Client: clientOf(req.Client), Subject: req.Subject,
			Scopes: req.RequestedScope, Audience: req.RequestedAudience, Challenge: ch, Token: token}})
	return nil
}

// POST /dev/consent: Allow (with the ticked scopes) or Deny.
func (a *App) submitConsent(w http.ResponseWriter, r *http.Request) error {
	s, err := a.readSubmission(r, flow.PurposeConsentChallenge, fieldScope, fieldRemember)
	if err != nil {
		return err
	}
	if s.action == actionReject {
		to, err := a.flows.RejectConsent(s.challenge, denied("request for access"))
		return next(w, r, to, err, false)
	}
	req, err := a.flows.ConsentRequest(r.Context(), s.challenge)
	if err != nil {
		return challengeError(err, false)
	}
	remember, err := s.checkbox(fieldRemember)
	if err != nil {
		return err
	}
	body, err := decideConsent(req, s.form[fieldScope], remember)
	if err != nil {
		return err
	}
	to, err := a.flows.AcceptConsent(s.challenge, body)
	return next(w, r, to, err, false)
}

// decideConsent grants the ticked scopes, in the order they were
// requested. A scope that was not requested is refused: the page never
// offers one, so the form was edited.
func decideConsent(req flow.ConsentRequestView, ticked []string, remember bool) (flow.AcceptConsentBody, error) {
	for _, s := range ticked {
		if !slices.Contains(req.RequestedScope, s) {
			return flow.AcceptConsentBody{}, httpx.BadRequest("The scope %q was not requested, so it cannot be granted.", httpx.Clip(s, 64)).
				WithHint("Tick only the scopes the page lists.")
		}
	}
	grant := []string{}
	for _, s := range req.RequestedScope {
		if slices.Contains(ticked, s) {
			grant = append(grant, s)
		}
	}
	return consentBody(req, grant, remember), nil
}

// skippedConsent grants what was requested: Signet marks a consent
// skippable only when a remembered one covers every requested scope (or
// the client has skip_consent), so this grants nothing new.
func skippedConsent(req flow.ConsentRequestView) flow.AcceptConsentBody {
	return consentBody(req, req.RequestedScope, false)
}

// consentBody is the acceptance, with the claims the ID token and userinfo
// carry. A real consent app looks the user up and releases claims by
// granted scope (email with "email", and so on); the dev app knows only
// the name that was typed, so it puts that in "name", to show where such
// claims go. The requested audience is granted as it is.
func consentBody(req flow.ConsentRequestView, grant []string, remember bool) flow.AcceptConsentBody {
	claims, _ := json.Marshal(map[string]string{"name": req.Subject}) // a map of strings always encodes
	return flow.AcceptConsentBody{GrantScope: grant, GrantAudience: req.RequestedAudience,
		Remember: remember, Session: &flow.ConsentSessionClaims{IDToken: claims}}
}
