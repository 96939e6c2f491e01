package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest"
)

// The optional specifications of issue 8 switched off one at a time
// (oauth2.*.enabled, oauth2.introspection.public_enabled): the route is
// gone (answers like an unknown path), the grant is unsupported, and
// discovery no longer mentions it; by default everything is there.

const parURN = "urn:ietf:params:oauth:request_uri:signet_par_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// metadata reads the discovery document as a generic map.
func metadata(t *testing.T, srv *signettest.Server) map[string]any {
	t.Helper()
	r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/openid-configuration", "", nil, nil)
	var m map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &m) != nil {
		t.Fatalf("discovery: %d %s", r.Status, r.Body)
	}
	return m
}

func grantTypes(m map[string]any) []string {
	var out []string
	for _, g := range m["grant_types_supported"].([]any) {
		out = append(out, g.(string))
	}
	return out
}

// wantUnknownRoute: the path answers 404 in the OAuth error shape, as a
// path Signet never served does.
func wantUnknownRoute(t *testing.T, r response, what string) {
	t.Helper()
	if r.Status != http.StatusNotFound || decodeOAuthError(t, r).Error != "not_found" {
		t.Errorf("%s: %d %s, want 404 not_found like an unknown path", what, r.Status, r.Body)
	}
}

// wantMounted: the route is served (it refuses the empty request itself).
func wantMounted(t *testing.T, r response, what string) {
	t.Helper()
	if r.Status == http.StatusNotFound {
		t.Errorf("%s answers 404: %s", what, r.Body)
	}
}

func TestSwitchesOnByDefault(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	m := metadata(t, srv)
	for _, k := range []string{"pushed_authorization_request_endpoint", "device_authorization_endpoint",
		"introspection_endpoint", "introspection_endpoint_auth_methods_supported",
		"introspection_signing_alg_values_supported", "request_object_signing_alg_values_supported"} {
		if m[k] == nil {
			t.Errorf("%s missing from discovery by default", k)
		}
	}
	if m["request_parameter_supported"] != true || m["request_uri_parameter_supported"] != true {
		t.Errorf("request objects not advertised by default: %v %v", m["request_parameter_supported"], m["request_uri_parameter_supported"])
	}
	for _, g := range []string{grantDeviceCode, exchangeGrant} {
		if !slices.Contains(grantTypes(m), g) {
			t.Errorf("grant_types_supported lacks %s by default", g)
		}
	}
	for _, p := range []string{"POST /oauth2/par", "POST /oauth2/device/auth", "GET /oauth2/device/verify", "POST /oauth2/introspect"} {
		if public, _ := srv.App.Routes(); !slices.Contains(public, p) {
			t.Errorf("%s not mounted by default", p)
		}
	}
	wantMounted(t, postForm(t, srv.PublicURL+"/oauth2/par", url.Values{}, nil), "POST /oauth2/par")
	wantMounted(t, postForm(t, srv.PublicURL+"/oauth2/device/auth", url.Values{}, nil), "POST /oauth2/device/auth")
	wantMounted(t, send(t, http.MethodGet, srv.PublicURL+"/oauth2/device/verify", "", nil, nil), "GET /oauth2/device/verify")
	wantMounted(t, postForm(t, srv.PublicURL+"/oauth2/introspect", url.Values{}, nil), "POST /oauth2/introspect")
	id, secret := newMachineClient(t, srv, nil)
	for _, g := range []string{grantDeviceCode, exchangeGrant} {
		r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {g}}, &[2]string{id, secret})
		if e := decodeOAuthError(t, r); e.Error == "unsupported_grant_type" {
			t.Errorf("%s is unsupported by default: %s", g, r.Body)
		}
	}
}

