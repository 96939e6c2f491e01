package devapp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/flow"
)

// TestLogoutPage asks first; Yes continues to the logout endpoint with a
// verifier, No changes nothing and says so.
func TestLogoutPage(t *testing.T) {
	e := newEnv(t, "")
	e.cfg.URLs.PostLogoutRedirect = "https://rp.example/bye"
	b := e.browser()
	page := b.get(LogoutPath + "?logout_challenge=" + e.logoutChallenge(t, "http://127.0.0.1:5555/logged-out"))
	body := page.Body.String()
	for _, want := range []string{"Sign out of Signet?", "signed in as <strong>alice</strong>", `id="accept"`, `id="reject"`, "Development only"} {
		if !strings.Contains(body, want) {
			t.Errorf("the logout page lacks %q", want)
		}
	}
	// The sign-out ends at the client's post-logout URI or
	// urls.post_logout_redirect; both must pass form-action.
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:5555 https://rp.example") {
		t.Errorf("policy %q", csp)
	}
	form := formOf(t, page)

	w := b.post(LogoutPath, with(form, "action", "reject"))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "You are still signed in") || !strings.Contains(w.Body.String(), `id="message"`) {
		t.Errorf("No: %d\n%s", w.Code, w.Body.String())
	}

	w = b.post(LogoutPath, with(form, "action", "accept"))
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, logoutURL+"?") {
		t.Fatalf("Yes: %d to %q, want the logout endpoint", w.Code, loc)
	}
	u, _ := url.Parse(loc)
	l, err := e.sealer.OpenLogout(u.Query().Get("logout_verifier"), flow.PurposeLogoutVerifier)
	if err != nil || l.SessionID != "session-1" {
		t.Errorf("the redirect carries no logout verifier for the session: %v %+v", err, l)
	}
}
