package client

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
)

// regEnv is the admin test env plus the public registration endpoint,
// sharing one fake store, as app.New wires them.
type regEnv struct {
	*testEnv
	reg     *Registration
	public  http.Handler
	enabled atomic.Bool
}

func newRegEnv(t *testing.T) *regEnv {
	env := &regEnv{testEnv: newEnv(t)}
	env.enabled.Store(true)
	env.admin.DefaultScope = func() []string { return []string{"openid", "email"} }
	env.reg = &Registration{Admin: env.admin, Config: func() *config.Config {
		c := &config.Config{}
		c.URLs.Self.Issuer = "https://auth.example/"
		c.OIDC.DynamicClientRegistration.Enabled = env.enabled.Load()
		return c
	}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd := httpx.Renderer{Log: log}
	mux := http.NewServeMux()
	env.reg.Routes(mux, rd.OAuth, rd.Generic)
	env.public = httpx.Middleware{Log: log, Renderer: rd, Now: env.admin.Now}.Wrap(mux, httpx.MaxFormBody)
	return env
}

// call sends a request to the public port with an optional bearer token.
func (e *regEnv) call(t *testing.T, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.public.ServeHTTP(rec, req)
	return rec
}

// register creates a client and returns the SDK's view of the response.
func (e *regEnv) register(t *testing.T, body string) hydra.OAuth2Client {
	t.Helper()
	rec := e.call(t, "POST", "/oauth2/register", "", body)
	wantStatus(t, rec, http.StatusCreated)
	var c hydra.OAuth2Client
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatalf("hydra-client-go cannot parse the registration response: %v", err)
	}
	return c
}

func TestRegisterIssuesCredentialsOnce(t *testing.T) {
	env := newRegEnv(t)
	rec := env.call(t, "POST", "/oauth2/register", "", `{"client_name":"dyn","redirect_uris":["https://rp.example/cb"]}`)
	wantStatus(t, rec, http.StatusCreated)
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the registration response carries secrets and must be Cache-Control: no-store")
	}
	var c hydra.OAuth2Client
	_ = json.Unmarshal(rec.Body.Bytes(), &c)
	id, token := c.GetClientId(), c.GetRegistrationAccessToken()
	if !uuidV4.MatchString(id) || len(c.GetClientSecret()) != 43 || len(token) != 43 {
		t.Fatalf("want a UUID, a 43-character secret and token: %s", rec.Body)
	}
	if c.GetRegistrationClientUri() != "https://auth.example/oauth2/register/"+id {
		t.Errorf("registration_client_uri = %q", c.GetRegistrationClientUri())
	}
	if c.GetScope() != "openid email" {
		t.Errorf("scope = %q, want the configured default_scope", c.GetScope())
	}

	stored := env.store.clients[id]
	digest := sha256.Sum256([]byte(token))
	if string(stored.Credentials.RegistrationTokenDigest) != string(digest[:]) {
		t.Error("the stored digest is not SHA-256 of the token")
	}
	if env.store.plaintext || stored.RegistrationAccessToken != "" || strings.Contains(env.store.snapshot(t), token) {
		t.Fatal("a plaintext secret or token reached storage")
	}

	// The admin API never shows the token; it shows where the client manages itself.
	m := decodeClient(t, env.do(t, "GET", "/admin/clients/"+id, ""))
	if _, shown := m["registration_access_token"]; shown {
		t.Error("the admin GET shows a registration access token")
	}
	if m["registration_client_uri"] != c.GetRegistrationClientUri() {
		t.Errorf("admin GET registration_client_uri = %v", m["registration_client_uri"])
	}
}

