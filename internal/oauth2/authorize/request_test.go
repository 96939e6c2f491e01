package authorize

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

var authzRedirects = []string{"https://app.example.com/cb?tenant=a", "http://127.0.0.1/native", "com.example.app:/cb"}

func authzClient() *client.Client {
	return &client.Client{ID: "app", RedirectURIs: authzRedirects, ResponseTypes: []string{"code"},
		Scope: "openid offline_access photos.*", Audience: []string{"https://api.example.com"},
		TokenEndpointAuthMethod: client.AuthNone}
}

func authzOptions() Options {
	return Options{ScopeStrategy: oauth2.Wildcard, PKCEEnforcedForPublicClients: true, MinStateLength: 8}
}

// good is a valid request; cases change one parameter.
func good() url.Values {
	return url.Values{"client_id": {"app"}, "redirect_uri": {authzRedirects[0]}, "response_type": {"code"},
		"scope": {"openid photos.read"}, "state": {"state-12345"}, "nonce": {"n-0S6"},
		"code_challenge": {oauth2test.PKCEChallenge}, "code_challenge_method": {"S256"}}
}

func TestParseAuthorizeRequestFields(t *testing.T) {
	q := good()
	q.Set("prompt", "login consent login")
	q.Set("max_age", "0")
	q.Set("display", "popup")
	q.Set("ui_locales", "de-CH en")
	q.Set("acr_values", "urn:a urn:b")
	q.Set("audience", "https://api.example.com https://api.example.com/x")
	q.Set("login_hint", "ana@example.com")
	q.Set("unknown_param", "ignored") // RFC 6749 section 3.1
	r, err := ParseRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	if r.ClientID != "app" || r.State != "state-12345" || r.Nonce != "n-0S6" || r.Display != "popup" ||
		!slices.Equal(r.Scope, []string{"openid", "photos.read"}) || !slices.Equal(r.Prompt, []string{"login", "consent"}) ||
		r.MaxAge == nil || *r.MaxAge != 0 || !slices.Equal(r.UILocales, []string{"de-CH", "en"}) ||
		len(r.ACRValues) != 2 || len(r.Audience) != 2 || r.LoginHint != "ana@example.com" {
		t.Fatalf("parsed %+v", r)
	}
	uri, aerr := r.Validate(authzClient(), authzOptions())
	if aerr != nil || uri != authzRedirects[0] {
		t.Fatalf("Validate = %q, %v", uri, aerr)
	}
}

