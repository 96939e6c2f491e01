package authorize

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/token"
)

func TestAuthorizeHappyPath(t *testing.T) {
	e := newAZEnv(t)
	b := newAZBrowser()
	challenge := b.toLogin(e, azQuery())
	if e.db.writes() != 0 {
		t.Fatalf("starting a flow wrote %d times, want 0", e.db.writes())
	}
	consent := b.toConsent(e, challenge, flow.AcceptLoginBody{Subject: "alice", ACR: "1", AMR: []string{"pwd"}})
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid", "offline"},
		GrantAudience: []string{"https://api.example"},
		Session:       &flow.ConsentSessionClaims{IDToken: json.RawMessage(`{"email":"a@example.com"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	u := azLocation(t, b.follow(e, rt.RedirectTo))
	q := u.Query()
	if got := u.Scheme + "://" + u.Host + u.Path; got != azRedirect {
		t.Fatalf("redirected to %s", got)
	}
	if q.Get("state") != azState || q.Get("iss") != azIssuer || q.Get("scope") != "openid offline" || q.Get("code") == "" {
		t.Fatalf("final redirect query %v", q)
	}
	// A non-remembered flow: the login verifier's use, the consent (which
	// also makes the consent verifier single use) and the code.
	if e.db.useVerifier != 1 || e.db.saveConsent != 1 || e.db.createCode != 1 || e.db.writes() != 3 {
		t.Fatalf("writes: verifiers %d consents %d codes %d total %d", e.db.useVerifier, e.db.saveConsent, e.db.createCode, e.db.writes())
	}
	rec := e.db.codes[0]
	digest, err := e.az.CodeFormat.Check(q.Get("code"))
	if err != nil || string(digest) != string(rec.Digest) {
		t.Fatalf("stored digest does not match the code sent: %v", err)
	}
	if rec.ClientID != "app" || rec.RedirectURI != azRedirect || rec.CodeChallengeMethod != "S256" ||
		rec.CodeChallenge != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" || rec.Subject != "alice" ||
		!rec.ExpiresAt.Equal(e.now.Add(10*time.Minute)) {
		t.Fatalf("code record %+v", rec)
	}
	var gs token.GrantSession
	if err := json.Unmarshal(rec.Session, &gs); err != nil {
		t.Fatal(err)
	}
	if gs.Nonce != "nonce-1" || gs.ACR != "1" || gs.IDToken["email"] != "a@example.com" || gs.AuthTime.IsZero() {
		t.Fatalf("grant session %+v", gs)
	}
	cs := e.db.consents[0]
	if cs.ID != rec.RequestID || cs.Subject != "alice" || cs.Remember || !strings.Contains(string(cs.Session), `"id_token"`) {
		t.Fatalf("consent %+v", cs)
	}
	if len(b.jar) != 0 {
		t.Fatalf("CSRF cookies left behind: %v", b.jar)
	}
}

func TestAuthorizeRedirectURIOmittedIsStoredEmpty(t *testing.T) {
	c := azClient()
	c.RedirectURIs = []string{azRedirect}
	e := newAZEnv(t, c)
	b := newAZBrowser()
	consent := b.toConsent(e, b.toLogin(e, azQuery("redirect_uri", "")), flow.AcceptLoginBody{Subject: "alice"})
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	u := azLocation(t, b.follow(e, rt.RedirectTo))
	if !strings.HasPrefix(u.String(), azRedirect+"?") || e.db.codes[0].RedirectURI != "" {
		t.Fatalf("redirect %s, stored redirect_uri %q", u, e.db.codes[0].RedirectURI)
	}
}

func TestAuthorizeErrorsBeforeTrust(t *testing.T) {
	for name, q := range map[string]string{
		"unknown client":     azQuery("client_id", "nobody"),
		"missing client":     azQuery("client_id", ""),
		"bad redirect_uri":   azQuery("redirect_uri", "https://evil.example/cb"),
		"fragment redirect":  azQuery("redirect_uri", azRedirect+"#x"),
		"repeated client_id": azQuery() + "&client_id=app",
	} {
		t.Run(name, func(t *testing.T) {
			e := newAZEnv(t)
			body := azPage(t, newAZBrowser().get(e, q))
			if !strings.Contains(body, "<meta name=\"viewport\"") {
				t.Fatal("page is not mobile ready")
			}
		})
	}
}

func TestAuthorizeErrorURL(t *testing.T) {
	e := newAZEnv(t)
	e.cfg.URLs.Error = "https://errors.example/show"
	u := azLocation(t, newAZBrowser().get(e, azQuery("client_id", "nobody")))
	if u.Host != "errors.example" || u.Query().Get("error") != "invalid_client" || u.Query().Get("error_description") == "" {
		t.Fatalf("error URL %s", u)
	}
}

func TestAuthorizeRedirectableErrorsCarryState(t *testing.T) {
	for name, c := range map[string]struct{ q, code string }{
		"unknown response_type":   {azQuery("response_type", "code foo"), "unsupported_response_type"},
		"scope not allowed":       {azQuery("scope", "openid admin"), "invalid_scope"},
		"no PKCE when public":     {azQuery("code_challenge", "", "code_challenge_method", ""), "invalid_request"},
		"audience not allowed":    {azQuery("audience", "https://other.example"), "invalid_request"},
		"prompt none, no session": {azQuery("prompt", "none"), "login_required"},
	} {
		t.Run(name, func(t *testing.T) {
			cl := azClient()
			cl.TokenEndpointAuthMethod = "none"
			e := newAZEnv(t, cl)
			e.cfg.OAuth2.PKCE.EnforcedForPublicClients = true
			u := azLocation(t, newAZBrowser().get(e, c.q))
			if !strings.HasPrefix(u.String(), azRedirect+"?") || u.Query().Get("error") != c.code || u.Query().Get("state") != azState {
				t.Fatalf("redirect %s, want %s with state", u, c.code)
			}
		})
	}
}

func TestAuthorizeCSRF(t *testing.T) {
	for name, tamper := range map[string]func(b *azBrowser){
		"cookie missing":    func(b *azBrowser) { delete(b.jar, defaultLoginCSRFName) },
		"cookie of another": func(b *azBrowser) { b.jar[defaultLoginCSRFName] = "someone-else" },
		"other browser":     func(b *azBrowser) { b.jar = map[string]string{} },
	} {
		t.Run(name, func(t *testing.T) {
			e := newAZEnv(t)
			e.cfg.Dev = true
			b := newAZBrowser()
			rt, err := e.admin.AcceptLogin(b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			tamper(b)
			body := azPage(t, b.follow(e, rt.RedirectTo))
			for _, want := range []string{"SameSite=None", "127.0.0.1", "blocks cookies", defaultLoginCSRFName} {
				if !strings.Contains(body, want) {
					t.Fatalf("page does not mention %q:\n%s", want, body)
				}
			}
			if e.db.useVerifier != 0 {
				t.Fatal("a verifier from another browser was used up")
			}
		})
	}
}

func TestAuthorizeVerifierReplay(t *testing.T) {
	e := newAZEnv(t)
	b := newAZBrowser()
	rt, err := e.admin.AcceptLogin(b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	jar := map[string]string{}
	for k, v := range b.jar {
		jar[k] = v
	}
	azLocation(t, b.follow(e, rt.RedirectTo))
	b.jar = jar // the same browser, back button
	if body := azPage(t, b.follow(e, rt.RedirectTo)); !strings.Contains(body, "already completed") {
		t.Fatalf("replay page: %s", body)
	}
}

func TestAuthorizeInvalidVerifier(t *testing.T) {
	e := newAZEnv(t)
	azPage(t, newAZBrowser().get(e, "login_verifier=garbage"))
	azPage(t, newAZBrowser().get(e, "consent_verifier=garbage"))
	azPage(t, newAZBrowser().get(e, "login_verifier=a&consent_verifier=b"))
}

func TestAuthorizeRejections(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		e := newAZEnv(t)
		b := newAZBrowser()
		rt, err := e.admin.RejectLogin(b.toLogin(e, azQuery()), flow.RejectBody{Error: "access_denied", Description: "no"})
		if err != nil {
			t.Fatal(err)
		}
		u := azLocation(t, b.follow(e, rt.RedirectTo))
		if u.Query().Get("error") != "access_denied" || u.Query().Get("state") != azState || !strings.HasPrefix(u.String(), azRedirect) {
			t.Fatalf("redirect %s", u)
		}
	})
	t.Run("consent", func(t *testing.T) {
		e := newAZEnv(t)
		b := newAZBrowser()
		consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
		rt, err := e.admin.RejectConsent(consent, flow.RejectBody{Error: "consent_denied"})
		if err != nil {
			t.Fatal(err)
		}
		u := azLocation(t, b.follow(e, rt.RedirectTo))
		if u.Query().Get("error") != "consent_denied" || u.Query().Get("state") != azState || len(e.db.codes) != 0 {
			t.Fatalf("redirect %s, codes %d", u, len(e.db.codes))
		}
	})
}

func TestAuthorizeGrantBeyondClient(t *testing.T) {
	for name, body := range map[string]struct {
		b    flow.AcceptConsentBody
		code string
	}{
		"scope":    {flow.AcceptConsentBody{GrantScope: []string{"openid", "admin"}}, "invalid_scope"},
		"audience": {flow.AcceptConsentBody{GrantScope: []string{"openid"}, GrantAudience: []string{"https://evil.example"}}, "invalid_request"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newAZEnv(t)
			b := newAZBrowser()
			consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice"})
			rt, err := e.admin.AcceptConsent(consent, body.b)
			if err != nil {
				t.Fatal(err)
			}
			u := azLocation(t, b.follow(e, rt.RedirectTo))
			if u.Query().Get("error") != body.code || u.Query().Get("state") != azState || len(e.db.codes) != 0 {
				t.Fatalf("redirect %s", u)
			}
		})
	}
}

// azRemembered completes one flow with remember on both halves and returns
// the browser, which now holds a session cookie.
func azRemembered(t *testing.T, e *azEnv) *azBrowser {
	t.Helper()
	b := newAZBrowser()
	consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice", Remember: true})
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid", "offline"}, Remember: true})
	if err != nil {
		t.Fatal(err)
	}
	azLocation(t, b.follow(e, rt.RedirectTo))
	if _, ok := b.jar[flow.DefaultSessionCookieName]; !ok || e.db.saveLogin != 1 {
		t.Fatalf("no session remembered: %v", b.jar)
	}
	return b
}

func azLoginRequest(t *testing.T, e *azEnv, challenge string) flow.LoginRequestView {
	t.Helper()
	v, err := e.admin.LoginRequest(t.Context(), challenge)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAuthorizeRememberedLogin(t *testing.T) {
	e := newAZEnv(t)
	b := azRemembered(t, e)
	e.now = e.now.Add(time.Minute)
	v := azLoginRequest(t, e, b.toLogin(e, azQuery()))
	if !v.Skip || v.Subject != "alice" || v.SessionID != e.db.consents[0].LoginSessionID {
		t.Fatalf("remembered login not offered as skip: %+v", v)
	}
	for name, q := range map[string]string{
		"prompt=login":     azQuery("prompt", "login"),
		"max_age exceeded": azQuery("max_age", "30"),
	} {
		if v := azLoginRequest(t, e, b.toLogin(e, q)); v.Skip || v.Subject != "" {
			t.Fatalf("%s: login skipped: %+v", name, v)
		}
	}
	if v := azLoginRequest(t, e, b.toLogin(e, azQuery("max_age", "3600"))); !v.Skip {
		t.Fatal("max_age within the session's age forced a login")
	}
	// prompt=none with a remembered login goes on to consent.
	if u := azLocation(t, b.get(e, azQuery("prompt", "none"))); u.Host != "login.example" {
		t.Fatalf("prompt=none with a session: %s", u)
	}
}

func TestAuthorizeEndedSessionIsNotRemembered(t *testing.T) {
	e := newAZEnv(t)
	b := azRemembered(t, e)
	clear(e.db.logins) // an admin ended the session; the browser keeps its cookie
	if v := azLoginRequest(t, e, b.toLogin(e, azQuery())); v.Skip {
		t.Fatal("a session the server ended still skips login")
	}
}

func TestAuthorizeRememberedConsent(t *testing.T) {
	e := newAZEnv(t)
	b := azRemembered(t, e)
	consentOf := func(q string) flow.ConsentRequestView {
		t.Helper()
		c := b.toConsent(e, b.toLogin(e, q), flow.AcceptLoginBody{Subject: "alice"})
		v, err := e.admin.ConsentRequest(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := consentOf(azQuery()); !v.Skip {
		t.Fatal("remembered consent not offered as skip")
	}
	if v := consentOf(azQuery("prompt", "consent")); v.Skip {
		t.Fatal("prompt=consent skipped consent")
	}
	if v := consentOf(azQuery("scope", "openid profile")); v.Skip {
		t.Fatal("consent skipped for a scope never granted")
	}
}

func TestAuthorizePromptNoneNeedsConsent(t *testing.T) {
	e := newAZEnv(t)
	b := newAZBrowser()
	// Remember the login only.
	consent := b.toConsent(e, b.toLogin(e, azQuery()), flow.AcceptLoginBody{Subject: "alice", Remember: true})
	rt, _ := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
	azLocation(t, b.follow(e, rt.RedirectTo))
	rt2, err := e.admin.AcceptLogin(b.toLogin(e, azQuery("prompt", "none")), flow.AcceptLoginBody{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	u := azLocation(t, b.follow(e, rt2.RedirectTo))
	if u.Query().Get("error") != "consent_required" || u.Query().Get("state") != azState {
		t.Fatalf("redirect %s", u)
	}
}

func TestAuthorizeUnconfiguredLoginURL(t *testing.T) {
	e := newAZEnv(t)
	e.cfg.URLs.Login = ""
	w := newAZBrowser().get(e, azQuery())
	if body := azPage(t, w); w.Code != http.StatusInternalServerError || !strings.Contains(body, "URLS_LOGIN") {
		t.Fatalf("status %d body %s", w.Code, body)
	}
}

func TestAuthorizePOST(t *testing.T) {
	e := newAZEnv(t)
	r := httptest.NewRequest(http.MethodPost, "/oauth2/auth", strings.NewReader(azQuery()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if u := azLocation(t, newAZBrowser().do(e, r)); u.Query().Get("login_challenge") == "" {
		t.Fatalf("POST not handled: %s", u)
	}
}

func TestAuthorizeErrorPageEscapes(t *testing.T) {
	e := newAZEnv(t)
	body := azPage(t, newAZBrowser().get(e, azQuery("redirect_uri", "https://x.example/<script>alert(1)</script>")))
	if strings.Contains(body, "<script>") {
		t.Fatalf("unescaped input on the page: %s", body)
	}
}