func TestRegisterPublicClientHasNoSecret(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{"token_endpoint_auth_method":"none","redirect_uris":["https://spa.example/cb"]}`)
	if c.ClientSecret != nil || c.GetRegistrationAccessToken() == "" {
		t.Fatalf("public client: secret %v, token %q", c.ClientSecret, c.GetRegistrationAccessToken())
	}
}

func TestRegisterRefusesWhatOnlyTheServerOrAnAdminSets(t *testing.T) {
	env := newRegEnv(t)
	cases := []struct{ body, field string }{
		{`{"client_id":"mine"}`, "client_id"},
		{`{"client_secret":"my-own-secret"}`, "client_secret"},
		{`{"metadata":{"tier":"gold"}}`, "metadata"},
		{`{"access_token_strategy":"jwt"}`, "access_token_strategy"},
		{`{"skip_consent":true}`, "skip_consent"},
		{`{"skip_logout_consent":true}`, "skip_logout_consent"},
		{`{"authorization_code_grant_access_token_lifespan":"1h"}`, "authorization_code_grant_access_token_lifespan"},
		{`{"refresh_token_grant_refresh_token_lifespan":"720h"}`, "refresh_token_grant_refresh_token_lifespan"},
		{`{"jwt_bearer_grant_access_token_lifespan":"5m"}`, "jwt_bearer_grant_access_token_lifespan"},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			rec := env.call(t, "POST", "/oauth2/register", "", tc.body)
			wantStatus(t, rec, http.StatusBadRequest)
			m := decodeClient(t, rec)
			desc, _ := m["error_description"].(string)
			if m["error"] != "invalid_client_metadata" || !strings.Contains(desc, tc.field) {
				t.Errorf("got %s, want invalid_client_metadata naming %s", rec.Body, tc.field)
			}
		})
	}
	if len(env.store.clients) != 0 {
		t.Fatal("a refused registration stored a client")
	}
}

func TestRegisterBadInput(t *testing.T) {
	env := newRegEnv(t)
	cases := []struct {
		name, ctype, body string
		status            int
		code              string
	}{
		{"not json", "application/json", `{"client_name":`, 400, "invalid_request"},
		{"unknown field", "application/json", `{"client_nam":"x"}`, 400, "invalid_request"},
		{"form body", "application/x-www-form-urlencoded", `client_name=x`, 415, "invalid_request"},
		{"null", "application/json", `null`, 400, "invalid_request"},
		{"too large", "application/json", `{"client_name":"` + strings.Repeat("a", httpx.MaxFormBody) + `"}`, 413, "invalid_request"},
		{"bad redirect", "application/json", `{"redirect_uris":["https://a.example/#frag"]}`, 400, "invalid_redirect_uri"},
		{"bad metadata", "application/json", `{"grant_types":["password"]}`, 400, "invalid_client_metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/oauth2/register", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := httptest.NewRecorder()
			env.public.ServeHTTP(rec, req)
			wantStatus(t, rec, tc.status)
			if got := decodeClient(t, rec)["error"]; got != tc.code {
				t.Errorf("error %v, want %s", got, tc.code)
			}
		})
	}
}

func TestRegistrationDisabledIs404(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{}`)
	env.enabled.Store(false) // as after a configuration reload
	path := "/oauth2/register/" + c.GetClientId()
	tok := c.GetRegistrationAccessToken()
	for _, r := range []struct{ method, path, token, body string }{
		{"POST", "/oauth2/register", "", `{}`},
		{"GET", path, tok, ""}, {"GET", path, "", ""},
		{"PUT", path, tok, `{}`},
		{"DELETE", path, tok, ""},
	} {
		rec := env.call(t, r.method, r.path, r.token, r.body)
		wantStatus(t, rec, http.StatusNotFound)
		if !strings.Contains(rec.Body.String(), "not enabled") {
			t.Errorf("%s %s: %s", r.method, r.path, rec.Body)
		}
	}
	if _, ok := env.store.clients[c.GetClientId()]; !ok {
		t.Fatal("a request to the disabled endpoint deleted the client")
	}
}