// TestAuthorizeErrorRouting checks which errors may reach the client.
func TestAuthorizeErrorRouting(t *testing.T) {
	cases := []struct {
		name         string
		edit         func(q url.Values)
		opts         func(o *Options)
		code         string
		redirectable bool
	}{
		// Never redirected: the client or its redirect URI is not trusted.
		{"missing client_id", func(q url.Values) { q.Del("client_id") }, nil, "invalid_request", false},
		{"duplicate client_id", func(q url.Values) { q["client_id"] = []string{"app", "app"} }, nil, "invalid_request", false},
		{"control char client_id", func(q url.Values) { q.Set("client_id", "app\n") }, nil, "invalid_request", false},
		{"long client_id", func(q url.Values) { q.Set("client_id", strings.Repeat("a", 256)) }, nil, "invalid_request", false},
		{"unknown client", func(q url.Values) { q.Set("client_id", "other") }, nil, "invalid_client", false},
		{"duplicate redirect_uri", func(q url.Values) { q["redirect_uri"] = []string{authzRedirects[0], authzRedirects[0]} }, nil, "invalid_request", false},
		{"mismatching redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, nil, "invalid_request", false},
		{"omitted redirect_uri, two registered", func(q url.Values) { q.Del("redirect_uri") }, nil, "invalid_request", false},
		{"redirect_uri userinfo", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1@evil.com/native") }, nil, "invalid_request", false},
		// Redirected with state.
		{"missing response_type", func(q url.Values) { q.Del("response_type") }, nil, "invalid_request", true},
		{"unknown response_type", func(q url.Values) { q.Set("response_type", "code foo") }, nil, "unsupported_response_type", true},
		{"none response_type", func(q url.Values) { q.Set("response_type", "none") }, nil, "unsupported_response_type", true},
		{"token not registered", func(q url.Values) { q.Set("response_type", "token") }, nil, "unauthorized_client", true},
		{"hybrid not registered", func(q url.Values) { q.Set("response_type", "code id_token") }, nil, "unauthorized_client", true},
		{"unknown response_mode", func(q url.Values) { q.Set("response_mode", "web_message") }, nil, "invalid_request", true},
		{"duplicate response_mode", func(q url.Values) { q["response_mode"] = []string{"query", "query"} }, nil, "invalid_request", true},
		{"form_post to a native URI", func(q url.Values) {
			q.Set("response_mode", "form_post")
			q.Set("redirect_uri", "com.example.app:/cb")
		}, nil, "invalid_request", true},
		{"scope not allowed", func(q url.Values) { q.Set("scope", "openid admin") }, nil, "invalid_scope", true},
		{"scope bad chars", func(q url.Values) { q.Set("scope", "openid a\"b") }, nil, "invalid_scope", true},
		{"scope wildcard under exact", func(q url.Values) {}, func(o *Options) { o.ScopeStrategy = oauth2.Exact }, "invalid_scope", true},
		{"duplicate nonce", func(q url.Values) { q["nonce"] = []string{"a", "b"} }, nil, "invalid_request", true},
		{"short state", func(q url.Values) { q.Set("state", "1234567") }, nil, "invalid_request", true},
		{"prompt none with login", func(q url.Values) { q.Set("prompt", "none login") }, nil, "invalid_request", true},
		{"prompt unknown", func(q url.Values) { q.Set("prompt", "create") }, nil, "invalid_request", true},
		{"max_age negative", func(q url.Values) { q.Set("max_age", "-1") }, nil, "invalid_request", true},
		{"max_age sign", func(q url.Values) { q.Set("max_age", "+5") }, nil, "invalid_request", true},
		{"max_age empty", func(q url.Values) { q.Set("max_age", "") }, nil, "invalid_request", true},
		{"max_age float", func(q url.Values) { q.Set("max_age", "1.5") }, nil, "invalid_request", true},
		{"max_age huge", func(q url.Values) { q.Set("max_age", "99999999999999999999") }, nil, "invalid_request", true},
		{"display unknown", func(q url.Values) { q.Set("display", "tv") }, nil, "invalid_request", true},
		{"audience not allowed", func(q url.Values) { q.Set("audience", "https://evil.example") }, nil, "invalid_request", true},
		{"too many audiences", func(q url.Values) { q.Set("audience", strings.Repeat("a ", 101)) }, nil, "invalid_request", true},
		{"pkce missing for public client", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, nil, "invalid_request", true},
		{"pkce plain refused", func(q url.Values) { q.Set("code_challenge_method", "plain") }, nil, "invalid_request", true},
		{"pkce default plain refused", func(q url.Values) { q.Del("code_challenge_method") }, nil, "invalid_request", true},
		{"pkce bad challenge", func(q url.Values) { q.Set("code_challenge", "short") }, nil, "invalid_request", true},
		{"request object", func(q url.Values) { q.Set("request", "eyJ...") }, nil, "request_not_supported", true},
		{"request_uri", func(q url.Values) { q.Set("request_uri", "https://x") }, nil, "request_uri_not_supported", true},
		{"pkce enforced for all", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
			func(o *Options) { o.PKCEEnforcedForPublicClients = false; o.PKCEEnforced = true }, "invalid_request", true},
		// Accepted.
		{"pkce optional when not enforced", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
			func(o *Options) { o.PKCEEnforcedForPublicClients = false }, "", false},
		{"loopback any port", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:49152/native") }, nil, "", false},
		{"form_post", func(q url.Values) { q.Set("response_mode", "form_post") }, nil, "", false},
		{"fragment for code", func(q url.Values) { q.Set("response_mode", "fragment") }, nil, "", false},
		{"query for code", func(q url.Values) { q.Set("response_mode", "query") }, nil, "", false},
		{"no scope", func(q url.Values) { q.Del("scope") }, nil, "", false},
		{"state optional when min is 0", func(q url.Values) { q.Del("state") }, func(o *Options) { o.MinStateLength = 0 }, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := good()
			tc.edit(q)
			opts := authzOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			var aerr *Error
			var uri string
			r, err := ParseRequest(q)
			if err != nil {
				aerr = err.(*Error)
			} else {
				c := authzClient()
				if r.ClientID != c.ID {
					c = nil // the handler passes nil for an unknown client_id
				}
				uri, aerr = r.Validate(c, opts)
			}
			if tc.code == "" {
				if aerr != nil {
					t.Fatalf("unexpected error %v", aerr)
				}
				return
			}
			if aerr == nil {
				t.Fatalf("accepted, want %s", tc.code)
			}
			if aerr.Err.Code != tc.code || aerr.Redirectable != tc.redirectable {
				t.Fatalf("got %s redirectable=%v (%v), want %s redirectable=%v", aerr.Err.Code, aerr.Redirectable, aerr, tc.code, tc.redirectable)
			}
			if tc.redirectable && (uri == "" || aerr.State != q.Get("state")) {
				t.Fatalf("redirectable error without redirect URI %q or state %q", uri, aerr.State)
			}
			if !tc.redirectable && uri != "" {
				t.Fatalf("non-redirectable error returned redirect URI %q", uri)
			}
		})
	}
}

func TestAuthorizeRequestOmittedRedirectURI(t *testing.T) {
	q := good()
	q.Del("redirect_uri")
	r, err := ParseRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	c := authzClient()
	c.RedirectURIs = []string{"https://only.example/cb"}
	if uri, aerr := r.Validate(c, authzOptions()); aerr != nil || uri != "https://only.example/cb" {
		t.Fatalf("got %q, %v", uri, aerr)
	}
}

func TestAuthorizeRequestUnregisteredResponseType(t *testing.T) {
	r, _ := ParseRequest(good())
	c := authzClient()
	c.ResponseTypes = []string{"id_token"}
	if _, aerr := r.Validate(c, authzOptions()); aerr == nil || aerr.Err.Code != "unauthorized_client" || !aerr.Redirectable {
		t.Fatalf("got %v", aerr)
	}
}

func TestAuthorizeRequestDuplicateStateEchoesNone(t *testing.T) {
	q := good()
	q["state"] = []string{"state-aaaaaa", "state-bbbbbb"}
	r, _ := ParseRequest(q)
	_, aerr := r.Validate(authzClient(), authzOptions())
	if aerr == nil || !aerr.Redirectable || aerr.State != "" {
		t.Fatalf("got %+v", aerr)
	}
}

// FuzzAuthorizeRequest feeds raw query strings through the strict parser,
// ParseRequest and Validate: nothing panics, and a redirectable
// error only ever goes to a URI the client registered (or its loopback
// port variant), on the registered host.
func FuzzAuthorizeRequest(f *testing.F) {
	f.Add(good().Encode())
	f.Add("client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fnative&response_type=token&state=abcdefgh")
	f.Add("client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%40evil.com%2Fnative&response_type=code")
	f.Add("client_id=app&response_type=code&prompt=none+login&max_age=-1&state=%22%5C%00")
	f.Add("client_id=app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Ftenant%3Da&scope=%FF")
	f.Add("client_id=app&client_id=app")
	f.Add("client_id=app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Ftenant%3Da&response_type=token+id_token&response_mode=query&state=abcdefgh")
	f.Add("client_id=app&redirect_uri=com.example.app%3A%2Fcb&response_type=code&response_mode=form_post")
	f.Add("")
	opts := authzOptions()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := httpx.ParseStrictValues(raw)
		if err != nil {
			return
		}
		r, err := ParseRequest(q)
		if err != nil {
			if err.(*Error).Redirectable {
				t.Fatal("parse error is redirectable")
			}
			return
		}
		c := authzClient()
		uri, aerr := r.Validate(c, opts)
		if aerr == nil || !aerr.Redirectable {
			if aerr != nil && uri != "" {
				t.Fatal("non-redirectable error with a redirect URI")
			}
			if aerr == nil {
				checkTrusted(t, uri, uri)
			}
			return
		}
		checkTrusted(t, uri, aerr.Redirect(uri, azIssuer).URL())
	})
}

func checkTrusted(t *testing.T, uri, target string) {
	t.Helper()
	if !strings.HasPrefix(target, uri) {
		t.Fatalf("redirect %q does not start with %q", target, uri)
	}
	key, loop := loopbackKey(uri)
	if !slices.Contains(authzRedirects, uri) && !(loop && slices.ContainsFunc(authzRedirects, func(r string) bool {
		k, ok := loopbackKey(r)
		return ok && k == key
	})) {
		t.Fatalf("redirect URI %q is not registered", uri)
	}
	u, err := url.Parse(target)
	if err != nil || u.User != nil || (u.Hostname() != "app.example.com" && u.Hostname() != "127.0.0.1" && u.Scheme != "com.example.app") {
		t.Fatalf("redirect %q leaves the registered hosts (%v)", target, err)
	}
}
