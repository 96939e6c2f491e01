package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
)

// flowEnv is a flowSetup whose server was started with extra options, plus
// the login app's address so a browser can be stopped in front of it.
type flowEnv struct {
	*flowSetup
	clk    *clock
	appURL string
}

// startFlowEnv is startFlow with a controllable clock and more options.
func startFlowEnv(t *testing.T, opts ...signettest.Option) *flowEnv {
	t.Helper()
	clk := newClock()
	la := &loginApp{subject: "alice"}
	appSrv := httptest.NewServer(nil)
	t.Cleanup(appSrv.Close)
	opts = append([]signettest.Option{
		signettest.WithEnv("URLS_LOGIN="+appSrv.URL+"/login", "URLS_CONSENT="+appSrv.URL+"/consent"),
		signettest.WithAppOptions(app.WithClock(clk.Now)),
	}, opts...)
	srv := signettest.Start(t, opts...)
	la.srv = srv
	appSrv.Config.Handler = la.handler(t)
	callback := "http://127.0.0.1:5555/callback"
	rp := newRP(t, srv, []string{callback}, nil)
	return &flowEnv{flowSetup: &flowSetup{srv: srv, app: la, rp: rp, callback: callback}, clk: clk, appURL: appSrv.URL}
}

// newRP registers a relying party (confidential unless edit says otherwise)
// and returns its x/oauth2 view, redirecting to the first URI.
func newRP(t *testing.T, srv *signettest.Server, redirects []string, edit func(c *hydra.OAuth2Client)) *oauth2.Config {
	t.Helper()
	c := hydra.NewOAuth2Client()
	c.SetRedirectUris(redirects)
	c.SetGrantTypes([]string{"authorization_code", "refresh_token"})
	c.SetResponseTypes([]string{"code"})
	c.SetScope("openid offline_access email")
	c.SetClientSecret("rp-secret-0123456789")
	if edit != nil {
		edit(c)
	}
	created, _, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err != nil {
		t.Fatalf("creating a relying party: %v", sdkErr(err))
	}
	return &oauth2.Config{
		ClientID:     created.GetClientId(),
		ClientSecret: c.GetClientSecret(),
		RedirectURL:  redirects[0],
		Scopes:       []string{"openid", "offline_access", "email"},
		Endpoint: oauth2.Endpoint{
			AuthURL:  srv.PublicURL + "/oauth2/auth",
			TokenURL: srv.PublicURL + "/oauth2/token",
			// Fixed, so a refused request's error is the server's first
			// answer, not that of x/oauth2's retry with the other style.
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

// page is where a browser ended up when it did not reach the callback.
type page struct {
	Status   int
	Type     string
	Body     string
	At       *url.URL
	Location string
}

// visit lets b follow redirects from target and returns the last response.
func visit(t *testing.T, b *http.Client, target string, header http.Header) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{Status: resp.StatusCode, Type: resp.Header.Get("Content-Type"), Body: string(body),
		At: resp.Request.URL, Location: resp.Header.Get("Location")}
}

// assertErrorPage checks that the browser stopped on Signet's HTML error
// page: a 400, never a redirect anywhere.
func assertErrorPage(t *testing.T, p page, srv *signettest.Server, wants ...string) {
	t.Helper()
	if p.Status != http.StatusBadRequest || !strings.HasPrefix(p.Type, "text/html") || p.Location != "" {
		t.Fatalf("got %d %q at %s (Location %q); want the 400 HTML error page", p.Status, p.Type, p.At, p.Location)
	}
	if !strings.HasPrefix(p.At.String(), srv.PublicURL+"/oauth2/auth") {
		t.Errorf("the error was shown at %s, not by the authorization endpoint", p.At)
	}
	for _, w := range wants {
		if !strings.Contains(p.Body, w) {
			t.Errorf("error page lacks %q:\n%s", w, p.Body)
		}
	}
}

// challengeAt runs a fresh browser from authURL to the login app's door
// and returns the browser and the login_challenge it carries.
func (e *flowEnv) challengeAt(t *testing.T, authURL string) (*http.Client, string) {
	t.Helper()
	b := newBrowser(t, e.appURL+"/login")
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("the browser was not sent to the login app: %d %v", resp.StatusCode, err)
	}
	ch := loc.Query().Get("login_challenge")
	if ch == "" {
		t.Fatalf("no login_challenge in %s", loc)
	}
	return b, ch
}

// untilCallback is b's cookie jar in a browser that stops at the callback.
func (e *flowEnv) untilCallback(t *testing.T, b *http.Client) *http.Client {
	nb := newBrowser(t, e.callback)
	nb.Jar = b.Jar
	return nb
}

func (e *flowEnv) acceptLogin(t *testing.T, challenge string) string {
	t.Helper()
	to, _, err := e.srv.Admin.OAuth2API.AcceptOAuth2LoginRequest(context.Background()).LoginChallenge(challenge).
		AcceptOAuth2LoginRequest(*hydra.NewAcceptOAuth2LoginRequest("alice")).Execute()
	if err != nil {
		t.Fatalf("AcceptOAuth2LoginRequest: %v", sdkErr(err))
	}
	return to.RedirectTo
}

// TestPromptLoginAndMaxAge: a relying party that asks for a fresh login
// (prompt=login, or max_age shorter than the session's age) gets one even
// though the browser has a remembered session; otherwise login is skipped.
func TestPromptLoginAndMaxAge(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	e.app.remember = true
	b := newBrowser(t, e.callback)
	run := func(extra ...oauth2.AuthCodeOption) url.Values {
		t.Helper()
		v := oauth2.GenerateVerifier()
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v)}, extra...)
		q := authorize(t, b, e.rp.AuthCodeURL("state-0123456789", opts...))
		if q.Get("code") == "" {
			t.Fatalf("no code: %v", q)
		}
		return q
	}
	run()
	steps := []struct {
		name     string
		advance  time.Duration
		opts     []oauth2.AuthCodeOption
		wantSkip bool
	}{
		{"remembered session", 0, nil, true},
		{"prompt=login", 0, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login")}, false},
		{"max_age larger than the session's age", 30 * time.Second, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "60")}, true},
		{"max_age smaller than the session's age", 2 * time.Minute, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "60")}, false},
		{"max_age=0 in the same second as the last login", 0, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "0")}, false},
	}
	for _, s := range steps {
		e.clk.Advance(s.advance)
		run(s.opts...)
		if e.app.sawLoginSkip != s.wantSkip {
			t.Errorf("%s: the login app saw skip=%v, want %v", s.name, e.app.sawLoginSkip, s.wantSkip)
		}
	}
}

