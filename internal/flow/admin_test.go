package flow

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

const (
	testAuthorizeURL = "https://id.example.com/oauth2/auth"
	testClientID     = "5a1e3c4b-8d2f-4e6a-9b7c-0d1e2f3a4b5c"
	testSecretHash   = "$pbkdf2-sha256$i=10000,l=32$c2FsdA$aGFzaA"
)

// fakeClients serves GetClient from a map; the admin endpoints use nothing
// else, so the other methods are left to the nil embedded interface.
type fakeClients struct {
	client.Store
	m map[string]*client.Client
}

func (s fakeClients) GetClient(_ context.Context, id string) (*client.Client, error) {
	c, ok := s.m[id]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *c
	return &cp, nil
}

type adminHarness struct {
	admin *Admin
	clock *clock
	h     http.Handler
}

func newAdminHarness(t *testing.T) *adminHarness {
	t.Helper()
	s, c := newSealer(t)
	clients := fakeClients{m: map[string]*client.Client{testClientID: {
		ID: testClientID, Name: "Example App", SecretHash: testSecretHash,
		RedirectURIs: []string{"https://app.example.com/oauth2/callback"},
		Scope:        "openid offline_access profile email", TokenEndpointAuthMethod: "client_secret_basic",
	}}}
	a := &Admin{Sealer: s, Clients: clients, AuthorizeURL: testAuthorizeURL, Now: c.now}
	mux := http.NewServeMux()
	a.Routes(mux, httpx.Renderer{Log: slog.New(slog.DiscardHandler)}.OAuth)
	return &adminHarness{admin: a, clock: c, h: mux}
}

