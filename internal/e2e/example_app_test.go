package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// The example login, consent and logout app (examples/loginconsent) is
// documentation that runs: these tests build it with the go command, start
// it as its own process against a real Signet, and sign in through its
// HTML forms the way a browser does (a cookie jar, forms parsed from the
// pages), with x/oauth2 and go-oidc as the relying party.

// exampleEnv is a running Signet, the example app wired to it, and a
// go-oidc's view of Signet.
type exampleEnv struct {
	srv      *signettest.Server
	appURL   string
	provider *oidc.Provider
}

const exampleCallback = "http://127.0.0.1:5555/callback"

// TestExampleApp signs in, refuses, remembers and logs out through the
// example app's pages.
func TestExampleApp(t *testing.T) {
	t.Parallel()
	e := startExample(t)
	t.Run("sign-in", e.testSignIn)
	t.Run("wrong password", e.testWrongPassword)
	t.Run("deny", e.testDeny)
	t.Run("remembered", e.testRemembered)
	t.Run("logout", e.testLogout)
	t.Run("bad input", e.testBadInput)
}

// testSignIn: the ID token is verified by go-oidc and carries the claims
// the example passes in session.id_token, exactly for the scopes the user
// left ticked; a scope the client did not request is never granted.
func (e *exampleEnv) testSignIn(t *testing.T) {
	for _, tc := range []struct {
		name       string
		scopes     []string // the ticked boxes, plus anything forged into the form
		wantScopes []string
		wantName   bool
	}{
		{"all scopes", nil, []string{"openid", "offline_access", "email", "profile"}, true},
		{"profile unticked, unrequested scope forged", []string{"openid", "email", "offline_access", "admin"},
			[]string{"openid", "email", "offline_access"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rp := e.newClient(t)
			b := newBrowser(t, exampleCallback)
			verifier := oauth2.GenerateVerifier()
			authURL := rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier),
				oauth2.SetAuthURLParam("nonce", "nonce-0123456789"))
			q := e.signIn(t, b, authURL, false, func(v url.Values) {
				if tc.scopes != nil {
					v["grant_scope"] = tc.scopes
				}
			})
			if q.Get("code") == "" || q.Get("state") != "state-0123456789" {
				t.Fatalf("callback %v: want a code and the state", q)
			}
			tok, err := rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchanging the code: %v", err)
			}
			if got := strings.Fields(tok.Extra("scope").(string)); !sameSet(got, tc.wantScopes) {
				t.Errorf("granted scope %v, want %v", got, tc.wantScopes)
			}
			claims := e.verifyIDToken(t, rp, tok)
			if claims.Subject != "u-1001" || claims.Nonce != "nonce-0123456789" || claims.Email != "alice@example.com" || !claims.EmailVerified {
				t.Errorf("ID token claims %+v: want alice's subject, the nonce and her verified e-mail", claims)
			}
			if !slices.Equal(claims.AMR, []string{"pwd"}) {
				t.Errorf("ID token amr %v, want [pwd] as the example accepted the login", claims.AMR)
			}
			named := claims.Name == "Alice Liddell" && claims.PreferredUsername == "alice"
			unnamed := claims.Name == "" && claims.PreferredUsername == ""
			if tc.wantName && !named || !tc.wantName && !unnamed {
				t.Errorf("ID token name %q preferred_username %q; want them only with the profile scope", claims.Name, claims.PreferredUsername)
			}
			info, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != "u-1001" || info.Email != "alice@example.com" {
				t.Errorf("userinfo %+v (%v): want the consent's claims", info, err)
			}
		})
	}
}

// testWrongPassword: the login form comes back with a message and the
// user name kept; nothing is sent to the client.
func (e *exampleEnv) testWrongPassword(t *testing.T) {
	t.Parallel()
	rp := e.newClient(t)
	b := newBrowser(t, exampleCallback)
	p := e.get(t, b, rp.AuthCodeURL("state-0123456789"))
	e.assertPage(t, p, http.StatusOK, "/login", "login-form")
	p = e.submit(t, b, p, "login-form", func(v url.Values) {
		v.Set("username", "alice")
		v.Set("password", "not-her-password")
		v.Set("action", "accept")
	})
	e.assertPage(t, p, http.StatusOK, "/login", "login-form", `id="login-error"`, "wrong", `value="alice"`)
}

