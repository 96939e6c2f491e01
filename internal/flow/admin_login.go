package flow

import (
	"context"
	"net/http"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

// The login half of the admin API: the login app reads the request behind
// a login_challenge, then accepts (who the user is) or rejects it.

// LoginRequest returns what the login app sees for challenge.
func (a *Admin) LoginRequest(ctx context.Context, challenge string) (LoginRequestView, error) {
	f, err := a.open(challenge, PurposeLoginChallenge)
	if err != nil {
		return LoginRequestView{}, err
	}
	c, err := a.client(ctx, f.ClientID)
	if err != nil {
		return LoginRequestView{}, err
	}
	return loginRequestView(f, c, challenge, a.requestURL(f)), nil
}

func loginRequestView(f *Flow, c *client.Client, challenge, requestURL string) LoginRequestView {
	return LoginRequestView{
		Challenge:         challenge,
		Client:            publicClient(c),
		RequestURL:        requestURL,
		RequestedScope:    nonNil(f.Request.Scope),
		RequestedAudience: nonNil(f.Request.Audience),
		Skip:              f.Login.Skip,
		Subject:           f.Login.Subject,
		SessionID:         f.Login.SessionID,
		OIDCContext:       oidcContext(f.Request),
	}
}

// AcceptLogin applies the login app's acceptance and returns where the
// browser goes next: the authorization endpoint with a login_verifier.
func (a *Admin) AcceptLogin(challenge string, b AcceptLoginBody) (RedirectTo, error) {
	f, err := a.open(challenge, PurposeLoginChallenge)
	if err != nil {
		return RedirectTo{}, err
	}
	if err := f.AcceptLogin(b.accept(), a.Now()); err != nil {
		return RedirectTo{}, decisionError(err)
	}
	return a.redirectTo(f, PurposeLoginVerifier)
}

// RejectLogin applies the login app's refusal; the authorization endpoint
// then sends the error to the client.
func (a *Admin) RejectLogin(challenge string, b RejectBody) (RedirectTo, error) {
	f, err := a.open(challenge, PurposeLoginChallenge)
	if err != nil {
		return RedirectTo{}, err
	}
	e, err := b.rejectError()
	if err != nil {
		return RedirectTo{}, err
	}
	if err := f.RejectLogin(e); err != nil {
		return RedirectTo{}, decisionError(err)
	}
	return a.redirectTo(f, PurposeLoginVerifier)
}

func (a *Admin) handleGetLogin(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "login_challenge")
	if err != nil {
		return err
	}
	v, err := a.LoginRequest(r.Context(), ch)
	if err != nil {
		return err
	}
	writeView(w, v)
	return nil
}

func (a *Admin) handleAcceptLogin(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "login_challenge")
	if err != nil {
		return err
	}
	var b AcceptLoginBody
	if err := httpx.DecodeJSON(r, &b, maxDecisionBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.AcceptLogin(ch, b)
	if err != nil {
		return err
	}
	writeView(w, out)
	return nil
}

func (a *Admin) handleRejectLogin(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "login_challenge")
	if err != nil {
		return err
	}
	var b RejectBody
	if err := httpx.DecodeJSON(r, &b, maxDecisionBody, httpx.RejectUnknown); err != nil {
		return err
	}
	out, err := a.RejectLogin(ch, b)
	if err != nil {
		return err
	}
	writeView(w, out)
	return nil
}