// challenge seals a typical flow in state st for purpose p.
func (h *adminHarness) challenge(t *testing.T, st State, p Purpose) string {
	t.Helper()
	s, err := h.admin.Sealer.Seal(flowIn(t, st), p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (h *adminHarness) do(t *testing.T, method, path, param, challenge, body string) *httptest.ResponseRecorder {
	t.Helper()
	target := path
	if param != "" {
		target += "?" + url.Values{param: {challenge}}.Encode()
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
}

// verifierFrom checks redirect_to with the SDK model, checks it returns the
// browser to the authorization endpoint with the original request, and
// opens the verifier named param.
func (h *adminHarness) verifierFrom(t *testing.T, rec *httptest.ResponseRecorder, p Purpose) (*Flow, string) {
	t.Helper()
	wantStatus(t, rec, http.StatusOK)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var rt hydra.OAuth2RedirectTo
	if err := json.Unmarshal(rec.Body.Bytes(), &rt); err != nil {
		t.Fatalf("SDK cannot decode %s: %v", rec.Body, err)
	}
	u, err := url.Parse(rt.RedirectTo)
	if err != nil || !strings.HasPrefix(rt.RedirectTo, testAuthorizeURL+"?") {
		t.Fatalf("redirect_to %q is not the authorization endpoint (%v)", rt.RedirectTo, err)
	}
	q := u.Query()
	want := typicalRequest()
	if q.Get("client_id") != testClientID || q.Get("state") != want.State || q.Get("redirect_uri") != want.RedirectURI {
		t.Errorf("redirect_to lost the original request: %v", q)
	}
	f, err := h.admin.Sealer.Open(q.Get(string(p)), p)
	if err != nil {
		t.Fatalf("%s in redirect_to does not open: %v", p, err)
	}
	return f, q.Get(string(p))
}

func TestAdminRoutesAreTheContractsSix(t *testing.T) {
	h := newAdminHarness(t)
	login := h.challenge(t, StateLoginRequested, PurposeLoginChallenge)
	// The wrong method on each path is refused by the mux, proving the
	// method patterns; the right one reaches the handler.
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/admin/oauth2/auth/requests/login/accept"},
		{http.MethodPost, "/admin/oauth2/auth/requests/login/reject"},
		{http.MethodPut, "/admin/oauth2/auth/requests/login"},
		{http.MethodDelete, "/admin/oauth2/auth/requests/consent"},
		{http.MethodGet, "/admin/oauth2/auth/requests/consent/accept"},
		{http.MethodPost, "/admin/oauth2/auth/requests/consent/reject"},
	} {
		if rec := h.do(t, c.method, c.path, "login_challenge", login, ""); rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", c.method, c.path, rec.Code)
		}
	}
}

func TestAdminGetLoginRequest(t *testing.T) {
	h := newAdminHarness(t)
	ch := h.challenge(t, StateLoginRequested, PurposeLoginChallenge)
	rec := h.do(t, http.MethodGet, "/admin/oauth2/auth/requests/login", "login_challenge", ch, "")
	wantStatus(t, rec, http.StatusOK)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	body := rec.Body.String()
	if strings.Contains(body, testSecretHash) || strings.Contains(body, "client_secret\"") {
		t.Fatalf("login request leaks the client secret or its hash: %s", body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"challenge", "client", "request_url", "requested_scope", "requested_access_token_audience", "skip", "subject", "session_id", "oidc_context"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("field %q missing from %s", k, body)
		}
	}

	var got hydra.OAuth2LoginRequest
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("hydra-client-go cannot decode the login request: %v", err)
	}
	want := typicalRequest()
	switch {
	case got.Challenge != ch:
		t.Error("challenge differs")
	case got.Client.GetClientId() != testClientID || got.Client.GetClientName() != "Example App":
		t.Errorf("client %+v", got.Client)
	case !slices.Equal(got.RequestedScope, want.Scope) || !slices.Equal(got.RequestedAccessTokenAudience, want.Audience):
		t.Errorf("requested scope %v audience %v", got.RequestedScope, got.RequestedAccessTokenAudience)
	case got.Skip || got.Subject != "":
		t.Errorf("fresh login shows skip=%v subject=%q", got.Skip, got.Subject)
	case got.GetSessionId() != "9c2d7e1a-3b4f-4a5e-8c6d-7e8f9a0b1c2d":
		t.Errorf("session_id %q", got.GetSessionId())
	case !slices.Equal(got.GetOidcContext().UiLocales, want.UILocales):
		t.Errorf("oidc_context %+v", got.OidcContext)
	}
	u, err := url.Parse(got.RequestUrl)
	if err != nil || !strings.HasPrefix(got.RequestUrl, testAuthorizeURL+"?") {
		t.Fatalf("request_url %q", got.RequestUrl)
	}
	q := u.Query()
	if q.Get("scope") != "openid offline_access profile email" || q.Get("code_challenge") != want.CodeChallenge || q.Get("nonce") != want.Nonce {
		t.Errorf("request_url does not rebuild the request: %v", q)
	}
}