// testDeny: cancelling at the login or consent page sends the client
// access_denied with its state.
func (e *exampleEnv) testDeny(t *testing.T) {
	for _, tc := range []struct {
		name        string
		denyAtLogin bool
	}{{"at login", true}, {"at consent", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rp := e.newClient(t)
			b := newBrowser(t, exampleCallback)
			p := e.get(t, b, rp.AuthCodeURL("state-0123456789"))
			e.assertPage(t, p, http.StatusOK, "/login", "login-form")
			if !tc.denyAtLogin {
				p = e.submit(t, b, p, "login-form", alice(false))
				e.assertPage(t, p, http.StatusOK, "/consent", "consent-form")
			}
			form := "consent-form"
			if tc.denyAtLogin {
				form = "login-form"
			}
			p = e.submit(t, b, p, form, func(v url.Values) { v.Set("action", "deny") })
			q := callbackQuery(t, p)
			if q.Get("error") != "access_denied" || q.Get("state") != "state-0123456789" || q.Get("code") != "" {
				t.Errorf("callback %v: want access_denied with the state and no code", q)
			}
		})
	}
}

// testRemembered: after a remembered login and consent, the next sign-in
// in the same browser passes both pages without showing them (skip), and
// the ID token still carries the claims.
func (e *exampleEnv) testRemembered(t *testing.T) {
	t.Parallel()
	rp := e.newClient(t)
	b := newBrowser(t, exampleCallback)
	e.signIn(t, b, rp.AuthCodeURL("state-0123456789"), true, nil)

	verifier := oauth2.GenerateVerifier()
	p := e.get(t, b, rp.AuthCodeURL("state-second", oauth2.S256ChallengeOption(verifier)))
	q := callbackQuery(t, p)
	tok, err := rp.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the code of the skipped flow: %v", err)
	}
	if c := e.verifyIDToken(t, rp, tok); c.Subject != "u-1001" || c.Email != "alice@example.com" {
		t.Errorf("ID token of the skipped flow: %+v; want alice with her e-mail", c)
	}
}

// testLogout: the example asks before signing out; accepting ends the
// session and lands on the post-logout URI with the state, refusing keeps
// it.
func (e *exampleEnv) testLogout(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   func(t *testing.T, p examplePage)
		// afterwards, prompt=none answers this error ("" is a code)
		wantPromptNone string
	}{
		{"accept", func(t *testing.T, p examplePage) {
			if p.Status != http.StatusFound || p.Location != loggedOut+"?state=bye-0123" {
				t.Errorf("logout ended with %d at %s (Location %q); want %s with the state", p.Status, p.At, p.Location, loggedOut)
			}
		}, "login_required"},
		{"deny", func(t *testing.T, p examplePage) {
			e.assertPage(t, p, http.StatusOK, "/logout", "You are still signed in")
		}, ""},
	} {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			rp := e.newClient(t)
			b := newBrowser(t, exampleCallback)
			verifier := oauth2.GenerateVerifier()
			q := e.signIn(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)), true, nil)
			tok, err := rp.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchanging the code: %v", err)
			}
			hint, _ := tok.Extra("id_token").(string)

			lb := newBrowser(t, loggedOut)
			lb.Jar = b.Jar
			p := e.get(t, lb, logoutURL(e.srv, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOut}, "state": {"bye-0123"}}))
			e.assertPage(t, p, http.StatusOK, "/logout", "logout-form", `id="accept"`, `id="deny"`, "Alice Liddell")
			tc.want(t, e.submit(t, lb, p, "logout-form", func(v url.Values) { v.Set("action", tc.action) }))

			after := callbackQuery(t, e.get(t, b, rp.AuthCodeURL("state-0123456789", oauth2.SetAuthURLParam("prompt", "none"))))
			if after.Get("error") != tc.wantPromptNone || (tc.wantPromptNone == "" && after.Get("code") == "") {
				t.Errorf("prompt=none after logout %s: %v; want error %q", tc.action, after, tc.wantPromptNone)
			}
		})
	}
}

