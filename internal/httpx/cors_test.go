package httpx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

// corsRun sends r through a CORS layer over a handler that records that it
// ran and answers 200 "body". Every answer is held to the rule the Fetch
// Standard makes a browser enforce: never "*" together with credentials.
func corsRun(t *testing.T, c httpx.CORS, r *http.Request) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	reached := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		_, _ = io.WriteString(w, "body")
	})
	w := httptest.NewRecorder()
	c.Handler(next).ServeHTTP(w, r)
	h := w.Header()
	if h.Get("Access-Control-Allow-Origin") == "*" && h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("answer allows every origin with credentials: %v", h)
	}
	return w, reached
}

func policy(o httpx.CORSOptions) func() *httpx.CORSPolicy {
	p := httpx.NewCORSPolicy(o)
	return func() *httpx.CORSPolicy { return p }
}

func preflight(path, origin, method, headers string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, path, nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		r.Header.Set("Access-Control-Request-Headers", headers)
	}
	return r
}

func TestCORSPreflight(t *testing.T) {
	configured := httpx.CORSOptions{Enabled: true, AllowCredentials: true, MaxAge: 600,
		AllowedOrigins: []string{"https://app.example.com", "https://*.apps.example.com"}}
	cases := []struct {
		name            string
		opts            httpx.CORSOptions
		paths           map[string]httpx.ClientOrigins
		req             *http.Request
		allowed         bool
		wantAllowOrigin string
	}{
		{name: "configured origin", opts: configured,
			req:     preflight("/x", "https://app.example.com", "post", "content-type, authorization"),
			allowed: true, wantAllowOrigin: "https://app.example.com"},
		{name: "wildcard subdomain", opts: configured,
			req:     preflight("/x", "https://billing.apps.example.com", "GET", ""),
			allowed: true, wantAllowOrigin: "https://billing.apps.example.com"},
		{name: "wildcard does not cross a dot", opts: configured,
			req: preflight("/x", "https://a.b.apps.example.com", "GET", "")},
		{name: "unknown origin", opts: configured,
			req: preflight("/x", "https://evil.example", "GET", "")},
		{name: "method not allowed", opts: httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET"}},
			req: preflight("/x", "https://app.example.com", "DELETE", "")},
		{name: "header not allowed", opts: configured,
			req: preflight("/x", "https://app.example.com", "POST", "X-Secret-Thing")},
		{name: "any header when * is listed", opts: httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"https://app.example.com"}, AllowedHeaders: []string{"*"}},
			req:     preflight("/x", "https://app.example.com", "POST", "X-Secret-Thing"),
			allowed: true, wantAllowOrigin: "https://app.example.com"},
		{name: "every origin without credentials answers *", opts: httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"*"}},
			req:     preflight("/x", "https://anyone.example", "GET", ""),
			allowed: true, wantAllowOrigin: "*"},
		{name: "every origin with credentials echoes the origin", opts: httpx.CORSOptions{Enabled: true, AllowCredentials: true},
			req:     preflight("/x", "https://anyone.example", "GET", ""),
			allowed: true, wantAllowOrigin: "https://anyone.example"},
		// A preflight carries no credentials, so a path whose client
		// decides lets the actual request decide (Hydra does the same).
		{name: "client-decided path lets the actual request decide", opts: configured,
			paths:   map[string]httpx.ClientOrigins{"/oauth2/token": func(*http.Request) []string { return nil }},
			req:     preflight("/oauth2/token", "https://spa.example", "POST", "authorization"),
			allowed: true, wantAllowOrigin: "https://spa.example"},
		{name: "repeated Origin header", opts: configured, req: func() *http.Request {
			r := preflight("/x", "https://app.example.com", "GET", "")
			r.Header.Add("Origin", "https://evil.example")
			return r
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			paths := tc.paths
			if paths == nil {
				paths = map[string]httpx.ClientOrigins{"/x": nil}
			}
			w, reached := corsRun(t, httpx.CORS{Policy: policy(tc.opts), Paths: paths}, tc.req)
			if reached || w.Code != http.StatusNoContent || w.Body.Len() != 0 {
				t.Fatalf("preflight: status %d, body %q, handler reached %v; want an empty 204 from the CORS layer", w.Code, w.Body, reached)
			}
			h := w.Header()
			if got := strings.Join(h.Values("Vary"), ", "); got != "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" {
				t.Errorf("Vary %q", got)
			}
			if !tc.allowed {
				for k := range h {
					if strings.HasPrefix(k, "Access-Control-") {
						t.Errorf("refused preflight carries %s: %q", k, h.Get(k))
					}
				}
				return
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.wantAllowOrigin {
				t.Errorf("Allow-Origin %q, want %q", got, tc.wantAllowOrigin)
			}
			if got := h.Get("Access-Control-Allow-Methods"); got != strings.ToUpper(tc.req.Header.Get("Access-Control-Request-Method")) {
				t.Errorf("Allow-Methods %q", got)
			}
			if tc.opts.AllowCredentials != (h.Get("Access-Control-Allow-Credentials") == "true") {
				t.Errorf("Allow-Credentials %q with allow_credentials %v", h.Get("Access-Control-Allow-Credentials"), tc.opts.AllowCredentials)
			}
		})
	}
}