func TestAdminGetLoginRequestSkip(t *testing.T) {
	h := newAdminHarness(t)
	f, _ := newFlow(t, typicalRequest())
	if err := f.RequestLogin("sid-1", &RememberedLogin{Subject: "user-4711", AuthTime: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ch, err := h.admin.Sealer.Seal(f, PurposeLoginChallenge)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.admin.LoginRequest(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Skip || v.Subject != "user-4711" || v.SessionID != "sid-1" {
		t.Errorf("remembered login shows %+v", v)
	}
	// A login app must accept a skipped login with the remembered subject.
	if _, err := h.admin.AcceptLogin(ch, AcceptLoginBody{Subject: "mallory"}); err == nil {
		t.Fatal("skipped login accepted for a different subject")
	}
	if _, err := h.admin.AcceptLogin(ch, AcceptLoginBody{Subject: "user-4711"}); err != nil {
		t.Fatalf("skipped login refused for its own subject: %v", err)
	}
}

func TestAdminAcceptLoginWithSDKBody(t *testing.T) {
	h := newAdminHarness(t)
	ch := h.challenge(t, StateLoginRequested, PurposeLoginChallenge)
	h.clock.t = t0.Add(5 * time.Minute)
	body := hydra.NewAcceptOAuth2LoginRequest("user-4711")
	body.SetRemember(true)
	body.SetRememberFor(3600)
	body.SetAcr("2")
	body.SetAmr([]string{"pwd", "otp"})
	body.SetContext(map[string]any{"tenant": "acme"})
	rec := h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/login/accept", "login_challenge", ch, string(mustJSON(t, body)))
	f, verifier := h.verifierFrom(t, rec, PurposeLoginVerifier)
	l := f.Login
	switch {
	case f.State != StateLoginAccepted:
		t.Errorf("state %s", f.State)
	case l.Subject != "user-4711" || !l.Remember || l.RememberFor != 3600 || l.ACR != "2" || !slices.Equal(l.AMR, []string{"pwd", "otp"}):
		t.Errorf("login result %+v", l)
	case string(l.Context) != `{"tenant":"acme"}`:
		t.Errorf("context %s", l.Context)
	case !l.AuthTime.Equal(h.clock.t):
		t.Errorf("auth_time %s, want the server clock %s", l.AuthTime, h.clock.t)
	}
	// The verifier is bound to its purpose: it is no challenge and no
	// consent verifier.
	for _, p := range []Purpose{PurposeLoginChallenge, PurposeConsentVerifier, PurposeConsentChallenge} {
		if _, err := h.admin.Sealer.Open(verifier, p); err == nil {
			t.Errorf("login verifier opened as %s", p)
		}
	}
}

func TestAdminAcceptLoginTwiceGivesVerifiersOfOneFlow(t *testing.T) {
	// A double submit answers 200 again; both verifiers name the same flow,
	// so the authorization endpoint's single-use record lets only one pass.
	h := newAdminHarness(t)
	ch := h.challenge(t, StateLoginRequested, PurposeLoginChallenge)
	body := `{"subject":"user-4711"}`
	f1, _ := h.verifierFrom(t, h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/login/accept", "login_challenge", ch, body), PurposeLoginVerifier)
	f2, _ := h.verifierFrom(t, h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/login/accept", "login_challenge", ch, body), PurposeLoginVerifier)
	if f1.ID != f2.ID || f1.Login.Subject != f2.Login.Subject {
		t.Errorf("double submit produced different flows: %s/%s", f1.ID, f2.ID)
	}
}

func TestAdminRejectLogin(t *testing.T) {
	h := newAdminHarness(t)
	ch := h.challenge(t, StateLoginRequested, PurposeLoginChallenge)
	body := hydra.NewRejectOAuth2Request()
	body.SetError("access_denied")
	body.SetErrorDescription("The user cancelled the login.")
	body.SetStatusCode(403)
	rec := h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/login/reject", "login_challenge", ch, string(mustJSON(t, body)))
	f, _ := h.verifierFrom(t, rec, PurposeLoginVerifier)
	if f.State != StateLoginRejected || f.Error == nil || f.Error.Error != "access_denied" ||
		f.Error.Description != "The user cancelled the login." || f.Error.StatusCode != 403 {
		t.Errorf("rejected flow %s %+v", f.State, f.Error)
	}

	// An empty rejection still gives the client an error it can act on.
	rec = h.do(t, http.MethodPut, "/admin/oauth2/auth/requests/login/reject", "login_challenge", ch, `{}`)
	f, _ = h.verifierFrom(t, rec, PurposeLoginVerifier)
	if f.Error == nil || f.Error.Error != "request_denied" || f.Error.StatusCode != 400 {
		t.Errorf("default rejection %+v", f.Error)
	}
}

func TestAdminClientGoneIs404(t *testing.T) {
	h := newAdminHarness(t)
	delete(h.admin.Clients.(fakeClients).m, testClientID)
	for _, c := range []struct {
		path, param string
		st          State
		p           Purpose
	}{
		{"/admin/oauth2/auth/requests/login", "login_challenge", StateLoginRequested, PurposeLoginChallenge},
		{"/admin/oauth2/auth/requests/consent", "consent_challenge", StateConsentRequested, PurposeConsentChallenge},
	} {
		rec := h.do(t, http.MethodGet, c.path, c.param, h.challenge(t, c.st, c.p), "")
		wantStatus(t, rec, http.StatusNotFound)
	}
}
