package flow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// LogoutAdmin serves the logout requests of the admin API
// (/admin/oauth2/auth/requests/logout[/accept|/reject]). Like Admin it
// writes nothing: the challenge is opened, and acceptance re-seals the same
// request as a logout_verifier for the public logout endpoint, which ends
// the session. Rejection changes nothing, so it only checks the challenge.
type LogoutAdmin struct {
	Sealer *Sealer
	// Clients fills the client of RP-initiated requests; nil shows none.
	Clients client.Store
	// LogoutURL is the public …/oauth2/sessions/logout endpoint.
	LogoutURL string
	Now       func() time.Time
}

// LogoutRequestView is the contract's oAuth2LogoutRequest.
type LogoutRequestView struct {
	Challenge   string         `json:"challenge"`
	Subject     string         `json:"subject"`
	SessionID   string         `json:"sid"`
	RequestURL  string         `json:"request_url"`
	RPInitiated bool           `json:"rp_initiated"`
	Client      *client.Client `json:"client"`
	RequestedAt time.Time      `json:"requested_at"`
	ExpiresAt   time.Time      `json:"expires_at"`
}

// Routes registers the three endpoints; the contract's error shape for all
// three is errorOAuth2 (Renderer.OAuth).
func (a *LogoutAdmin) Routes(mux httpx.Mux, wrap func(httpx.HandlerFunc) http.Handler) {
	mux.Handle("GET /admin/oauth2/auth/requests/logout", wrap(a.handleGet))
	mux.Handle("PUT /admin/oauth2/auth/requests/logout/accept", wrap(a.handleAccept))
	mux.Handle("PUT /admin/oauth2/auth/requests/logout/reject", wrap(a.handleReject))
}

// LogoutRequest returns what the logout app sees for challenge.
func (a *LogoutAdmin) LogoutRequest(ctx context.Context, challenge string) (LogoutRequestView, error) {
	l, err := a.open(challenge)
	if err != nil {
		return LogoutRequestView{}, err
	}
	v := LogoutRequestView{Challenge: challenge, Subject: l.Subject, SessionID: l.SessionID,
		RequestURL: a.requestURL(l), RPInitiated: l.RPInitiated, RequestedAt: l.RequestedAt, ExpiresAt: l.Expires}
	if l.ClientID != "" && a.Clients != nil {
		c, err := a.Clients.GetClient(ctx, l.ClientID)
		switch {
		case err == nil:
			v.Client = publicClient(c)
		case !errors.Is(err, storage.ErrNotFound): // a deleted client is shown as null
			return LogoutRequestView{}, err
		}
	}
	return v, nil
}

// AcceptLogout returns where the logout app sends the browser: the public
// logout endpoint with a single-use logout_verifier.
func (a *LogoutAdmin) AcceptLogout(challenge string) (RedirectTo, error) {
	l, err := a.open(challenge)
	if err != nil {
		return RedirectTo{}, err
	}
	v, err := a.Sealer.SealLogout(l, PurposeLogoutVerifier)
	if err != nil {
		return RedirectTo{}, decisionError(err)
	}
	return RedirectTo{RedirectTo: a.LogoutURL + "?" + url.Values{"logout_verifier": {v}}.Encode()}, nil
}

// RejectLogout checks the challenge. The session is kept; the logout app
// sends the browser back itself (the contract answers 204, no redirect).
func (a *LogoutAdmin) RejectLogout(challenge string) error {
	_, err := a.open(challenge)
	return err
}

func (a *LogoutAdmin) open(challenge string) (*LogoutRequest, error) {
	l, err := a.Sealer.OpenLogout(challenge, PurposeLogoutChallenge)
	if err != nil {
		return nil, httpx.NotFound("The logout_challenge is invalid or expired.").
			WithHint("Challenges expire after ttl.login_consent_request; pass the logout_challenge exactly as received, or start the logout again.").
			Because(err)
	}
	return l, nil
}

// requestURL rebuilds the logout request as the browser made it, without
// the id_token_hint (only its claims were kept).
func (a *LogoutAdmin) requestURL(l *LogoutRequest) string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("client_id", l.ClientID)
	set("post_logout_redirect_uri", l.PostLogoutRedirectURI)
	set("state", l.State)
	set("ui_locales", strings.Join(l.UILocales, " "))
	if len(q) == 0 {
		return a.LogoutURL
	}
	return a.LogoutURL + "?" + q.Encode()
}

func (a *LogoutAdmin) handleGet(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "logout_challenge")
	if err != nil {
		return err
	}
	v, err := a.LogoutRequest(r.Context(), ch)
	if err != nil {
		return err
	}
	writeView(w, v)
	return nil
}

func (a *LogoutAdmin) handleAccept(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "logout_challenge")
	if err != nil {
		return err
	}
	v, err := a.AcceptLogout(ch)
	if err != nil {
		return err
	}
	writeView(w, v)
	return nil
}

func (a *LogoutAdmin) handleReject(w http.ResponseWriter, r *http.Request) error {
	ch, err := challengeParam(r, "logout_challenge")
	if err != nil {
		return err
	}
	if err := a.RejectLogout(ch); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
