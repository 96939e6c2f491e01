package e2e

import (
	"context"
	"encoding/json"
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

// The device authorization grant (RFC 8628) end to end: a device (x/oauth2
// or raw HTTP) asks for codes, a browser types the user code on the
// operator's verification page, which calls the admin API through raw HTTP
// (hydra-client-go v2.2.1 has no device methods), then signs in and
// consents through the Hydra SDK login app; the device polls for tokens.

const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// deviceSetup is a Signet with a login app, a device verification page and
// a public device client.
type deviceSetup struct {
	srv      *signettest.Server
	app      *loginApp
	clk      *clock
	clientID string
	// userCode is what the verification page submits when the browser
	// brings none (verification_uri without user_code).
	userCode string
}

func startDevice(t *testing.T, opts ...signettest.Option) *deviceSetup {
	t.Helper()
	d := &deviceSetup{app: &loginApp{subject: "alice"}, clk: newClock()}
	appSrv := httptest.NewServer(nil)
	t.Cleanup(appSrv.Close)
	d.srv = signettest.Start(t, append([]signettest.Option{signettest.WithAppOptions(app.WithClock(d.clk.Now)), signettest.WithEnv(
		"URLS_LOGIN="+appSrv.URL+"/login",
		"URLS_CONSENT="+appSrv.URL+"/consent",
		"URLS_DEVICE_VERIFICATION="+appSrv.URL+"/device",
		"URLS_DEVICE_SUCCESS="+appSrv.URL+"/device/done",
	)}, opts...)...)
	d.app.srv = d.srv
	mux := http.NewServeMux()
	mux.Handle("/", d.app.handler(t))
	mux.HandleFunc("GET /device", func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("user_code")
		if code == "" {
			code = d.userCode
		}
		res := d.acceptUserCode(t, r.URL.Query().Get("device_challenge"), code)
		var to struct {
			RedirectTo string `json:"redirect_to"`
		}
		if res.Status != http.StatusOK || json.Unmarshal(res.Body, &to) != nil {
			http.Error(w, string(res.Body), res.Status)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /device/done", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("done " + r.URL.RawQuery))
	})
	appSrv.Config.Handler = mux
	d.clientID = d.newClient(t, []string{grantDeviceCode, "refresh_token"})
	return d
}

// newClient registers a public client with these grant types.
func (d *deviceSetup) newClient(t *testing.T, grants []string) string {
	t.Helper()
	c := hydra.NewOAuth2Client()
	c.SetGrantTypes(grants)
	c.SetScope("openid offline_access email")
	c.SetTokenEndpointAuthMethod("none")
	created, _, err := d.srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err != nil {
		t.Fatalf("creating the device client: %v", sdkErr(err))
	}
	return created.GetClientId()
}

// acceptUserCode is the verification page's admin call.
func (d *deviceSetup) acceptUserCode(t *testing.T, challenge, userCode string) response {
	body, _ := json.Marshal(map[string]string{"user_code": userCode})
	return send(t, http.MethodPut, d.srv.AdminURL+"/admin/oauth2/auth/requests/device/accept?"+
		url.Values{"device_challenge": {challenge}}.Encode(), "application/json", strings.NewReader(string(body)), nil)
}

type deviceAuthResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (d *deviceSetup) deviceAuth(t *testing.T, clientID, scope string) deviceAuthResponse {
	t.Helper()
	r := postForm(t, d.srv.PublicURL+"/oauth2/device/auth", url.Values{"client_id": {clientID}, "scope": {scope}}, nil)
	var out deviceAuthResponse
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil || out.DeviceCode == "" {
		t.Fatalf("device authorization: %d %s", r.Status, r.Body)
	}
	return out
}

// poll is one raw token request of the device.
func (d *deviceSetup) poll(t *testing.T, clientID, deviceCode string) response {
	t.Helper()
	return postForm(t, d.srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {grantDeviceCode},
		"device_code": {deviceCode}, "client_id": {clientID}}, nil)
}

func wantDeviceError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.Status, status, clip(r.Body))
	}
	if e := decodeOAuthError(t, r); e.Error != code {
		t.Fatalf("%s: error %q, want %q; body %s", what, e.Error, code, clip(r.Body))
	}
}

// browse follows redirects from target and returns the last response's
// URL and body.
func browse(t *testing.T, target string) (*url.URL, string) {
	t.Helper()
	b := newBrowser(t, "never-stop")
	res, err := b.Get(target)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("browser: reading the body: %v", err)
	}
	return res.Request.URL, string(body)
}