func TestCORSPreflightHeaders(t *testing.T) {
	c := httpx.CORS{Policy: policy(httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"https://app.example.com"}, MaxAge: 600})}
	w, _ := corsRun(t, c, preflight("/any", "https://app.example.com", "POST", "content-type,  authorization"))
	h := w.Header()
	if got := h.Get("Access-Control-Allow-Headers"); got != "Content-Type, Authorization" {
		t.Errorf("Allow-Headers %q", got)
	}
	if got := h.Get("Access-Control-Max-Age"); got != "600" {
		t.Errorf("Max-Age %q", got)
	}
}

func TestCORSOptionsPassthrough(t *testing.T) {
	c := httpx.CORS{Policy: policy(httpx.CORSOptions{Enabled: true, OptionsPassthrough: true, AllowedOrigins: []string{"https://app.example.com"}})}
	w, reached := corsRun(t, c, preflight("/x", "https://app.example.com", "GET", ""))
	if !reached || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("passthrough: reached %v, headers %v", reached, w.Header())
	}
}

func TestCORSActualRequest(t *testing.T) {
	spaClient := func(r *http.Request) []string {
		if httpx.BasicUser(r) == "spa" {
			return []string{"https://spa.example"}
		}
		return nil
	}
	configured := httpx.CORSOptions{Enabled: true, AllowCredentials: true, AllowedOrigins: []string{"https://app.example.com"}}
	cases := []struct {
		name            string
		opts            httpx.CORSOptions
		path, origin    string
		basicUser       string
		wantAllowOrigin string // "" = refused
	}{
		{name: "configured origin", opts: configured, path: "/oauth2/token", origin: "https://app.example.com", wantAllowOrigin: "https://app.example.com"},
		{name: "case-insensitive origin", opts: configured, path: "/oauth2/token", origin: "https://APP.example.com", wantAllowOrigin: "https://APP.example.com"},
		{name: "client origin for its own request", opts: configured, path: "/oauth2/token", origin: "https://spa.example", basicUser: "spa", wantAllowOrigin: "https://spa.example"},
		{name: "client origin for another client's request", opts: configured, path: "/oauth2/token", origin: "https://spa.example", basicUser: "other"},
		{name: "client origin without a client", opts: configured, path: "/oauth2/token", origin: "https://spa.example"},
		{name: "client origins do not apply to config-only paths", opts: configured, path: "/.well-known/jwks.json", origin: "https://spa.example", basicUser: "spa"},
		{name: "unknown origin", opts: configured, path: "/oauth2/token", origin: "https://evil.example"},
		{name: "uncovered path", opts: configured, path: "/oauth2/auth", origin: "https://app.example.com"},
		{name: "disabled", opts: httpx.CORSOptions{AllowedOrigins: []string{"*"}}, path: "/oauth2/token", origin: "https://app.example.com"},
		{name: "method not allowed", opts: httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}, path: "/oauth2/token", origin: "https://app.example.com"},
		{name: "every origin, no credentials", opts: httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"*"}}, path: "/oauth2/token", origin: "https://x.example", wantAllowOrigin: "*"},
		{name: "every origin, credentials", opts: httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"*"}, AllowCredentials: true}, path: "/oauth2/token", origin: "https://x.example", wantAllowOrigin: "https://x.example"},
	}
	paths := map[string]httpx.ClientOrigins{"/oauth2/token": spaClient, "/.well-known/jwks.json": nil}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("grant_type=client_credentials"))
			r.Header.Set("Origin", tc.origin)
			if tc.basicUser != "" {
				r.SetBasicAuth(tc.basicUser, "secret")
			}
			w, reached := corsRun(t, httpx.CORS{Policy: policy(tc.opts), Paths: paths}, r)
			if !reached || w.Body.String() != "body" || w.Code != http.StatusOK {
				t.Fatalf("handler reached %v, status %d, body %q: an actual request always gets the handler's answer", reached, w.Code, w.Body)
			}
			h := w.Header()
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.wantAllowOrigin {
				t.Fatalf("Allow-Origin %q, want %q", got, tc.wantAllowOrigin)
			}
			if tc.wantAllowOrigin == "" {
				for k := range h {
					if strings.HasPrefix(k, "Access-Control-") {
						t.Errorf("refused origin gets %s", k)
					}
				}
				return
			}
			if h.Get("Vary") != "Origin" || h.Get("Access-Control-Expose-Headers") == "" {
				t.Errorf("Vary %q, Expose-Headers %q", h.Get("Vary"), h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}

// Without an Origin header (same-origin, curl, servers) nothing is decided,
// but Vary: Origin still tells caches that the answer depends on it.
func TestCORSWithoutOrigin(t *testing.T) {
	c := httpx.CORS{Policy: policy(httpx.CORSOptions{Enabled: true})}
	w, reached := corsRun(t, c, httptest.NewRequest(http.MethodGet, "/", nil))
	if !reached || w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("reached %v, headers %v", reached, w.Header())
	}
}

