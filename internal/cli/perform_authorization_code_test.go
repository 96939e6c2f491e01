package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// These tests run `perform authorization-code` against a real Signet and
// play the browser: they read the authorization URL from the command's
// stderr, follow it through a login and consent app written against the
// admin API, and land on the command's callback.

// loginConsent accepts every login as subject (or rejects it) and grants
// every requested scope, adding an email claim to the ID token.
type loginConsent struct {
	srv         *signettest.Server
	subject     string
	rejectLogin atomic.Bool
}

func (a *loginConsent) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, what string, err error) {
		var oe *hydra.GenericOpenAPIError
		if errors.As(err, &oe) {
			err = fmt.Errorf("%w: %s", err, oe.Body())
		}
		t.Errorf("login app: %s: %v", what, err)
		http.Error(w, what, http.StatusBadGateway)
	}
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		challenge, api := r.URL.Query().Get("login_challenge"), a.srv.Admin.OAuth2API
		var to *hydra.OAuth2RedirectTo
		var err error
		if a.rejectLogin.Load() {
			to, _, err = api.RejectOAuth2LoginRequest(r.Context()).LoginChallenge(challenge).
				RejectOAuth2Request(hydra.RejectOAuth2Request{Error: ptrTo("access_denied"), ErrorDescription: ptrTo("The user said no.")}).Execute()
		} else {
			to, _, err = api.AcceptOAuth2LoginRequest(r.Context()).LoginChallenge(challenge).
				AcceptOAuth2LoginRequest(*hydra.NewAcceptOAuth2LoginRequest(a.subject)).Execute()
		}
		if err != nil {
			fail(w, "deciding the login", err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		challenge, api := r.URL.Query().Get("consent_challenge"), a.srv.Admin.OAuth2API
		req, _, err := api.GetOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).Execute()
		if err != nil {
			fail(w, "reading the consent request", err)
			return
		}
		body := hydra.NewAcceptOAuth2ConsentRequest()
		body.SetGrantScope(req.RequestedScope)
		body.SetGrantAccessTokenAudience(req.RequestedAccessTokenAudience)
		body.SetSession(hydra.AcceptOAuth2ConsentRequestSession{IdToken: map[string]any{"email": a.subject + "@example.com"}})
		to, _, err := api.AcceptOAuth2ConsentRequest(r.Context()).ConsentChallenge(challenge).AcceptOAuth2ConsentRequest(*body).Execute()
		if err != nil {
			fail(w, "accepting the consent", err)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	return mux
}

func ptrTo[T any](v T) *T { return &v }

// startSignetWithLogin runs Signet with a login and consent app.
func startSignetWithLogin(t *testing.T) (*signettest.Server, *loginConsent) {
	t.Helper()
	app := &loginConsent{subject: "alice"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + l.Addr().String()
	srv := signettest.Start(t, signettest.WithEnv("URLS_LOGIN="+appURL+"/login", "URLS_CONSENT="+appURL+"/consent"))
	app.srv = srv
	hs := &http.Server{Handler: app.handler(t)}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	return srv, app
}

// registerClient creates a client for the default callback; any port of
// 127.0.0.1 matches it (RFC 8252 section 7.3), so tests use --port 0.
func registerClient(t *testing.T, srv *signettest.Server, secret string) string {
	t.Helper()
	c := hydra.NewOAuth2Client()
	c.SetRedirectUris([]string{"http://127.0.0.1:5555/callback"})
	c.SetGrantTypes([]string{"authorization_code", "refresh_token"})
	c.SetResponseTypes([]string{"code"})
	c.SetScope("openid offline_access email")
	if secret == "" {
		c.SetTokenEndpointAuthMethod("none")
	} else {
		c.SetClientSecret(secret)
	}
	created, _, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err != nil {
		t.Fatalf("creating the client: %v", err)
	}
	return created.GetClientId()
}

// lineWriter keeps everything written and hands each complete line to the
// test as it arrives, so the test waits on output instead of sleeping.
type lineWriter struct {
	mu      sync.Mutex
	all     strings.Builder
	partial string
	lines   chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial += string(p)
	for {
		line, rest, ok := strings.Cut(w.partial, "\n")
		if !ok {
			break
		}
		w.partial = rest
		select {
		case w.lines <- line:
		default: // the test reads only the first lines; the rest stay in all
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// performRun is the command running in the background.
type performRun struct {
	stdout bytes.Buffer // read only after exited
	stderr *lineWriter
	cancel context.CancelFunc
	exited chan struct{}
	code   int
}

func startPerform(t *testing.T, env map[string]string, args ...string) *performRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &performRun{stderr: &lineWriter{lines: make(chan string, 64)}, cancel: cancel, exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		p.code = Main(ctx, append([]string{"perform", "authorization-code", "--no-open"}, args...), Env{
			Getenv: func(k string) string { return env[k] }, Environ: func() []string { return nil },
			Stdin: strings.NewReader(""), Stdout: &p.stdout, Stderr: p.stderr,
		})
	}()
	t.Cleanup(func() { cancel(); <-p.exited })
	return p
}

// authURL waits for the printed authorization URL.
func (p *performRun) authURL(t *testing.T) string {
	t.Helper()
	for {
		select {
		case line := <-p.stderr.lines:
			if strings.HasPrefix(line, "  http") {
				return strings.TrimSpace(line)
			}
		case <-p.exited:
			t.Fatalf("exited %d before printing the URL:\n%s", p.code, p.stderr)
		}
	}
}

// wait returns the exit code, stdout and stderr.
func (p *performRun) wait() (int, string, string) {
	<-p.exited
	return p.code, p.stdout.String(), p.stderr.String()
}

// browse follows u with a cookie-keeping client to wherever it ends: the
// command's callback page.
func browse(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(u)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestPerformAuthorizationCode(t *testing.T) {
	t.Parallel()
	srv, _ := startSignetWithLogin(t)
	id := registerClient(t, srv, "rp-secret-0123456789")
	p := startPerform(t, map[string]string{envPublicURL: srv.PublicURL, envClientSecret: "rp-secret-0123456789"},
		"--client-id", id, "--port", "0", "--scope", "openid,offline_access,email", "--format", "json")
	authURL := p.authURL(t)
	q := mustQuery(t, authURL)
	if !strings.HasPrefix(authURL, srv.PublicURL+"/oauth2/auth?") || q.Get("code_challenge_method") != "S256" ||
		q.Get("state") == "" || q.Get("nonce") == "" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Fatalf("authorization URL %s", authURL)
	}

	resp, page := browse(t, authURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<h1 id="result">Signed in</h1>`) ||
		!strings.Contains(page, `<strong id="subject">alice</strong>`) || resp.Request.URL.Path != "/callback" {
		t.Errorf("callback page at %s: %d\n%s", resp.Request.URL, resp.StatusCode, page)
	}
	code, stdout, stderr := p.wait()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "ID token verified: RS256 signature by key") {
		t.Errorf("stderr:\n%s", stderr)
	}
	var out struct {
		authorizationCodeResult
		Claims map[string]any `json:"id_token_claims"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	c := out.Claims
	if c["sub"] != "alice" || c["nonce"] != q.Get("nonce") || c["email"] != "alice@example.com" || c["iss"] != srv.Issuer {
		t.Errorf("claims %v", c)
	}
	if out.ClientID != id || out.ClientSecret != "" || out.RefreshToken == "" || out.IDToken == "" ||
		out.Scope != "openid offline_access email" || out.TokenType != "bearer" || out.ExpiresIn <= 0 {
		t.Errorf("output %+v", out.authorizationCodeResult)
	}
	// The printed access token is live.
	intro, _, err := srv.Admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(out.AccessToken).Execute()
	if err != nil || !intro.Active || intro.GetSub() != "alice" {
		t.Errorf("introspection %+v, %v", intro, err)
	}
}

// A public client signs in with PKCE alone.
func TestPerformAuthorizationCodePublicClient(t *testing.T) {
	t.Parallel()
	srv, _ := startSignetWithLogin(t)
	id := registerClient(t, srv, "")
	p := startPerform(t, nil, "-e", srv.PublicURL, "--client-id", id, "--port", "0", "--scope", "openid")
	if resp, page := browse(t, p.authURL(t)); resp.StatusCode != http.StatusOK {
		t.Errorf("callback page: %d\n%s", resp.StatusCode, page)
	}
	code, stdout, stderr := p.wait()
	if code != 0 || !strings.Contains(stdout, "\nsub ") || !strings.Contains(stdout, " alice\n") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestPerformAuthorizationCodeCreateClient(t *testing.T) {
	t.Parallel()
	srv, _ := startSignetWithLogin(t)
	p := startPerform(t, map[string]string{envAdminURL: srv.AdminURL, envPublicURL: srv.PublicURL}, "--create-client", "--port", "0")
	authURL := p.authURL(t)
	redirect := mustQuery(t, authURL).Get("redirect_uri")
	if resp, page := browse(t, authURL); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback page: %d\n%s", resp.StatusCode, page)
	}
	code, stdout, stderr := p.wait()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	rows := tableRows(stdout)
	id, secret := rows["CLIENT ID"], rows["CLIENT SECRET"]
	if id == "" || secret == "" || rows["sub"] != "alice" || rows["SCOPE"] != "openid offline_access" || rows["REFRESH TOKEN"] == "-" {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "Created client "+id+" for "+redirect) || !strings.Contains(stderr, "signet delete client "+id) {
		t.Errorf("stderr:\n%s", stderr)
	}
	got, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.GrantTypes, ",") != "authorization_code,refresh_token" || strings.Join(got.ResponseTypes, ",") != "code" ||
		strings.Join(got.RedirectUris, ",") != redirect || got.GetScope() != "openid offline_access" ||
		got.GetTokenEndpointAuthMethod() != "client_secret_basic" || got.GetClientName() != tempClientName {
		t.Errorf("created client %+v", got)
	}

	// The kept client signs in again on another port.
	again := startPerform(t, map[string]string{envPublicURL: srv.PublicURL, envClientSecret: secret}, "--client-id", id, "--port", "0")
	browse(t, again.authURL(t))
	if code, _, stderr := again.wait(); code != 0 {
		t.Errorf("second run: exit %d:\n%s", code, stderr)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// tableRows reads the table output as first column → second column.
func tableRows(out string) map[string]string {
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "   "); ok {
			rows[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return rows
}

func TestPerformAuthorizationCodeRefusals(t *testing.T) {
	t.Parallel()
	srv, app := startSignetWithLogin(t)
	id := registerClient(t, srv, "rp-secret-0123456789")
	env := map[string]string{envPublicURL: srv.PublicURL, envClientSecret: "rp-secret-0123456789"}
	args := []string{"--client-id", id, "--port", "0"}

	t.Run("error callback", func(t *testing.T) {
		app.rejectLogin.Store(true)
		defer app.rejectLogin.Store(false)
		p := startPerform(t, env, args...)
		resp, page := browse(t, p.authURL(t))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `<code id="error-code">access_denied</code>`) ||
			!strings.Contains(page, "The user said no.") {
			t.Errorf("page %d:\n%s", resp.StatusCode, page)
		}
		code, stdout, stderr := p.wait()
		if want := "Error: the authorization server refused the sign-in: access_denied: The user said no."; code != 1 || !strings.Contains(stderr, want) || stdout != "" {
			t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
		}
	})

	t.Run("wrong state", func(t *testing.T) {
		p := startPerform(t, env, args...)
		callback := mustQuery(t, p.authURL(t)).Get("redirect_uri")
		resp, page := browse(t, callback+"?code=forged&state=not-the-one")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "belongs to another sign-in") {
			t.Errorf("page %d:\n%s", resp.StatusCode, page)
		}
		if code, _, stderr := p.wait(); code != 1 || !strings.Contains(stderr, "state is not the one this command sent") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("code exchange refused", func(t *testing.T) {
		p := startPerform(t, map[string]string{envPublicURL: srv.PublicURL, envClientSecret: "wrong-secret-0123456789"}, args...)
		resp, page := browse(t, p.authURL(t))
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(page, "token_request_failed") || !strings.Contains(page, "invalid_client") {
			t.Errorf("page %d:\n%s", resp.StatusCode, page)
		}
		if code, _, stderr := p.wait(); code != 1 || !strings.Contains(stderr, "Error: exchanging the code: the server said: invalid_client") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		p := startPerform(t, env, append(args, "--timeout", "1ns")...)
		if code, _, stderr := p.wait(); code != 1 || !strings.Contains(stderr, "no callback arrived within 1ns (--timeout)") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		p := startPerform(t, env, args...)
		callback := mustQuery(t, p.authURL(t)).Get("redirect_uri")
		p.cancel() // what Ctrl-C does through signal.NotifyContext
		if code, _, stderr := p.wait(); code != 1 || !strings.Contains(stderr, "cancelled while waiting for the callback") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
		if _, err := http.Get(callback); err == nil {
			t.Error("the callback is still served after Ctrl-C")
		}
	})

	t.Run("port in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, port, _ := net.SplitHostPort(l.Addr().String())
		p := startPerform(t, env, "--client-id", id, "--port", port)
		if code, _, stderr := p.wait(); code != 1 || !strings.Contains(stderr, "listening for the callback on 127.0.0.1:"+port) {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})
}

// Flags are checked before anything is sent: no discovery request, no
// client created.
func TestPerformAuthorizationCodeBadFlags(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, `{}`))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "give --client-id"},
		{[]string{"--client-id", "a", "--create-client"}, "exclude each other"},
		{[]string{"--create-client", "--client-secret", "s"}, "does not go with --create-client"},
		{[]string{"--client-id", "a", "--timeout", "0s"}, "--timeout 0s: must be positive"},
		{[]string{"--client-id", "a", "--port", "70000"}, "--port 70000"},
		{[]string{"--client-id", "a", "--redirect", "ftp://x/cb"}, "--redirect"},
		{[]string{"--client-id", "a", "--format", "yaml"}, `--format "yaml"`},
		{[]string{"--create-client", "--admin-endpoint", "localhost:4445"}, "from --admin-endpoint"},
		{[]string{"--client-id", "a", "-e", "ftp://h"}, "scheme must be http or https"},
	} {
		r := run(t, nil, "", append([]string{"perform", "authorization-code", "--no-open", "--admin-endpoint", f.URL, "-e", f.URL}, tc.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server got %d requests for bad flags", n)
	}
}

// A discovery document the command cannot work with is refused before
// anything listens or is created.
func TestPerformAuthorizationCodeBadDiscovery(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"authorization_endpoint":"http://h/auth"}`, "names no issuer"},
		{`{"issuer":"http://h/","authorization_endpoint":"javascript:alert(1)"}`, "authorization_endpoint"},
		{`{"issuer":"http://h/","authorization_endpoint":"http://h/auth","code_challenge_methods_supported":["plain"]}`, "PKCE with S256"},
		{`{"issuer":"http://h/","authorization_endpoint":"http://h/auth","id_token_signing_alg_values_supported":["HS256"]}`, "public-key signatures only"},
	} {
		f := newFake(t, reply(http.StatusOK, tc.body))
		r := run(t, nil, "", "perform", "authorization-code", "--no-open", "-e", f.URL, "--create-client", "--admin-endpoint", f.URL, "--port", "0")
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q", tc.body, r.code, r.stderr)
		}
		if reqs := f.requests(); len(reqs) != 1 || reqs[0].Path != "/.well-known/openid-configuration" {
			t.Errorf("requests %+v: want only discovery", reqs)
		}
	}
}

// With no server listening, the error says what to start.
func TestPerformAuthorizationCodeServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := run(t, nil, "", "perform", "authorization-code", "--no-open", "--client-id", "a", "-e", "http://"+addr)
	if r.code != 1 || !strings.Contains(r.stderr, "is Signet running? try: signet serve all --dev") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// Without an ID token the result depends on whether openid was asked for
// and granted.
func TestCompleteSignInWithoutIDToken(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, `{"access_token":"at","token_type":"bearer","scope":"offline_access"}`))
	u, _ := url.Parse(f.URL)
	disc := &discovery{Issuer: "http://issuer/"}
	for _, tc := range []struct {
		scope   []string
		wantErr string
	}{
		{[]string{"openid", "offline_access"}, "openid was requested but not granted"},
		{[]string{"offline_access"}, ""},
	} {
		req := newAuthRequest("app", "http://127.0.0.1:5555/callback", tc.scope, nil)
		var log strings.Builder
		res := &authorizationCodeResult{}
		_, err := completeSignIn(context.Background(), &log, newAPIClient(u), signIn{disc: disc, req: req, secret: "s"},
			"code=c&state="+req.state, res)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("scope %v: err %v, want %q", tc.scope, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || !strings.Contains(log.String(), "No ID token") || res.AccessToken != "at"):
			t.Errorf("scope %v: err %v, log %q, result %+v", tc.scope, err, log.String(), res)
		}
	}
	// The code went with the verifier and the client's Basic credentials.
	got := f.requests()[0]
	if v := form(t, got); v.Get("grant_type") != "authorization_code" || v.Get("code") != "c" || v.Get("code_verifier") == "" ||
		v.Get("redirect_uri") != "http://127.0.0.1:5555/callback" || v.Has("client_id") || got.Header.Get("Authorization") != basic("app", "s") {
		t.Errorf("token request %v, auth %q", v, got.Header.Get("Authorization"))
	}
}

// TestPerformAuthorizationCodePAR: with --par the request is pushed with
// the client's secret and the printed URL carries only client_id and the
// request_uri; the sign-in then completes as usual.
func TestPerformAuthorizationCodePAR(t *testing.T) {
	t.Parallel()
	srv, _ := startSignetWithLogin(t)
	id := registerClient(t, srv, "rp-secret-0123456789")
	p := startPerform(t, map[string]string{envPublicURL: srv.PublicURL, envClientSecret: "rp-secret-0123456789"},
		"--client-id", id, "--port", "0", "--scope", "openid", "--par")
	authURL := p.authURL(t)
	q := mustQuery(t, authURL)
	if len(q) != 2 || q.Get("client_id") != id || !strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Fatalf("authorization URL %s: want only client_id and a pushed request_uri", authURL)
	}
	if resp, page := browse(t, authURL); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Signed in") {
		t.Errorf("callback page: %d\n%s", resp.StatusCode, page)
	}
	if code, _, stderr := p.wait(); code != 0 || !strings.Contains(stderr, "ID token verified") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}