// TestDeviceFlow: x/oauth2's DeviceAuth and DeviceAccessToken as the real
// device; the full browser half; tokens once, replay refused.
func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	d := startDevice(t, signettest.WithEnv("OAUTH2_DEVICE_AUTHORIZATION_TOKEN_POLLING_INTERVAL=1s"))
	ctx := context.Background()
	rp := &oauth2.Config{ClientID: d.clientID, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: d.srv.PublicURL + "/oauth2/device/auth",
			TokenURL: d.srv.PublicURL + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	da, err := rp.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if da.VerificationURI != d.srv.PublicURL+"/oauth2/device/verify" || da.Interval != 1 ||
		!strings.HasPrefix(da.VerificationURIComplete, da.VerificationURI+"?user_code=") || len(da.UserCode) != 9 {
		t.Fatalf("device authorization response: %+v", da)
	}
	// Another client cannot poll this device code, even while it is pending.
	other := d.newClient(t, []string{grantDeviceCode})
	wantDeviceError(t, "another client's device code", d.poll(t, other, da.DeviceCode), 400, "invalid_grant")
	wantDeviceError(t, "pending", d.poll(t, d.clientID, da.DeviceCode), 400, "authorization_pending")

	// The user types the code in lower case without the dash.
	d.userCode = strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
	end, body := browse(t, da.VerificationURI)
	if end.Path != "/device/done" || strings.Contains(body, "error") {
		t.Fatalf("the browser ended at %s with %q, want the success page", end, body)
	}
	d.clk.Advance(2 * time.Second) // the device's clock moves on as it waits
	tok, err := rp.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Errorf("token response lacks a refresh token or ID token: %+v", tok)
	}
	in := introspect(t, d.srv, tok.AccessToken)
	if !in.Active || in.GetSub() != "alice" || in.GetClientId() != d.clientID || in.GetTokenUse() != "access_token" {
		t.Errorf("introspection: %+v", in)
	}
	// The device code is spent: a replay gets nothing.
	d.clk.Advance(2 * time.Second)
	wantDeviceError(t, "replayed device code", d.poll(t, d.clientID, da.DeviceCode), 400, "invalid_grant")
	// The refresh token works like any other.
	if _, err := rp.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Errorf("refresh: %v", err)
	}
	// The user code was accepted once: a second browser cannot reuse it.
	end, body = browse(t, da.VerificationURIComplete)
	if end.Path != "/device" || !strings.Contains(body, "wrong") {
		t.Errorf("second use of the user code ended at %s with %q", end, body)
	}
}

// TestDevicePolling: slow_down with the interval kept per device code and
// raised by five seconds each time, expired_token after ttl.device_user_code,
// all with an injected clock.
func TestDevicePolling(t *testing.T) {
	t.Parallel()
	d := startDevice(t)
	da := d.deviceAuth(t, d.clientID, "openid")
	if da.Interval != 5 || da.ExpiresIn != 600 {
		t.Fatalf("interval %d, expires_in %d; want 5 and 600", da.Interval, da.ExpiresIn)
	}
	wantDeviceError(t, "first poll", d.poll(t, d.clientID, da.DeviceCode), 400, "authorization_pending")
	wantDeviceError(t, "at once again", d.poll(t, d.clientID, da.DeviceCode), 400, "slow_down")
	d.clk.Advance(5 * time.Second) // enough before, but the interval is now 10 s
	wantDeviceError(t, "5 s after slow_down", d.poll(t, d.clientID, da.DeviceCode), 400, "slow_down")
	d.clk.Advance(14 * time.Second) // the interval is now 15 s
	wantDeviceError(t, "14 s later", d.poll(t, d.clientID, da.DeviceCode), 400, "slow_down")
	d.clk.Advance(20 * time.Second) // the interval is now 20 s
	wantDeviceError(t, "20 s later", d.poll(t, d.clientID, da.DeviceCode), 400, "authorization_pending")
	d.clk.Advance(10 * time.Minute)
	wantDeviceError(t, "after expiry", d.poll(t, d.clientID, da.DeviceCode), 400, "expired_token")

	wantDeviceError(t, "forged device code", d.poll(t, d.clientID, "signet_dc_forged"), 400, "invalid_grant")
	noGrant := d.newClient(t, []string{"authorization_code"})
	r := postForm(t, d.srv.PublicURL+"/oauth2/device/auth", url.Values{"client_id": {noGrant}}, nil)
	wantDeviceError(t, "client without the grant type", r, 400, "unauthorized_client")
	r = postForm(t, d.srv.PublicURL+"/oauth2/device/auth", url.Values{"client_id": {d.clientID}, "scope": {"admin"}}, nil)
	wantDeviceError(t, "scope the client may not request", r, 400, "invalid_scope")
	r = postForm(t, d.srv.PublicURL+"/oauth2/device/auth", url.Values{"client_id": {"nobody"}}, nil)
	wantDeviceError(t, "unknown client", r, 401, "invalid_client")
}

