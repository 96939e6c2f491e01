package flow

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
)

func TestAdminGetConsentRequest(t *testing.T) {
	h := newAdminHarness(t)
	ch := h.challenge(t, StateConsentRequested, PurposeConsentChallenge)
	rec := h.do(t, http.MethodGet, "/admin/oauth2/auth/requests/consent", "consent_challenge", ch, "")
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), testSecretHash) {
		t.Fatal("consent request leaks the client secret hash")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"challenge", "client", "request_url", "requested_scope", "requested_access_token_audience",
		"skip", "subject", "login_challenge", "login_session_id", "acr", "amr", "oidc_context"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("field %q missing from %s", k, rec.Body)
		}
	}

	var got hydra.OAuth2ConsentRequest
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("hydra-client-go cannot decode the consent request: %v", err)
	}
	want := typicalRequest()
	switch {
	case got.Challenge != ch:
		t.Error("challenge differs")
	case got.Client == nil || got.Client.GetClientId() != testClientID:
		t.Errorf("client %+v", got.Client)
	case got.GetSubject() != "user-4711" || got.GetAcr() != "1" || !slices.Equal(got.GetAmr(), []string{"pwd"}):
		t.Errorf("login facts: subject %q acr %q amr %v", got.GetSubject(), got.GetAcr(), got.GetAmr())
	case got.GetLoginSessionId() != "9c2d7e1a-3b4f-4a5e-8c6d-7e8f9a0b1c2d" || got.GetLoginChallenge() == "":
		t.Errorf("login_session_id %q login_challenge %q", got.GetLoginSessionId(), got.GetLoginChallenge())
	case !slices.Equal(got.GetRequestedScope(), want.Scope) || !slices.Equal(got.GetRequestedAccessTokenAudience(), want.Audience):
		t.Errorf("requested %v %v", got.GetRequestedScope(), got.GetRequestedAccessTokenAudience())
	case got.GetSkip():
		t.Error("skip set on a consent the server did not mark skippable")
	case !strings.HasPrefix(got.GetRequestUrl(), testAuthorizeURL+"?"):
		t.Errorf("request_url %q", got.GetRequestUrl())
	}
}

func TestAdminGetConsentRequestSkipAndContext(t *testing.T) {
	h := newAdminHarness(t)
	f, _ := newFlow(t, typicalRequest())
	steps := []error{
		f.RequestLogin("sid-2", nil),
		f.AcceptLogin(LoginAccept{Subject: "user-9", Context: json.RawMessage(`{"tenant":"acme"}`)}, t0),
		f.RequestConsent(true),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	ch, err := h.admin.Sealer.Seal(f, PurposeConsentChallenge)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.admin.ConsentRequest(t.Context(), ch)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Skip || v.Subject != "user-9" || string(v.Context) != `{"tenant":"acme"}` {
		t.Errorf("consent view %+v", v)
	}
}

func TestAdminAcceptConsentWithSDKBody(t *testing.T) {
	h := newAdminHarness(t)
	ch := h.challenge(t, StateConsentRequested, PurposeConsentChallenge)
	h.clock.t = t0.Add(7 * time.Minute)
	sess := hydra.NewAcceptOAuth2ConsentRequestSession()
	sess.SetIdToken(map[string]any{"email": "jane@example.com"})
	sess.SetAccessToken(map[string]any{"tier": "gold"})
	body := hydra.NewAcceptOAuth2ConsentRequest()
	body.SetGrantScope([]string{"openid", "email"})
	body.SetGrantAccessTokenAudience([]string{"https://api.example.com"})
	body.SetRemember(true)
	body.SetRememberFor(0)
	body.SetSession(*sess)
	body.SetHandledAt(t0.Add(-24 * time.Hour)) // sent by the SDK; the server's clock wins
	rec := h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/consent/accept", "consent_challenge", ch, string(mustJSON(t, body)))
	f, verifier := h.verifierFrom(t, rec, PurposeConsentVerifier)
	c := f.Consent
	switch {
	case f.State != StateConsentAccepted:
		t.Errorf("state %s", f.State)
	case !slices.Equal(c.GrantedScope, []string{"openid", "email"}) || !slices.Equal(c.GrantedAudience, []string{"https://api.example.com"}):
		t.Errorf("granted %v %v", c.GrantedScope, c.GrantedAudience)
	case !c.Remember || c.RememberFor != 0:
		t.Errorf("remember %v for %d", c.Remember, c.RememberFor)
	case string(c.IDTokenClaims) != `{"email":"jane@example.com"}` || string(c.AccessTokenClaims) != `{"tier":"gold"}`:
		t.Errorf("claims %s %s", c.IDTokenClaims, c.AccessTokenClaims)
	case !c.HandledAt.Equal(h.clock.t):
		t.Errorf("handled_at %s, want the server clock", c.HandledAt)
	case f.Login.Subject != "user-4711":
		t.Errorf("subject lost: %q", f.Login.Subject)
	}
	if _, err := h.admin.Sealer.Open(verifier, PurposeLoginVerifier); err == nil {
		t.Error("consent verifier opened as a login verifier")
	}
}

func TestAdminRejectConsent(t *testing.T) {
	h := newAdminHarness(t)
	ch := h.challenge(t, StateConsentRequested, PurposeConsentChallenge)
	rec := h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/consent/reject", "consent_challenge", ch,
		`{"error":"access_denied","error_description":"The user said no.","error_hint":"h","error_debug":"d","status_code":403}`)
	f, _ := h.verifierFrom(t, rec, PurposeConsentVerifier)
	want := RejectError{Error: "access_denied", Description: "The user said no.", Hint: "h", Debug: "d", StatusCode: 403}
	if f.State != StateConsentRejected || f.Error == nil || *f.Error != want {
		t.Errorf("rejected flow %s %+v", f.State, f.Error)
	}
}