// TestExpiredChallenge: once ttl.login_consent_request has passed, the
// login app cannot read or accept the challenge, and a verifier handed out
// in time but brought back late does not reach the client.
func TestExpiredChallenge(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t, signettest.WithEnv("TTL_LOGIN_CONSENT_REQUEST=10m"))
	ctx := context.Background()
	authURL := e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))

	_, late := e.challengeAt(t, authURL)
	e.clk.Advance(10*time.Minute + time.Second)
	if _, resp, err := e.srv.Admin.OAuth2API.GetOAuth2LoginRequest(ctx).LoginChallenge(late).Execute(); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GetOAuth2LoginRequest of an expired challenge: %v, want 404", err)
	}
	_, resp, err := e.srv.Admin.OAuth2API.AcceptOAuth2LoginRequest(ctx).LoginChallenge(late).
		AcceptOAuth2LoginRequest(*hydra.NewAcceptOAuth2LoginRequest("alice")).Execute()
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("AcceptOAuth2LoginRequest of an expired challenge: %v, want 404", err)
	}

	b, ch := e.challengeAt(t, authURL)
	redirectTo := e.acceptLogin(t, ch)
	e.clk.Advance(10*time.Minute + time.Second)
	p := visit(t, e.untilCallback(t, b), redirectTo, nil)
	assertErrorPage(t, p, e.srv, "expired")
}

// TestVerifierReplay: a login verifier works only in the browser that
// started the flow, and only once. Another browser gets the page naming
// the likely cookie problems; a double submit gets "already completed".
func TestVerifierReplay(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	authURL := e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	b, ch := e.challengeAt(t, authURL)
	redirectTo := e.acceptLogin(t, ch)

	// An attacker who captured the verifier replays it in their browser.
	other := visit(t, e.untilCallback(t, newBrowser(t, e.callback)), redirectTo, nil)
	assertErrorPage(t, other, e.srv, "Likely causes", "SameSite=None", "127.0.0.1", "request_forbidden")

	// The double submit: both requests carry the cookie the first one has.
	sig, _ := url.Parse(e.srv.PublicURL)
	var cookie []string
	for _, c := range b.Jar.Cookies(sig) {
		cookie = append(cookie, c.Name+"="+c.Value)
	}
	q := authorize(t, e.untilCallback(t, b), redirectTo)
	if q.Get("code") == "" || q.Get("state") != "state-0123456789" {
		t.Fatalf("the browser that started the flow did not finish it: %v", q)
	}
	again := visit(t, newBrowser(t, e.callback), redirectTo, http.Header{"Cookie": {strings.Join(cookie, "; ")}})
	assertErrorPage(t, again, e.srv, "already completed")

	// A plain replay in the same browser after completion never reaches the
	// client either (its CSRF cookie was cleared on first use).
	p := visit(t, e.untilCallback(t, b), redirectTo, nil)
	if p.Status != http.StatusBadRequest || p.Location != "" {
		t.Errorf("replay in the same browser: %d at %s (Location %q), want the error page", p.Status, p.At, p.Location)
	}
}

// TestLoginSessionRevocation: after the admin API ends a subject's login
// sessions, the browser's remembered session no longer signs them in.
func TestLoginSessionRevocation(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	e.app.remember = true
	b := newBrowser(t, e.callback)
	v := oauth2.GenerateVerifier()
	authorize(t, b, e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v)))
	none := e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none"))
	if q := authorize(t, b, none); q.Get("code") == "" {
		t.Fatalf("prompt=none with a remembered session and consent: %v", q)
	}
	if _, err := e.srv.Admin.OAuth2API.RevokeOAuth2LoginSessions(context.Background()).Subject("alice").Execute(); err != nil {
		t.Fatalf("RevokeOAuth2LoginSessions: %v", sdkErr(err))
	}
	q := authorize(t, b, none)
	if q.Get("error") != "login_required" || q.Get("state") != "state-0123456789" {
		t.Errorf("prompt=none after the login session was revoked: %v, want login_required with the state", q)
	}
}