// TestDeviceVerifierBinding: the device_verifier of the accept call works
// only in the browser that opened the verification URI (a link with it
// opened elsewhere lacks the device CSRF cookie), and only once; neither
// refusal decides the device request.
func TestDeviceVerifierBinding(t *testing.T) {
	t.Parallel()
	d := startDevice(t)
	da := d.deviceAuth(t, d.clientID, "openid")
	step := func(b *http.Client, target string) (int, *url.URL) {
		t.Helper()
		res, err := b.Get(target)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		res.Body.Close()
		loc, _ := res.Location()
		return res.StatusCode, loc
	}
	owner := newBrowser(t, "http") // stops at every redirect
	status, loc := step(owner, da.VerificationURI)
	if status != http.StatusFound || loc == nil || loc.Query().Get("device_challenge") == "" {
		t.Fatalf("verification URI: %d to %v, want a redirect with a device_challenge", status, loc)
	}
	r := d.acceptUserCode(t, loc.Query().Get("device_challenge"), da.UserCode)
	var to struct {
		RedirectTo string `json:"redirect_to"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &to) != nil || !strings.Contains(to.RedirectTo, "device_verifier=") {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	if status, loc = step(newBrowser(t, "http"), to.RedirectTo); status < 400 || status >= 500 || loc != nil {
		t.Fatalf("device_verifier in another browser: %d to %v, want an error page", status, loc)
	}
	if status, loc = step(owner, to.RedirectTo); status != http.StatusFound || loc == nil || loc.Path != "/login" {
		t.Fatalf("device_verifier in its browser: %d to %v, want the login app", status, loc)
	}
	if status, loc = step(owner, to.RedirectTo); status < 400 || status >= 500 || loc != nil {
		t.Fatalf("device_verifier replayed: %d to %v, want an error page", status, loc)
	}
	wantDeviceError(t, "after the refusals", d.poll(t, d.clientID, da.DeviceCode), 400, "authorization_pending")
}

// TestDeviceExpiresDuringSignIn: a device request that expires while the
// user signs in is not approved: the browser ends on the success page with
// error=expired_token instead of being told the device is signed in.
func TestDeviceExpiresDuringSignIn(t *testing.T) {
	t.Parallel()
	d := startDevice(t)
	da := d.deviceAuth(t, d.clientID, "openid")
	owner := newBrowser(t, "http") // stops at every redirect
	target := da.VerificationURIComplete
	for range 3 { // the verification page, the device_verifier, the login app
		res, err := owner.Get(target)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		res.Body.Close()
		loc, err := res.Location()
		if err != nil {
			t.Fatalf("%s: %d without a redirect", target, res.StatusCode)
		}
		target = loc.String()
	}
	if !strings.Contains(target, "login_challenge=") {
		t.Fatalf("the browser is not at the login app: %s", target)
	}
	d.clk.Advance(time.Duration(da.ExpiresIn+1) * time.Second) // the user takes longer than the code lives
	res, err := (&http.Client{Jar: owner.Jar}).Get(target)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/device/done" || !strings.Contains(string(body), "error=expired_token") {
		t.Fatalf("the browser ended at %s with %q, want the success page with expired_token", res.Request.URL, body)
	}
	wantDeviceError(t, "poll", d.poll(t, d.clientID, da.DeviceCode), 400, "expired_token")
}

// TestDeviceDenied: a refusal at consent reaches the device as
// access_denied and the browser as an error on the success page.
func TestDeviceDenied(t *testing.T) {
	t.Parallel()
	d := startDevice(t)
	d.app.rejectConsent = true
	da := d.deviceAuth(t, d.clientID, "openid")
	end, body := browse(t, da.VerificationURIComplete)
	if end.Path != "/device/done" || !strings.Contains(body, "error=access_denied") || !strings.Contains(body, "iss=") {
		t.Fatalf("the browser ended at %s with %q, want the success page with the error", end, body)
	}
	wantDeviceError(t, "denied", d.poll(t, d.clientID, da.DeviceCode), 400, "access_denied")
}

// TestDeviceUserCodeBruteForce: wrong codes are bounded per challenge and
// in all per window; when the budget is spent even the right code waits
// for the next window.
func TestDeviceUserCodeBruteForce(t *testing.T) {
	t.Parallel()
	d := startDevice(t, signettest.WithEnv("OAUTH2_DEVICE_AUTHORIZATION_BRUTE_FORCE_ATTEMPTS_PER_CHALLENGE=3",
		"OAUTH2_DEVICE_AUTHORIZATION_BRUTE_FORCE_FAILURE_BUDGET=5"))
	da := d.deviceAuth(t, d.clientID, "openid")
	challenge := func() string {
		req, _ := http.NewRequest(http.MethodGet, da.VerificationURI, nil)
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || loc.Query().Get("device_challenge") == "" {
			t.Fatalf("verify did not redirect with a device_challenge: %d %v", resp.StatusCode, err)
		}
		return loc.Query().Get("device_challenge")
	}
	first := challenge()
	for i, code := range []string{"BCDF-GHJK", "bcdfghjl", "ZZZZ-ZZZZ"} {
		wantDeviceError(t, "wrong code "+string(rune('1'+i)), d.acceptUserCode(t, first, code), 400, "invalid_request")
	}
	wantDeviceError(t, "4th code on one challenge", d.acceptUserCode(t, first, da.UserCode), 403, "request_forbidden")
	second := challenge()
	wantDeviceError(t, "wrong code on a new challenge", d.acceptUserCode(t, second, "CCCC-CCCC"), 400, "invalid_request")
	wantDeviceError(t, "another", d.acceptUserCode(t, second, "not a code at all"), 400, "invalid_request")
	wantDeviceError(t, "budget spent: even the right code", d.acceptUserCode(t, challenge(), da.UserCode), 429, "temporarily_unavailable")
	d.clk.Advance(time.Minute)
	if r := d.acceptUserCode(t, challenge(), da.UserCode); r.Status != http.StatusOK {
		t.Fatalf("right code in the next window: %d %s", r.Status, r.Body)
	}
}

// TestDeviceBadInput: the new routes refuse malformed requests precisely.
func TestDeviceBadInput(t *testing.T) {
	t.Parallel()
	d := startDevice(t)
	const ctForm, ctJSON = "application/x-www-form-urlencoded", "application/json"
	for _, tc := range []badRequest{
		{name: "auth repeated scope", public: true, method: "POST", path: "/oauth2/device/auth", contentType: ctForm, body: "client_id=" + d.clientID + "&scope=openid&scope=email", status: 400, code: "invalid_request"},
		{name: "auth JSON body", public: true, method: "POST", path: "/oauth2/device/auth", contentType: ctJSON, body: `{"client_id":"x"}`, status: 415},
		{name: "auth oversized", public: true, method: "POST", path: "/oauth2/device/auth", contentType: ctForm, body: "client_id=x&scope=" + strings.Repeat("a", 70<<10), status: 413},
		{name: "auth bad escape", public: true, method: "POST", path: "/oauth2/device/auth", contentType: ctForm, body: "client_id=%zz", status: 400},
		{name: "auth bad scope characters", public: true, method: "POST", path: "/oauth2/device/auth", contentType: ctForm, body: "client_id=" + d.clientID + "&scope=%22quoted%22", status: 400, code: "invalid_scope"},
		{name: "auth GET", public: true, method: "GET", path: "/oauth2/device/auth", status: 404},
		{name: "token missing device_code", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=" + url.QueryEscape(grantDeviceCode) + "&client_id=" + d.clientID, status: 400, code: "invalid_request"},
		{name: "token repeated device_code", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=" + url.QueryEscape(grantDeviceCode) + "&client_id=" + d.clientID + "&device_code=a&device_code=b", status: 400, code: "invalid_request"},
		{name: "accept no challenge", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept", contentType: ctJSON, body: `{"user_code":"BCDF-GHJK"}`, status: 400},
		{name: "accept forged challenge", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept?device_challenge=s1.forged", contentType: ctJSON, body: `{"user_code":"BCDF-GHJK"}`, status: 404},
		{name: "accept oversized challenge", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept?device_challenge=" + strings.Repeat("A", 7000), contentType: ctJSON, body: `{"user_code":"BCDF-GHJK"}`, status: 404},
		{name: "accept unknown field", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept?device_challenge=x", contentType: ctJSON, body: `{"user_code":"x","extra":1}`, status: 400},
		{name: "accept not JSON", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept?device_challenge=x", contentType: ctForm, body: `user_code=x`, status: 415},
		{name: "accept oversized", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept?device_challenge=x", contentType: ctJSON, body: `{"user_code":"` + strings.Repeat("B", 4096) + `"}`, status: 413},
		{name: "accept repeated challenge", method: "PUT", path: "/admin/oauth2/auth/requests/device/accept?device_challenge=a&device_challenge=b", contentType: ctJSON, body: `{"user_code":"x"}`, status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := d.srv.AdminURL + tc.path
			if tc.public {
				target = d.srv.PublicURL + tc.path
			}
			r := send(t, tc.method, target, tc.contentType, strings.NewReader(tc.body), tc.header)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, tc.status, clip(r.Body))
			}
			assertErrorShape(t, r)
			if tc.code != "" {
				if e := decodeOAuthError(t, r); e.Error != tc.code {
					t.Errorf("error %q, want %q", e.Error, tc.code)
				}
			}
		})
	}
	// The verification URI is a browser endpoint: errors are pages, never 500.
	for name, q := range map[string]string{
		"repeated user_code":      "user_code=a&user_code=b",
		"two verifiers":           "device_verifier=a&login_verifier=b",
		"forged device_verifier":  "device_verifier=s1.forged",
		"very long user_code":     "user_code=" + strings.Repeat("B", 100),
		"login verifier replayed": "login_verifier=s1.AAAA",
	} {
		r := send(t, http.MethodGet, d.srv.PublicURL+"/oauth2/device/verify?"+q, "", nil, nil)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("verify %s: status %d, want 4xx", name, r.Status)
		}
	}
}

// TestDeviceDatabases: the whole grant, a denial and the slow_down
// bookkeeping on each of the three databases.
func TestDeviceDatabases(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			d := startDevice(t, db.opts(t)...)
			da := d.deviceAuth(t, d.clientID, "openid offline_access")
			wantDeviceError(t, "first poll", d.poll(t, d.clientID, da.DeviceCode), 400, "authorization_pending")
			wantDeviceError(t, "at once again", d.poll(t, d.clientID, da.DeviceCode), 400, "slow_down")
			if end, body := browse(t, da.VerificationURIComplete); end.Path != "/device/done" || strings.Contains(body, "error") {
				t.Fatalf("the browser ended at %s with %q", end, body)
			}
			d.clk.Advance(10 * time.Second)
			r := d.poll(t, d.clientID, da.DeviceCode)
			var tok struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
				IDToken      string `json:"id_token"`
			}
			if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil || tok.RefreshToken == "" || tok.IDToken == "" {
				t.Fatalf("approved poll: %d %s", r.Status, r.Body)
			}
			d.clk.Advance(10 * time.Second)
			wantDeviceError(t, "replay", d.poll(t, d.clientID, da.DeviceCode), 400, "invalid_grant")

			d.app.rejectLogin = true
			no := d.deviceAuth(t, d.clientID, "openid")
			if end, body := browse(t, no.VerificationURIComplete); end.Path != "/device/done" || !strings.Contains(body, "error=access_denied") {
				t.Fatalf("rejected login ended at %s with %q", end, body)
			}
			wantDeviceError(t, "denied at login", d.poll(t, d.clientID, no.DeviceCode), 400, "access_denied")
		})
	}
}

// TestDeviceDPoP: a device that polls with DPoP proofs gets DPoP-bound
// tokens; its refresh token (a public client's) is bound to the same key.
func TestDeviceDPoP(t *testing.T) {
	t.Parallel()
	d := startDevice(t)
	key := newDPoPKey(t, d.clk)
	tokenURL := d.srv.PublicURL + "/oauth2/token"
	pollDPoP := func(k *dpopKey, form url.Values) response {
		h := http.Header{}
		if k != nil {
			h.Set("DPoP", k.proof(t, http.MethodPost, tokenURL, ""))
		}
		return send(t, http.MethodPost, tokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), h)
	}
	da := d.deviceAuth(t, d.clientID, "openid offline_access")
	if end, _ := browse(t, da.VerificationURIComplete); end.Path != "/device/done" {
		t.Fatalf("the browser ended at %s", end)
	}
	r := pollDPoP(key, url.Values{"grant_type": {grantDeviceCode}, "device_code": {da.DeviceCode}, "client_id": {d.clientID}})
	var tok struct {
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil || tok.TokenType != "DPoP" {
		t.Fatalf("poll with a proof: %d %s", r.Status, r.Body)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {d.clientID}}
	wantDeviceError(t, "refresh without a proof", pollDPoP(nil, refresh), 400, "invalid_dpop_proof")
	if r := pollDPoP(key, refresh); r.Status != http.StatusOK {
		t.Fatalf("refresh with the key: %d %s", r.Status, r.Body)
	}
}
