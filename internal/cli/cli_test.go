package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// seen is one request the fake server received.
type seen struct {
	Method, Path, RawPath, RawQuery string
	Header                          http.Header
	Body                            []byte
}

// fake is a stand-in for the admin and public APIs: it records every
// request and answers with the handler the test gives it.
type fake struct {
	URL  string
	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// only returns the single request the command should have sent.
func (f *fake) only(t *testing.T) seen {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// reply answers every request with status and body.
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// run executes the CLI as a user would, with the given environment and
// standard input.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, Env{
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string { return nil },
		Stdin:   strings.NewReader(stdin),
		Stdout:  &out,
		Stderr:  &errOut,
	})
	return result{out.String(), errOut.String(), code}
}

// ok runs the CLI and fails the test unless it exits 0.
func ok(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, nil, "", args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestEndpointResolution(t *testing.T) {
	flagSrv := newFake(t, reply(200, `[]`))
	envSrv := newFake(t, reply(200, `[]`))

	// The flag wins over the environment.
	r := run(t, map[string]string{envAdminURL: envSrv.URL}, "", "list", "clients", "-e", flagSrv.URL)
	if r.code != 0 || len(flagSrv.requests()) != 1 || len(envSrv.requests()) != 0 {
		t.Fatalf("with -e: exit %d (%s), flag server %d requests, env server %d",
			r.code, r.stderr, len(flagSrv.requests()), len(envSrv.requests()))
	}
	// Without the flag, SIGNET_ADMIN_URL is used.
	if r := run(t, map[string]string{envAdminURL: envSrv.URL}, "", "list", "clients"); r.code != 0 || len(envSrv.requests()) != 1 {
		t.Fatalf("with env: exit %d (%s), env server %d requests", r.code, r.stderr, len(envSrv.requests()))
	}
	// Public commands read SIGNET_PUBLIC_URL, not the admin one.
	pub := newFake(t, reply(200, ``))
	if r := run(t, map[string]string{envPublicURL: pub.URL, envAdminURL: envSrv.URL}, "",
		"revoke", "token", "tok", "--client-id", "c"); r.code != 0 || pub.only(t).Path != "/oauth2/revoke" {
		t.Fatalf("revoke: exit %d (%s)", r.code, r.stderr)
	}
}

func TestEndpointDefaults(t *testing.T) {
	for _, tc := range []struct {
		port port
		want string
	}{{adminPort, defaultAdminURL}, {publicPort, defaultPublicURL}} {
		r := &remote{env: Env{Getenv: func(string) string { return "" }}, port: tc.port}
		u, err := r.baseURL()
		if err != nil || u.String() != tc.want {
			t.Errorf("port %d: got %v, %v; want %s", tc.port, u, err, tc.want)
		}
	}
}

func TestEndpointKeepsPathPrefix(t *testing.T) {
	f := newFake(t, reply(200, `{"client_id":"a/b c"}`))
	ok(t, "get", "client", "a/b c", "-e", f.URL+"/hydra/")
	got := f.only(t)
	if got.Path != "/hydra/admin/clients/a/b c" || got.RawPath != "/hydra/admin/clients/a%2Fb%20c" {
		t.Errorf("path %q raw %q: want the prefix kept and the ID escaped as one segment", got.Path, got.RawPath)
	}
}

func TestBadEndpointsAreRefusedBeforeAnyRequest(t *testing.T) {
	for _, tc := range []struct{ name, flag, env, want string }{
		{"scheme", "ftp://host", "", "scheme must be http or https"},
		{"no host", "http://", "", "missing host"},
		{"query", "http://h/?x=1", "", "query or fragment"},
		{"userinfo", "http://u:p@h", "", "credentials in the URL"},
		{"not a url", "http://[::1", "", "not a URL"},
		{"bad env", "", "localhost:4445", "from $SIGNET_ADMIN_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"list", "clients"}
			if tc.flag != "" {
				args = append(args, "--endpoint", tc.flag)
			}
			r := run(t, map[string]string{envAdminURL: tc.env}, "", args...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestBadFormatIsRefusedBeforeAnyRequest(t *testing.T) {
	f := newFake(t, reply(201, `{}`))
	r := run(t, nil, "", "create", "client", "-e", f.URL, "--format", "yaml")
	if r.code != 1 || !strings.Contains(r.stderr, `--format "yaml"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server got %d requests; a bad --format must not create a client", n)
	}
}

func TestServerErrorsAreReadable(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		hdr        map[string]string
		want       string
	}{
		{"errorOAuth2", `{"error":"invalid_client_metadata","error_description":"redirect_uris must be absolute","error_hint":"see RFC 7591","status_code":400}`, 400, nil,
			"the server said: invalid_client_metadata: redirect_uris must be absolute (see RFC 7591) [HTTP 400]"},
		{"genericError", `{"code":404,"status":"Not Found","message":"Unable to locate the resource"}`, 404, nil,
			"the server said: not found: Unable to locate the resource [HTTP 404]"},
		{"wrapped genericError", `{"error":{"code":409,"status":"Conflict","message":"exists","reason":"client_id taken"}}`, 409, nil,
			"the server said: conflict: exists (client_id taken) [HTTP 409]"},
		{"not JSON", `<html>bad gateway</html>`, 502, nil,
			"the server said: Bad Gateway: <html>bad gateway</html> [HTTP 502]"},
		{"redirect", ``, 302, map[string]string{"Location": "https://elsewhere/"},
			`the server redirected to "https://elsewhere/" [HTTP 302]; check the endpoint URL`},
		{"escape sequences", `{"error":"x","error_description":"\u001b[2Jgotcha"}`, 400, nil,
			"the server said: x: ?[2Jgotcha [HTTP 400]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.hdr {
					w.Header().Set(k, v)
				}
				reply(tc.status, tc.body)(w, r)
			})
			r := run(t, nil, "", "get", "client", "abc", "-e", f.URL)
			want := "Error: getting client \"abc\": " + tc.want + "\n"
			if r.code != 1 || r.stderr != want || r.stdout != "" {
				t.Errorf("exit %d\nstderr %q\nwant   %q\nstdout %q", r.code, r.stderr, want, r.stdout)
			}
		})
	}
}

func TestOversizedAnswerIsRefused(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"client_name":"`)
		_, _ = w.Write(bytes.Repeat([]byte("a"), maxResponseBytes))
		_, _ = io.WriteString(w, `"}`)
	})
	r := run(t, nil, "", "get", "client", "abc", "-e", f.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "larger than") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestInvalidIDsAreRefused(t *testing.T) {
	f := newFake(t, reply(204, ``))
	for _, args := range [][]string{
		{"get", "client", ".."},
		{"delete", "client", "ok", "."},
		{"get", "jwks", ""},
		{"delete", "tokens", "--client-id", ""},
	} {
		r := run(t, nil, "", append(args, "-e", f.URL)...)
		if r.code != 1 || !strings.Contains(r.stderr, "is not a valid") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server got %d requests for invalid IDs", n)
	}
}

func TestSanitizeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "-",
		"plain":                  "plain",
		"a\tb\nc":                "a?b?c",
		"\x1b]0;pwned\x07":       "?]0;pwned?",
		"ok\u202egnp.exe":        "ok?gnp.exe",
		"caf\u00e9 \u65e5\u672c": "caf\u00e9 \u65e5\u672c",
	} {
		if got := sanitizeCell(in); got != want {
			t.Errorf("sanitizeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnknownNounFails(t *testing.T) {
	r := run(t, nil, "", "create", "bogus")
	if r.code != 1 || !strings.Contains(r.stderr, `unknown command "bogus" for "signet create"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "delete"); r.code != 0 || !strings.Contains(r.stdout, "tokens") {
		t.Errorf("bare verb: exit %d, stdout %q", r.code, r.stdout)
	}
}