func TestPARSwitchedOff(t *testing.T) {
	t.Parallel()
	f := startFlow(t, signettest.WithEnv("OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_ENABLED=false"))
	m := metadata(t, f.srv)
	for _, k := range []string{"pushed_authorization_request_endpoint", "require_pushed_authorization_requests"} {
		if m[k] != nil {
			t.Errorf("%s advertised with PAR off: %v", k, m[k])
		}
	}
	if m["request_parameter_supported"] != true {
		t.Error("switching PAR off switched request objects off too")
	}
	form := url.Values{"response_type": {"code"}, "redirect_uri": {f.callback}, "scope": {"openid"}, "state": {"state-par-off-1"}}
	wantUnknownRoute(t, f.push(t, form), "POST /oauth2/par")
	if public, _ := f.srv.App.Routes(); slices.Contains(public, "POST /oauth2/par") {
		t.Error("POST /oauth2/par is in the route table")
	}
	// A pushed reference cannot be redeemed: with request objects on,
	// request_uri is supported but this one is not usable.
	refusedOnPage(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, parURN), "invalid_request_uri")
	// A client that requires PAR of itself stays refused (fail closed).
	strict := newAuthCodeClient(t, f.srv, f.callback, map[string]any{"require_pushed_authorization_requests": true})
	q := authorize(t, newBrowser(t, f.callback), f.srv.PublicURL+"/oauth2/auth?"+url.Values{"client_id": {strict},
		"response_type": {"code"}, "redirect_uri": {f.callback}, "scope": {"openid"}, "state": {"state-par-off-2"}}.Encode())
	if q.Get("error") != "invalid_request" || q.Get("code") != "" {
		t.Errorf("a client requiring PAR with PAR off: %v, want invalid_request", q)
	}
	// Plain requests are unaffected.
	if q := authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-par-off-3")); q.Get("code") == "" {
		t.Errorf("a plain request with PAR off: %v", q)
	}
}

func TestRequestObjectsSwitchedOff(t *testing.T) {
	t.Parallel()
	f := startFlow(t, signettest.WithEnv("OAUTH2_REQUEST_OBJECTS_ENABLED=false"))
	m := metadata(t, f.srv)
	if m["request_parameter_supported"] != false || m["request_uri_parameter_supported"] != false {
		t.Errorf("request_parameter_supported %v, request_uri_parameter_supported %v, want false",
			m["request_parameter_supported"], m["request_uri_parameter_supported"])
	}
	if m["request_object_signing_alg_values_supported"] != nil {
		t.Errorf("request_object_signing_alg_values_supported advertised: %v", m["request_object_signing_alg_values_supported"])
	}
	if m["pushed_authorization_request_endpoint"] == nil {
		t.Error("switching request objects off switched PAR off too")
	}
	o := newObjectClient(t, f, map[string]any{"request_uris": []string{"https://rp.example/request.jwt"}})
	object := o.object(t, o.key, jose.ES256, nil)
	for _, c := range []struct{ param, value, code string }{
		{"request", object, "request_not_supported"},
		{"request_uri", "https://rp.example/request.jwt", "request_uri_not_supported"},
	} {
		q := authorize(t, newBrowser(t, f.callback), o.authURL(c.param, c.value, "state", "state-objects-off"))
		if q.Get("error") != c.code || q.Get("code") != "" || q.Get("iss") != f.srv.Issuer {
			t.Errorf("%s with request objects off: %v, want %s with iss", c.param, q, c.code)
		}
	}
	// A pushed object is refused the same way; a plain push still works.
	r := postForm(t, f.srv.PublicURL+"/oauth2/par", url.Values{"request": {object}}, &[2]string{o.id, o.rp.ClientSecret})
	if r.Status != http.StatusBadRequest || decodeOAuthError(t, r).Error != "request_not_supported" {
		t.Errorf("a pushed request object: %d %s, want 400 request_not_supported", r.Status, r.Body)
	}
	uri := f.pushed(t, "state-objects-off-par", nil)
	if q := authorize(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, uri)); q.Get("code") == "" {
		t.Errorf("a pushed request with request objects off: %v", q)
	}
}