// TestRegistrationTokenFailuresLookAlike: whatever is wrong, the answer is
// the same 401, so nobody learns which client ids exist.
func TestRegistrationTokenFailuresLookAlike(t *testing.T) {
	env := newRegEnv(t)
	a, b := env.register(t, `{}`), env.register(t, `{}`)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"by-admin"}`), http.StatusCreated)
	aPath := "/oauth2/register/" + a.GetClientId()
	cases := []struct{ name, path, header string }{
		{"no token", aPath, ""},
		{"wrong token", aPath, "Bearer " + strings.Repeat("x", 43)},
		{"other client's token", aPath, "Bearer " + b.GetRegistrationAccessToken()},
		{"admin-created client", "/oauth2/register/by-admin", "Bearer " + a.GetRegistrationAccessToken()},
		{"unknown client", "/oauth2/register/nobody", "Bearer " + a.GetRegistrationAccessToken()},
		{"overlong id", "/oauth2/register/" + strings.Repeat("i", 300), "Bearer " + a.GetRegistrationAccessToken()},
		{"basic scheme", aPath, "Basic " + a.GetRegistrationAccessToken()},
		{"token in two parts", aPath, "Bearer " + a.GetRegistrationAccessToken() + " x"},
		{"overlong token", aPath, "Bearer " + strings.Repeat("t", 600)},
	}
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		for _, tc := range cases {
			t.Run(method+" "+tc.name, func(t *testing.T) {
				req := httptest.NewRequest(method, tc.path, strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				rec := httptest.NewRecorder()
				env.public.ServeHTTP(rec, req)
				wantStatus(t, rec, http.StatusUnauthorized)
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
				}
				if !strings.Contains(rec.Body.String(), "The registration access token is missing or invalid, or the client does not exist.") {
					t.Errorf("body %s", rec.Body)
				}
			})
		}
	}
	if len(env.store.clients) != 3 {
		t.Fatal("a refused request changed the clients")
	}
	// The same token as a query parameter is not accepted (RFC 6750 2.3 is
	// not supported: URLs end up in logs).
	wantStatus(t, env.call(t, "GET", aPath+"?access_token="+a.GetRegistrationAccessToken(), "", ""), http.StatusUnauthorized)
}

func TestRegistrationReadUpdateDelete(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{"client_name":"v1","redirect_uris":["https://rp.example/cb"]}`)
	id, tok1, secret := c.GetClientId(), c.GetRegistrationAccessToken(), c.GetClientSecret()
	path := "/oauth2/register/" + id

	// Read: the client, its URI, no secret, no token.
	rec := env.call(t, "GET", path, tok1, "")
	wantStatus(t, rec, http.StatusOK)
	read := decodeClient(t, rec)
	for _, f := range []string{"client_secret", "registration_access_token", "metadata"} {
		if _, shown := read[f]; shown {
			t.Errorf("the read shows %s", f)
		}
	}
	if read["registration_client_uri"] != "https://auth.example"+path || read["client_name"] != "v1" {
		t.Errorf("read: %s", rec.Body)
	}

	// Update: what the read returned, changed, sent back as a whole.
	read["client_name"] = "v2"
	read["client_secret"] = secret // RFC 7592 2.2: the current secret may be repeated
	body, _ := json.Marshal(read)
	rec = env.call(t, "PUT", path, tok1, string(body))
	wantStatus(t, rec, http.StatusOK)
	var upd hydra.OAuth2Client
	_ = json.Unmarshal(rec.Body.Bytes(), &upd)
	tok2 := upd.GetRegistrationAccessToken()
	if upd.GetClientName() != "v2" || tok2 == "" || tok2 == tok1 || upd.ClientSecret != nil {
		t.Fatalf("update: %s", rec.Body)
	}
	if env.admin.Hasher.Verify(env.store.clients[id].SecretHash, secret) != nil {
		t.Fatal("repeating the current secret changed it")
	}
	// The token is rotated: the old one is dead, the new one works.
	wantStatus(t, env.call(t, "GET", path, tok1, ""), http.StatusUnauthorized)
	wantStatus(t, env.call(t, "GET", path, tok2, ""), http.StatusOK)

	// Delete, after which the token is useless.
	rec = env.call(t, "DELETE", path, tok2, "")
	wantStatus(t, rec, http.StatusNoContent)
	if _, ok := env.store.clients[id]; ok {
		t.Fatal("the client survived DELETE")
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		wantStatus(t, env.call(t, m, path, tok2, `{}`), http.StatusUnauthorized)
	}
}

