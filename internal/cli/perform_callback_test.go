package cli

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestReadCallback(t *testing.T) {
	const state, iss = "st-0123456789", "https://issuer.example/"
	ok := url.Values{"code": {"c-1"}, "state": {state}, "iss": {iss}}
	with := func(k, v string) string {
		q := url.Values{}
		for key, vals := range ok {
			q[key] = vals
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q.Encode()
	}
	if code, err := readCallback(ok.Encode(), state, iss); err != nil || code != "c-1" {
		t.Fatalf("valid callback: %q %v", code, err)
	}
	if code, err := readCallback(with("iss", ""), state, iss); err != nil || code != "c-1" {
		t.Errorf("without iss (servers before RFC 9207): %q %v", code, err)
	}
	for _, tc := range []struct {
		name, query, want string
		fromServer        bool
	}{
		{"no state", with("state", ""), "carries no state", false},
		{"another state", with("state", "st-other"), "not the one this command sent", false},
		// The state is checked before an error is believed.
		{"error with another state", "error=access_denied&state=st-other", "not the one this command sent", false},
		{"repeated code", ok.Encode() + "&code=c-2", `repeats the parameter "code"`, false},
		{"malformed", "code=%zz&state=" + state, "malformed", false},
		{"too long", "state=" + state + "&x=" + strings.Repeat("a", maxCallbackQuery), "longer than", false},
		{"another issuer", with("iss", "https://evil.example/"), "mix-up", false},
		{"no code", with("code", ""), "neither a code nor an error", false},
		{"error", "error=access_denied&error_description=The+user+said+no.&error_hint=hint&state=" + state,
			"the authorization server refused the sign-in: access_denied: The user said no. (hint)", true},
		{"error without description", "error=server_error&state=" + state, "gave no description", true},
		{"control characters", "error=x&error_description=%1b%5b2J&state=" + state, "x: ?[2J", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readCallback(tc.query, state, iss)
			var ce *callbackError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || ce.FromServer != tc.fromServer {
				t.Errorf("err %v, want %q (from server: %v)", err, tc.want, tc.fromServer)
			}
		})
	}
}

func TestCallbackPage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      outcome
		status int
		want   []string
	}{
		{"signed in", outcome{subject: "alice"}, 200, []string{`<h1 id="result">Signed in</h1>`, `<strong id="subject">alice</strong>`}},
		{"no ID token", outcome{}, 200, []string{`<h1 id="result">Signed in</h1>`, "lacks openid"}},
		{"server error", outcome{err: &callbackError{Code: "access_denied", Description: "The user said <no>.", Hint: "try again", FromServer: true}},
			400, []string{`<h1 id="result">Sign-in failed</h1>`, `<code id="error-code">access_denied</code>`,
				`id="error-description"><strong>The user said &lt;no&gt;.</strong>`, `<p id="error-hint">try again</p>`}},
		{"token request failed", outcome{err: errors.New("exchanging the code: the server said: invalid_grant [HTTP 400]")},
			502, []string{`<code id="error-code">token_request_failed</code>`, "invalid_grant"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeCallbackPage(rec, tc.o)
			body := rec.Body.String()
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			for _, w := range []string{`<html lang="en">`, `name="viewport"`, "<title>"} {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "<script") {
				t.Error("the page has a script")
			}
			h := rec.Header()
			if h.Get("Content-Security-Policy") != callbackCSP() || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", h)
			}
		})
	}
}

// The CSP allows the page's style block by its hash and nothing else, so
// the hash must be that of the block as served.
func TestCallbackCSPHashesTheStyleBlock(t *testing.T) {
	rec := httptest.NewRecorder()
	writeCallbackPage(rec, outcome{subject: "alice"})
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no style block")
	}
	sum := sha256.Sum256([]byte(m[1]))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, want) || !strings.HasPrefix(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q, want %q and nothing inline", csp, want)
	}
}

