package flow

import (
	"context"
	"net/http"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

// The consent half of the admin API: the consent app reads the request
// behind a consent_challenge, then grants scopes and claims or refuses.

// ConsentRequest returns what the consent app sees for challenge.
func (a *Admin) ConsentRequest(ctx context.Context, challenge string) (ConsentRequestView, error) {
	f, err := a.open(challenge, PurposeConsentChallenge)
	if err != nil {
		return ConsentRequestView{}, err
	}
	c, err := a.client(ctx, f.ClientID)
	if err != nil {
		return ConsentRequestView{}, err
	}
	return consentRequestView(f, c, challenge, a.requestURL(f)), nil
}

func consentRequestView(f *Flow, c *client.Client, challenge, requestURL string) ConsentRequestView {
	return ConsentRequestView{
		Challenge:         challenge,
		ConsentRequestID:  f.ID,
		Client:            publicClient(c),
		RequestURL:        requestURL,
		RequestedScope:    nonNil(f.Request.Scope),
		RequestedAudience: nonNil(f.Request.Audience),
		Skip:              f.Consent.Skip,
		Subject:           f.Login.Subject,
		LoginChallenge:    f.ID,
		LoginSessionID:    f.Login.SessionID,
		ACR:               f.Login.ACR,
		AMR:               nonNil(f.Login.AMR),
		Context:           present(f.Login.Context),
		OIDCContext:       oidcContext(f.Request),
	}
}

// AcceptConsent applies what the user granted and returns where the
// browser goes next: the authorization endpoint with a consent_verifier.
func (a *Admin) AcceptConsent(challenge string, b AcceptConsentBody) (RedirectTo, error) {
	f, err := a.open(challenge, PurposeConsentChallenge)
	if err != nil {
		return RedirectTo{}, err
	}
	if err := f.AcceptConsent(b.accept(), a.Now()); err != nil {
		return RedirectTo{}, decisionError(err)
	}
	return a.redirectTo(f, PurposeConsentVerifier)
}

// RejectConsent applies the consent app's refusal.
func (a *Admin) RejectConsent(challenge string, b RejectBody) (RedirectTo, error) {
	f, err := a.open(challenge, PurposeConsentChallenge)
	if err != nil {
		return RedirectTo{}, err
	}
	e, err := b.rejectError()
	if err != nil {
		return RedirectTo{}, err
	}
	if err := f.RejectConsent(e); err != nil {
		return RedirectTo{}, decisionError(err)
	}
	return a.redirectTo(f, PurposeConsentVerifier)
}

func (a *Admin) handleGetConsent(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "consent_challenge")
	if err != nil {
		return err
	}
	v, err := a.ConsentRequest(r.Context(), ch)
	if err != nil {
		return err
	}
	writeView(w, v)
	return nil
}

func (a *Admin) handleAcceptConsent(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "consent_challenge")
	if err != nil {
		return err
	}
	var b AcceptConsentBody
	if err := httpx.DecodeJSON(r, &b, maxDecisionBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.AcceptConsent(ch, b)
	if err != nil {
		return err
	}
	writeView(w, out)
	return nil
}

func (a *Admin) handleRejectConsent(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "consent_challenge")
	if err != nil {
		return err
	}
	var b RejectBody
	if err := httpx.DecodeJSON(r, &b, maxDecisionBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.RejectConsent(ch, b)
	if err != nil {
		return err
	}
	writeView(w, out)
	return nil
}