func TestRegistrationUpdateRefusals(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{"redirect_uris":["https://rp.example/cb"]}`)
	id, tok := c.GetClientId(), c.GetRegistrationAccessToken()
	path := "/oauth2/register/" + id
	before := env.store.snapshot(t)
	cases := []struct{ name, body, code, want string }{
		{"other client_id", `{"client_id":"someone-else"}`, "invalid_client_metadata", "client_id"},
		{"new secret", `{"client_secret":"a-secret-of-my-own"}`, "invalid_client_metadata", "client_secret"},
		{"skip_consent", `{"skip_consent":true}`, "invalid_client_metadata", "skip_consent"},
		{"metadata", `{"metadata":{}}`, "invalid_client_metadata", "metadata"},
		{"bad redirect", `{"redirect_uris":["javascript:alert(1)"]}`, "invalid_redirect_uri", "redirect_uris"},
		{"not json", `{`, "invalid_request", "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.call(t, "PUT", path, tok, tc.body)
			wantStatus(t, rec, http.StatusBadRequest)
			m := decodeClient(t, rec)
			if m["error"] != tc.code || !strings.Contains(m["error_description"].(string), tc.want) {
				t.Errorf("got %s, want %s mentioning %s", rec.Body, tc.code, tc.want)
			}
		})
	}
	if env.store.snapshot(t) != before {
		t.Fatal("a refused update changed the client or its token")
	}
	wantStatus(t, env.call(t, "GET", path, tok, ""), http.StatusOK)
}

// TestOperatorSettingsSurviveSelfService: what an operator set on a
// dynamically registered client stays, whatever the client sends, and the
// registration digest survives every admin update.
func TestOperatorSettingsSurviveSelfService(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{"redirect_uris":["https://rp.example/cb"]}`)
	id := c.GetClientId()
	wantStatus(t, env.do(t, "PATCH", "/admin/clients/"+id, `[{"op":"add","path":"/skip_consent","value":true},
		{"op":"add","path":"/metadata","value":{"tier":"gold"}}]`), http.StatusOK)
	wantStatus(t, env.do(t, "PUT", "/admin/clients/"+id+"/lifespans", `{"client_credentials_grant_access_token_lifespan":"1m"}`), http.StatusOK)
	rotate(t, env.testEnv, id)
	tok := c.GetRegistrationAccessToken()
	rec := env.call(t, "GET", "/oauth2/register/"+id, tok, "")
	wantStatus(t, rec, http.StatusOK) // the admin updates kept the digest

	// Sent back as read (skip_consent and the lifespan included): accepted.
	rec = env.call(t, "PUT", "/oauth2/register/"+id, tok, rec.Body.String())
	wantStatus(t, rec, http.StatusOK)
	tok = decodeClient(t, rec)["registration_access_token"].(string)
	// Left out: kept, not cleared.
	rec = env.call(t, "PUT", "/oauth2/register/"+id, tok, `{"redirect_uris":["https://rp.example/cb"]}`)
	wantStatus(t, rec, http.StatusOK)
	tok2 := decodeClient(t, rec)["registration_access_token"].(string)
	got := env.store.clients[id]
	if !got.SkipConsent || string(got.Metadata) != `{"tier":"gold"}` || got.ClientCredentialsGrantAccessTokenLifespan == nil ||
		len(got.Credentials.Rotated) != 1 {
		t.Fatalf("self-service dropped operator settings: skip_consent %v metadata %s lifespan %v rotated %d",
			got.SkipConsent, got.Metadata, got.ClientCredentialsGrantAccessTokenLifespan, len(got.Credentials.Rotated))
	}
	// Changed: refused.
	rec = env.call(t, "PUT", "/oauth2/register/"+id, tok2, `{"client_credentials_grant_access_token_lifespan":"2m"}`)
	wantStatus(t, rec, http.StatusBadRequest)
}

// TestRegistrationSwitchToClientSecretJWT: a registered client cannot choose
// a secret, so switching to client_secret_jwt issues one (RFC 7592 2.2).
func TestRegistrationSwitchToClientSecretJWT(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{"grant_types":["client_credentials"]}`)
	rec := env.call(t, "PUT", "/oauth2/register/"+c.GetClientId(), c.GetRegistrationAccessToken(),
		`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_jwt"}`)
	wantStatus(t, rec, http.StatusOK)
	sec, _ := decodeClient(t, rec)["client_secret"].(string)
	if len(sec) != 72 || sec == c.GetClientSecret() {
		t.Fatalf("want a new 72-byte secret, got %q", sec)
	}
	stored := env.store.clients[c.GetClientId()]
	if openSealedOf(t, env.testEnv, stored, stored.Credentials.SealedSecret) != sec {
		t.Error("the issued secret is not sealed")
	}
	// Updating again keeps it.
	tok := decodeClient(t, rec)["registration_access_token"].(string)
	rec = env.call(t, "PUT", "/oauth2/register/"+c.GetClientId(), tok,
		`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_jwt"}`)
	wantStatus(t, rec, http.StatusOK)
	if _, shown := decodeClient(t, rec)["client_secret"]; shown {
		t.Error("an update that keeps client_secret_jwt issued another secret")
	}
}