// testBadInput: each kind of malformed or forged request gets a page in
// words with a 4xx status, and never a redirect.
func (e *exampleEnv) testBadInput(t *testing.T) {
	t.Parallel()
	rp := e.newClient(t)
	b := newBrowser(t, exampleCallback)
	login := e.get(t, b, rp.AuthCodeURL("state-0123456789"))
	e.assertPage(t, login, http.StatusOK, "/login", "login-form")
	form := e.findForm(t, login, "login-form")
	valid := func(edit func(url.Values)) string {
		v := url.Values{}
		for k, vs := range form.Fields {
			v[k] = slices.Clone(vs)
		}
		v.Set("username", "alice")
		v.Set("password", "wonderland")
		v.Set("action", "accept")
		if edit != nil {
			edit(v)
		}
		return v.Encode()
	}
	noCookies := newBrowser(t, exampleCallback)
	for _, tc := range []struct {
		name        string
		browser     *http.Client
		method      string
		path        string
		contentType string
		body        string
		status      int
		want        []string
	}{
		{"no challenge", b, "GET", "/login", "", "", 400, []string{"login_challenge"}},
		{"repeated challenge", b, "GET", "/login?login_challenge=a&login_challenge=b", "", "", 400, []string{"more than one"}},
		{"unknown login challenge", b, "GET", "/login?login_challenge=forged", "", "", 400, []string{"no longer valid", `id="request-id"`}},
		{"unknown consent challenge", b, "GET", "/consent?consent_challenge=forged", "", "", 400, []string{"no longer valid", `id="request-id"`}},
		{"unknown logout challenge", b, "GET", "/logout?logout_challenge=forged", "", "", 400, []string{"no longer valid", `id="request-id"`}},
		{"oversized challenge", b, "GET", "/login?login_challenge=" + strings.Repeat("a", 9000), "", "", 400, []string{"too long"}},
		{"no CSRF cookie", noCookies, "POST", "/login", "application/x-www-form-urlencoded", valid(nil), 403, []string{"not sent from this site"}},
		{"wrong CSRF token", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Set("csrf_token", "forged") }), 403, []string{"not sent from this site"}},
		{"no CSRF token", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Del("csrf_token") }), 403, []string{"not sent from this site"}},
		{"JSON body", b, "POST", "/login", "application/json", `{"username":"alice"}`, 400, []string{"not sent the way a browser"}},
		{"repeated field", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Add("username", "bob") }), 400, []string{"more than once"}},
		{"oversized field", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Set("password", strings.Repeat("p", 300)) }), 400, []string{"too long"}},
		{"oversized body", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Set("pad", strings.Repeat("p", 20<<10)) }), 400, []string{"could not be read"}},
		{"no action", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Del("action") }), 400, []string{"did not say"}},
		{"forged challenge in the form", b, "POST", "/login", "application/x-www-form-urlencoded",
			valid(func(v url.Values) { v.Set("challenge", "forged") }), 400, []string{"no longer valid", `id="request-id"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.appURL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			p := e.do(t, tc.browser, req)
			e.assertPage(t, p, tc.status, strings.SplitN(tc.path, "?", 2)[0], tc.want...)
		})
	}
}

// startExample builds and starts the example app and a Signet whose login,
// consent and logout URLs point at it.
func startExample(t *testing.T) *exampleEnv {
	t.Helper()
	bin := buildExample(t)
	// Signet must know the app's URL before it starts, and the app needs
	// Signet's admin URL, so the app's port is chosen here and left free
	// for the app to bind a moment later.
	port := freePort(t)
	appURL := "http://127.0.0.1:" + port
	srv := signettest.Start(t, signettest.WithEnv(
		"URLS_LOGIN="+appURL+"/login", "URLS_CONSENT="+appURL+"/consent", "URLS_LOGOUT="+appURL+"/logout"))
	runExample(t, bin, port, srv.AdminURL)
	provider, err := oidc.NewProvider(context.Background(), srv.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	return &exampleEnv{srv: srv, appURL: appURL, provider: provider}
}

// newClient registers a relying party for one test. Remembered consent
// belongs to a user and a client, so tests that share the demo user must
// not share a client.
func (e *exampleEnv) newClient(t *testing.T) *oauth2.Config {
	t.Helper()
	rp := newRP(t, e.srv, []string{exampleCallback}, func(c *hydra.OAuth2Client) {
		c.SetClientName("Example Relying Party")
		c.SetScope("openid offline_access email profile")
		c.SetPostLogoutRedirectUris([]string{loggedOut})
	})
	rp.Scopes = []string{"openid", "offline_access", "email", "profile"}
	return rp
}

// buildExample compiles examples/loginconsent, a module of its own, with
// the go command; the test cannot run without it.
func buildExample(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("skipping: the example app is built with the go command, which is not on PATH")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "loginconsent"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "loginconsent")
	cmd := exec.CommandContext(t.Context(), goCmd, "build", "-o", bin, ".")
	cmd.Dir = dir
	// The example is a standalone module: no workspace may pull it into
	// this one.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
	return bin
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// runExample starts the binary and returns once its readiness probe (which
// asks Signet's admin API) answers 200. The process is killed when the
// test ends; its log is printed with the test's.
func runExample(t *testing.T, bin, port, adminURL string) {
	t.Helper()
	var out lockedBuffer
	cmd := exec.Command(bin)
	cmd.Env = []string{"HOST=127.0.0.1", "PORT=" + port, "SIGNET_ADMIN_URL=" + adminURL}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the example app: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		t.Logf("example app output:\n%s", out.String())
	})

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pause := 5 * time.Millisecond
	for {
		status, err := probe(ctx, "http://127.0.0.1:"+port+"/health/ready")
		switch {
		case err == nil && status == http.StatusOK:
			return
		case err != nil && !errors.Is(err, syscall.ECONNREFUSED):
			t.Fatalf("readiness probe: %v\n%s", err, out.String())
		}
		// Not listening yet (connection refused) or not ready (503): try
		// again shortly, unless the process died or time ran out.
		select {
		case <-exited:
			t.Fatalf("the example app exited before it was ready (%v):\n%s", waitErr, out.String())
		case <-ctx.Done():
			t.Fatalf("the example app was not ready within 30s (last status %d, %v):\n%s", status, err, out.String())
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

func probe(ctx context.Context, target string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// lockedBuffer collects the process's output, written by exec's copying
// goroutines and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// alice fills in the login form with the demo user's credentials.
func alice(remember bool) func(url.Values) {
	return func(v url.Values) {
		v.Set("username", "alice")
		v.Set("password", "wonderland")
		v.Set("action", "accept")
		if remember {
			v.Set("remember", "on")
		}
	}
}

// signIn runs browser b from authURL through the example's login and
// consent pages (editConsent may change the consent form) and returns the
// callback's query.
func (e *exampleEnv) signIn(t *testing.T, b *http.Client, authURL string, remember bool, editConsent func(url.Values)) url.Values {
	t.Helper()
	p := e.get(t, b, authURL)
	e.assertPage(t, p, http.StatusOK, "/login", "login-form",
		`id="username"`, `id="password"`, `id="remember"`, `id="accept"`, `id="deny"`, "Example Relying Party")
	p = e.submit(t, b, p, "login-form", alice(remember))
	e.assertPage(t, p, http.StatusOK, "/consent", "consent-form",
		`id="scope-openid"`, `id="scope-email"`, `id="remember"`, `id="accept"`, `id="deny"`)
	p = e.submit(t, b, p, "consent-form", func(v url.Values) {
		v.Set("action", "accept")
		if remember {
			v.Set("remember", "on")
		}
		if editConsent != nil {
			editConsent(v)
		}
	})
	return callbackQuery(t, p)
}

// examplePage is where a browser stopped: a page, or a redirect to the
// relying party that the browser did not follow.
type examplePage struct {
	page
	Header http.Header
}

func (e *exampleEnv) get(t *testing.T, b *http.Client, target string) examplePage {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, b, req)
}

func (e *exampleEnv) do(t *testing.T, b *http.Client, req *http.Request) examplePage {
	t.Helper()
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("browser: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return examplePage{page: page{Status: resp.StatusCode, Type: resp.Header.Get("Content-Type"), Body: string(body),
		At: resp.Request.URL, Location: resp.Header.Get("Location")}, Header: resp.Header}
}

// callbackQuery is the query of the redirect to the relying party at which
// the browser stopped.
func callbackQuery(t *testing.T, p examplePage) url.Values {
	t.Helper()
	loc, err := url.Parse(p.Location)
	if p.Status != http.StatusFound || err != nil || !strings.HasPrefix(p.Location, exampleCallback) {
		t.Fatalf("the browser stopped at %s with %d (Location %q), not at the callback:\n%s", p.At, p.Status, p.Location, p.Body)
	}
	return loc.Query()
}

// assertPage checks that the browser shows the example's page at path
// with status and the wanted fragments, as an accessible page under a
// strict Content-Security-Policy.
func (e *exampleEnv) assertPage(t *testing.T, p examplePage, status int, path string, wants ...string) {
	t.Helper()
	if p.Status != status || p.At.String() != e.appURL+path && !strings.HasPrefix(p.At.String(), e.appURL+path+"?") {
		t.Fatalf("got %d at %s (Location %q), want %d at the example's %s:\n%s", p.Status, p.At, p.Location, status, path, p.Body)
	}
	if !strings.HasPrefix(p.Type, "text/html") || p.Location != "" {
		t.Errorf("content type %q, Location %q: want an HTML page", p.Type, p.Location)
	}
	csp := p.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q: want nothing loaded, no script, no framing", csp)
	}
	// A browser applies the inline stylesheet only if the policy names
	// its exact hash.
	if m := styleTag.FindStringSubmatch(p.Body); m == nil {
		t.Errorf("the page at %s has no <style> element", p.At)
	} else if sum := sha256.Sum256([]byte(m[1])); !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("Content-Security-Policy %q does not allow the page's stylesheet by its hash", csp)
	}
	for _, want := range append([]string{`<html lang="en">`, `name="viewport"`, "<h1>"}, wants...) {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the page at %s lacks %q:\n%s", p.At, want, p.Body)
		}
	}
	if strings.Contains(strings.ToLower(p.Body), "<script") {
		t.Errorf("the page at %s has a script", p.At)
	}
}

// htmlForm is a form as a browser would submit it: its hidden fields and
// ticked boxes (the test fills in the rest and picks the button).
type htmlForm struct {
	Action *url.URL
	Fields url.Values
}

var (
	formTag  = regexp.MustCompile(`(?s)<form id="([^"]*)" method="post" action="([^"]*)">(.*?)</form>`)
	inputTag = regexp.MustCompile(`<input ([^>]*)>`)
	attrs    = regexp.MustCompile(`([a-z_-]+)(?:="([^"]*)")?`)
	styleTag = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

// findForm parses the form with id from p. html/template always quotes
// attributes with double quotes, which is all these patterns rely on.
func (e *exampleEnv) findForm(t *testing.T, p examplePage, id string) htmlForm {
	t.Helper()
	for _, m := range formTag.FindAllStringSubmatch(p.Body, -1) {
		if m[1] != id {
			continue
		}
		action, err := p.At.Parse(html.UnescapeString(m[2]))
		if err != nil {
			t.Fatalf("form %s: action %q: %v", id, m[2], err)
		}
		f := htmlForm{Action: action, Fields: url.Values{}}
		for _, input := range inputTag.FindAllStringSubmatch(m[3], -1) {
			a := map[string]string{}
			for _, kv := range attrs.FindAllStringSubmatch(input[1], -1) {
				a[kv[1]] = html.UnescapeString(kv[2])
			}
			_, checked := a["checked"]
			switch {
			case a["type"] == "hidden":
				f.Fields.Add(a["name"], a["value"])
			case a["type"] == "checkbox" && checked:
				f.Fields.Add(a["name"], a["value"])
			}
		}
		return f
	}
	t.Fatalf("no form %q at %s:\n%s", id, p.At, p.Body)
	return htmlForm{}
}

// submit posts form id of p, as changed by edit, the way a browser does.
func (e *exampleEnv) submit(t *testing.T, b *http.Client, p examplePage, id string, edit func(url.Values)) examplePage {
	t.Helper()
	f := e.findForm(t, p, id)
	edit(f.Fields)
	req, err := http.NewRequest(http.MethodPost, f.Action.String(), strings.NewReader(f.Fields.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(t, b, req)
}

// idClaims are the ID token claims these tests look at.
type idClaims struct {
	Subject           string   `json:"sub"`
	Nonce             string   `json:"nonce"`
	AMR               []string `json:"amr"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
}

// verifyIDToken checks tok's ID token with go-oidc and returns its claims.
func (e *exampleEnv) verifyIDToken(t *testing.T, rp *oauth2.Config, tok *oauth2.Token) idClaims {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := e.provider.Verifier(&oidc.Config{ClientID: rp.ClientID}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("go-oidc refuses the ID token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatalf("ID token claims: %v", err)
	}
	return c
}

// sameSet reports whether a and b hold the same strings in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