// A policy read per request: a reloaded configuration applies at once.
func TestCORSPolicyIsReadPerRequest(t *testing.T) {
	current := httpx.NewCORSPolicy(httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"https://old.example"}})
	c := httpx.CORS{Policy: func() *httpx.CORSPolicy { return current }}
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Origin", "https://new.example")
		return r
	}
	if w, _ := corsRun(t, c, req()); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("allowed before the change")
	}
	current = httpx.NewCORSPolicy(httpx.CORSOptions{Enabled: true, AllowedOrigins: []string{"https://new.example"}})
	if w, _ := corsRun(t, c, req()); w.Header().Get("Access-Control-Allow-Origin") != "https://new.example" {
		t.Fatal("not allowed after the change")
	}
}

func TestOriginList(t *testing.T) {
	l := httpx.ParseOrigins([]string{"https://app.example.com/", "https://*.example.org", "http://localhost:*", "https://a*b*.example.net"})
	for origin, want := range map[string]bool{
		"https://app.example.com":       true,
		"https://APP.EXAMPLE.COM":       true,
		"http://app.example.com":        false,
		"https://app.example.com:8443":  false,
		"https://x.example.org":         true,
		"https://x-y_z.example.org":     true,
		"https://example.org":           false,
		"https://.example.org":          false,
		"https://a.b.example.org":       false,
		"https://evil.com#.example.org": false,
		"https://evilexample.org":       false,
		"http://localhost:3000":         true,
		"http://localhost:":             false,
		"https://ab.example.net":        false, // two stars: matches nothing
		"null":                          false,
	} {
		if got := l.Allows(origin); got != want {
			t.Errorf("%q: %v, want %v", origin, got, want)
		}
	}
	if !httpx.ParseOrigins([]string{"*"}).Allows("null") {
		t.Error(`"*" must allow every origin`)
	}
	// "http://*" (Hydra's every-host-of-a-scheme form).
	scheme := httpx.ParseOrigins([]string{"http://*"})
	for origin, want := range map[string]bool{
		"http://anything.example:81": true, "http://a.b.c": true,
		"https://a.example": false, "http://": false, "http://a.example/path": false,
	} {
		if got := scheme.Allows(origin); got != want {
			t.Errorf("http://*: %q: %v, want %v", origin, got, want)
		}
	}
}

func TestPeekFormValue(t *testing.T) {
	form := url.Values{"client_id": {"spa"}, "grant_type": {"client_credentials"}}.Encode()
	cases := []struct {
		name, method, contentType, body string
		want                            string
	}{
		{"form client_id", http.MethodPost, "application/x-www-form-urlencoded", form, "spa"},
		{"form with charset", http.MethodPost, "application/x-www-form-urlencoded; charset=utf-8", form, "spa"},
		{"json body is not read", http.MethodPost, "application/json", `{"client_id":"spa"}`, ""},
		{"GET is not read", http.MethodGet, "application/x-www-form-urlencoded", form, ""},
		{"repeated parameter", http.MethodPost, "application/x-www-form-urlencoded", "client_id=a&client_id=b", ""},
		{"malformed escape", http.MethodPost, "application/x-www-form-urlencoded", "client_id=%zz", ""},
		{"oversized body", http.MethodPost, "application/x-www-form-urlencoded", "client_id=spa&pad=" + strings.Repeat("a", httpx.MaxFormBody), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/oauth2/token", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.contentType)
			if got := httpx.PeekFormValue(r, "client_id"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			rest, err := io.ReadAll(r.Body)
			if err != nil || string(rest) != tc.body {
				t.Errorf("the handler would read %d bytes (err %v), want the %d sent", len(rest), err, len(tc.body))
			}
		})
	}
}

// A read error while peeking (here the body limit) still reaches the
// handler, which renders it as usual.
func TestPeekFormValueKeepsReadErrors(t *testing.T) {
	body := "client_id=spa&pad=" + strings.Repeat("a", 100)
	r := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 50)
	if got := httpx.PeekFormValue(r, "client_id"); got != "" {
		t.Errorf("peeked %q from a body over the limit", got)
	}
	var mbe *http.MaxBytesError
	if _, err := io.ReadAll(r.Body); !errors.As(err, &mbe) {
		t.Errorf("handler sees %v, want the MaxBytesError", err)
	}
}

func TestBasicUser(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.SetBasicAuth(url.QueryEscape("my client:1"), "s")
	if got := httpx.BasicUser(r); got != "my client:1" {
		t.Errorf("got %q", got)
	}
	if got := httpx.BasicUser(httptest.NewRequest(http.MethodPost, "/", nil)); got != "" {
		t.Errorf("no header: got %q", got)
	}
}