func TestCallbackServerTakesOneCallback(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := startCallback(l, "/cb")
	base := "http://" + l.Addr().String()
	type answer struct {
		status int
		err    error
	}
	first := make(chan answer, 1)
	go func() {
		resp, err := http.Get(base + "/cb?code=c&state=s")
		if err != nil {
			first <- answer{err: err}
			return
		}
		resp.Body.Close()
		first <- answer{status: resp.StatusCode}
	}()
	a, err := srv.wait(t.Context(), defaultFlowTimeout)
	if err != nil || a.rawQuery != "code=c&state=s" {
		t.Fatalf("arrival %+v, %v", a, err)
	}
	// While the first waits for the command, others are turned away.
	for path, want := range map[string]int{"/cb?code=d&state=s": 400, "/favicon.ico": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Post(base+"/cb", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	a.reply <- outcome{subject: "alice"}
	if got := <-first; got.err != nil || got.status != 200 {
		t.Errorf("first callback: %+v", got)
	}
	srv.close()
	if _, err := http.Get(base + "/cb"); err == nil {
		t.Error("still listening after close")
	}
}

func TestPlanCallback(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234}
	for _, tc := range []struct {
		name               string
		port               int
		portSet            bool
		redirect           string
		listen, path, want string
	}{
		{"default", 5555, false, "", "127.0.0.1:5555", "/callback", "http://127.0.0.1:41234/callback"},
		{"any free port", 0, true, "", "127.0.0.1:0", "/callback", "http://127.0.0.1:41234/callback"},
		{"loopback redirect picks its port", 5555, false, "http://127.0.0.1:8080/cb", "127.0.0.1:8080", "/cb", "http://127.0.0.1:8080/cb"},
		{"--port wins over the redirect's", 9000, true, "http://localhost:8080/cb", "127.0.0.1:9000", "/cb", "http://localhost:8080/cb"},
		{"tunnel", 5555, false, "https://tunnel.example", "127.0.0.1:5555", "/", "https://tunnel.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planCallback(tc.port, tc.portSet, tc.redirect)
			if err != nil || p.listen != tc.listen || p.path != tc.path || p.redirectURI(addr) != tc.want {
				t.Errorf("plan %+v (%v), redirect %q", p, err, p.redirectURI(addr))
			}
		})
	}
	for _, bad := range []struct {
		port     int
		redirect string
	}{{-1, ""}, {65536, ""}, {5555, "ftp://x/cb"}, {5555, "/cb"}, {5555, "http://h/cb#f"}, {5555, "http://u:p@h/cb"}, {5555, "http://[::1"}} {
		if _, err := planCallback(bad.port, false, bad.redirect); err == nil {
			t.Errorf("port %d redirect %q accepted", bad.port, bad.redirect)
		}
	}
}

func TestBrowserCommand(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		goos   string
		getenv func(string) string
		want   string // "" when nothing should be tried
	}{
		{"linux", env(), ""},
		{"linux", env("DISPLAY", ":0"), "xdg-open"},
		{"freebsd", env("WAYLAND_DISPLAY", "wayland-0"), "xdg-open"},
		{"darwin", env(), "open"},
		{"darwin", env("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 5000"), ""},
		{"windows", env(), "rundll32"},
	} {
		name, _, ok := browserCommand(tc.goos, tc.getenv)
		if name != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %v, want %q", tc.goos, name, ok, tc.want)
		}
	}
}

func TestAuthorizationURL(t *testing.T) {
	req := newAuthRequest("my app", "http://127.0.0.1:5555/callback", []string{"openid", "email"}, []string{"https://api.a", "https://api.b"})
	req.prompt, req.maxAge = "login", 0
	raw, err := req.url("https://issuer.example/oauth2/auth?tenant=t1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	want := map[string]string{
		"tenant": "t1", "response_type": "code", "client_id": "my app", "redirect_uri": "http://127.0.0.1:5555/callback",
		"scope": "openid email", "state": req.state, "nonce": req.nonce, "code_challenge": req.pkce.challenge,
		"code_challenge_method": "S256", "audience": "https://api.a https://api.b", "prompt": "login", "max_age": "0",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) || u.Host != "issuer.example" || u.Path != "/oauth2/auth" {
		t.Errorf("url %s", raw)
	}
	if req.state == req.nonce || len(req.state) < 43 {
		t.Errorf("state %q nonce %q: want independent 256-bit values", req.state, req.nonce)
	}
	bare := newAuthRequest("a", "http://127.0.0.1/cb", []string{"openid"}, nil)
	raw, _ = bare.url("http://127.0.0.1:4444/oauth2/auth")
	if q, _ := url.ParseQuery(strings.SplitN(raw, "?", 2)[1]); q.Has("audience") || q.Has("prompt") || q.Has("max_age") {
		t.Errorf("unset options were sent: %s", raw)
	}
}

func TestClaimsTable(t *testing.T) {
	tb, err := claimsTable([]byte(`{"sub":"alice","aud":["app"],"exp":1767225600,"email_verified":true,"ext":{"a": 1},"name":"a\tb"}`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeTable(&b, tb); err != nil {
		t.Fatal(err)
	}
	want := "CLAIM            VALUE\n" +
		"aud              [\"app\"]\n" +
		"email_verified   true\n" +
		"exp              1767225600 (2026-01-01T00:00:00Z)\n" +
		"ext              {\"a\":1}\n" +
		"name             a?b\n" +
		"sub              alice\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
