package devapp

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
)

// TestDecideConsent: the ticked scopes are granted in the requested order,
// a scope nobody asked for is refused, and the ID token gets the name.
func TestDecideConsent(t *testing.T) {
	req := flow.ConsentRequestView{Subject: "alice", RequestedScope: []string{"openid", "profile", "offline_access"},
		RequestedAudience: []string{"https://api.example"}}
	cases := []struct {
		name     string
		ticked   []string
		want     []string
		refused  bool
		remember bool
	}{
		{name: "all", ticked: []string{"offline_access", "openid", "profile"}, want: []string{"openid", "profile", "offline_access"}},
		{name: "some, remembered", ticked: []string{"openid"}, want: []string{"openid"}, remember: true},
		{name: "none", ticked: nil, want: []string{}},
		{name: "a tick sent twice", ticked: []string{"openid", "openid"}, want: []string{"openid"}},
		{name: "not requested", ticked: []string{"openid", "admin"}, refused: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decideConsent(req, tc.ticked, tc.remember)
			if tc.refused {
				var e *httpx.Error
				if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
					t.Fatalf("error %v, want 400", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.GrantScope, tc.want) || got.GrantScope == nil {
				t.Errorf("granted %q, want %q", got.GrantScope, tc.want)
			}
			if !slices.Equal(got.GrantAudience, req.RequestedAudience) || got.Remember != tc.remember {
				t.Errorf("audience %q remember %v", got.GrantAudience, got.Remember)
			}
			var claims map[string]string
			if err := json.Unmarshal(got.Session.IDToken, &claims); err != nil || claims["name"] != "alice" {
				t.Errorf("session.id_token %s: want {\"name\":\"alice\"}", got.Session.IDToken)
			}
		})
	}
}

// TestConsentPage lists every requested scope as a ticked checkbox and the
// audience, and Allow grants what stays ticked.
func TestConsentPage(t *testing.T) {
	e := newEnv(t, "")
	b := e.browser()
	page := b.get(ConsentPath + "?consent_challenge=" + e.consentChallenge(t, false))
	body := page.Body.String()
	if page.Code != http.StatusOK {
		t.Fatalf("status %d: %s", page.Code, body)
	}
	for _, s := range []string{"openid", "profile", "offline_access"} {
		if !strings.Contains(body, `name="scope" value="`+s+`" checked>`) {
			t.Errorf("no ticked checkbox for %s", s)
		}
	}
	for _, want := range []string{"https://api.example", "Signed in as <strong>alice</strong>", `id="remember"`,
		`id="accept"`, `id="reject"`, "Development only"} {
		if !strings.Contains(body, want) {
			t.Errorf("the consent page lacks %q", want)
		}
	}
	form := formOf(t, page)

	w := b.post(ConsentPath, with(form, "scope", "openid", "scope", "offline_access", "remember", "true", "action", "accept"))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("allow: %d %s", w.Code, w.Body.String())
	}
	f := e.verifier(t, w.Header().Get("Location"), flow.PurposeConsentVerifier)
	if f.State != flow.StateConsentAccepted || !slices.Equal(f.Consent.GrantedScope, []string{"openid", "offline_access"}) ||
		!f.Consent.Remember {
		t.Errorf("accepted consent %+v", f.Consent)
	}

	w = b.post(ConsentPath, with(form, "action", "reject"))
	f = e.verifier(t, w.Header().Get("Location"), flow.PurposeConsentVerifier)
	if f.State != flow.StateConsentRejected || f.Error == nil || f.Error.Error != "access_denied" {
		t.Errorf("denied consent: state %s, error %+v", f.State, f.Error)
	}
}

// TestConsentSkip: a skippable consent is accepted at once with the
// requested scopes and the same claims.
func TestConsentSkip(t *testing.T) {
	e := newEnv(t, "")
	w := e.browser().get(ConsentPath + "?consent_challenge=" + e.consentChallenge(t, true))
	if w.Code != http.StatusFound {
		t.Fatalf("status %d, want a redirect without a page", w.Code)
	}
	f := e.verifier(t, w.Header().Get("Location"), flow.PurposeConsentVerifier)
	if !slices.Equal(f.Consent.GrantedScope, testRequest().Scope) || !strings.Contains(string(f.Consent.IDTokenClaims), `"alice"`) {
		t.Errorf("skipped consent %+v", f.Consent)
	}
}