// With both PAR and request objects off, no request_uri is supported.
func TestPARAndRequestObjectsSwitchedOff(t *testing.T) {
	t.Parallel()
	f := startFlow(t, signettest.WithEnv("OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_ENABLED=false",
		"OAUTH2_REQUEST_OBJECTS_ENABLED=false"))
	refusedOnPage(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, parURN), "request_uri_not_supported")
}

func TestTokenExchangeSwitchedOff(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, signettest.WithEnv("OAUTH2_TOKEN_EXCHANGE_ENABLED=false"))
	if slices.Contains(grantTypes(metadata(t, srv)), exchangeGrant) {
		t.Error("token exchange advertised while switched off")
	}
	id, secret := newMachineClient(t, srv, nil)
	subject := mustToken(t, ccConfig(srv, id, secret, 0, "read"))
	r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {exchangeGrant},
		"subject_token": {subject.AccessToken}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}},
		&[2]string{id, secret})
	if r.Status != http.StatusBadRequest || decodeOAuthError(t, r).Error != "unsupported_grant_type" {
		t.Errorf("token exchange switched off: %d %s, want unsupported_grant_type", r.Status, r.Body)
	}
}

func TestDeviceAuthorizationSwitchedOff(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, signettest.WithEnv("OAUTH2_DEVICE_AUTHORIZATION_ENABLED=false"))
	m := metadata(t, srv)
	if m["device_authorization_endpoint"] != nil || slices.Contains(grantTypes(m), grantDeviceCode) {
		t.Errorf("device grant advertised while switched off: %v %v", m["device_authorization_endpoint"], m["grant_types_supported"])
	}
	id, secret := newMachineClient(t, srv, nil)
	wantUnknownRoute(t, postForm(t, srv.PublicURL+"/oauth2/device/auth", url.Values{"scope": {"read"}}, &[2]string{id, secret}),
		"POST /oauth2/device/auth")
	wantUnknownRoute(t, send(t, http.MethodGet, srv.PublicURL+"/oauth2/device/verify?device_challenge=x", "", nil, nil),
		"GET /oauth2/device/verify")
	r := send(t, http.MethodPut, srv.AdminURL+"/admin/oauth2/auth/requests/device/accept?device_challenge=x",
		"application/json", strings.NewReader(`{"user_code":"ABCD-EFGH"}`), nil)
	if e := decodeOAuthError(t, r); r.Status != http.StatusNotFound || !strings.Contains(e.Description, "device authorization grant is not enabled") {
		t.Errorf("admin accept with the device grant off: %d %s, want 404 saying it is not enabled", r.Status, r.Body)
	}
	r = postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {grantDeviceCode}, "device_code": {"x"}},
		&[2]string{id, secret})
	if r.Status != http.StatusBadRequest || decodeOAuthError(t, r).Error != "unsupported_grant_type" {
		t.Errorf("device_code grant switched off: %d %s, want unsupported_grant_type", r.Status, r.Body)
	}
}

func TestPublicIntrospectionSwitchedOff(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, signettest.WithEnv("OAUTH2_INTROSPECTION_PUBLIC_ENABLED=false"))
	m := metadata(t, srv)
	for _, k := range []string{"introspection_endpoint", "introspection_endpoint_auth_methods_supported",
		"introspection_signing_alg_values_supported"} {
		if m[k] != nil {
			t.Errorf("%s advertised with public introspection off: %v", k, m[k])
		}
	}
	id, secret := newMachineClient(t, srv, nil)
	tok := mustToken(t, ccConfig(srv, id, secret, 0, "read"))
	wantUnknownRoute(t, postForm(t, srv.PublicURL+"/oauth2/introspect", url.Values{"token": {tok.AccessToken}},
		&[2]string{id, secret}), "POST /oauth2/introspect")
	// The admin endpoint is unaffected.
	if got := introspect(t, srv, tok.AccessToken); !got.Active || got.GetClientId() != id {
		t.Errorf("admin introspection with the public endpoint off: %+v", got)
	}
}
