package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// CORS as a browser application meets it (docs/tls-cors.md): the public
// port allows the configured origins (with a subdomain wildcard) and, on
// the token, revocation and userinfo endpoints, the origins the calling
// client lists in allowed_cors_origins; the admin port allows only its own
// configured origins. A refused origin gets the normal answer without any
// Access-Control-* header, so the browser keeps the page from reading it.

const (
	configuredOrigin = "https://app.example.com"
	spaOrigin        = "https://spa.example"
	evilOrigin       = "https://evil.example"
	adminOrigin      = "https://admin.example.com"
)

func corsEnv() signettest.Option {
	return signettest.WithEnv(
		"SERVE_PUBLIC_CORS_ENABLED=true",
		"SERVE_PUBLIC_CORS_ALLOWED_ORIGINS="+configuredOrigin+",https://*.apps.example.com",
		"SERVE_PUBLIC_CORS_MAX_AGE=600",
		"SERVE_ADMIN_CORS_ENABLED=true",
		"SERVE_ADMIN_CORS_ALLOWED_ORIGINS="+adminOrigin,
	)
}

// corsSend sends a request with an Origin header (and the rest of header).
func corsSend(t *testing.T, method, target, origin string, form url.Values, header http.Header) response {
	t.Helper()
	h := http.Header{"Origin": {origin}}
	for k, vs := range header {
		h[k] = vs
	}
	if form == nil {
		return send(t, method, target, "", nil, h)
	}
	return send(t, method, target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), h)
}

func basicHeader(id, secret string) http.Header {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return http.Header{"Authorization": {r.Header.Get("Authorization")}}
}

// allowedOrigin checks the one rule every answer keeps: "*" never goes
// with credentials. It returns Access-Control-Allow-Origin.
func allowedOrigin(t *testing.T, r response) string {
	t.Helper()
	if r.Header.Get("Access-Control-Allow-Origin") == "*" && r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("every origin allowed together with credentials: %v", r.Header)
	}
	return r.Header.Get("Access-Control-Allow-Origin")
}

func TestCORS(t *testing.T) {
	for _, b := range backends(corsEnv()) {
		t.Run(b.name, func(t *testing.T) {
			srv := b.start(t)
			spaID, spaSecret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
				c.SetAllowedCorsOrigins([]string{spaOrigin})
			})
			postID, postSecret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
				c.SetAllowedCorsOrigins([]string{spaOrigin})
				c.SetTokenEndpointAuthMethod("client_secret_post")
			})
			otherID, otherSecret := newMachineClient(t, srv, nil)
			tokenURL := srv.PublicURL + "/oauth2/token"
			grant := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}

			t.Run("preflight from a configured origin", func(t *testing.T) {
				r := corsSend(t, http.MethodOptions, tokenURL, configuredOrigin, nil, http.Header{
					"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization,content-type"}})
				if r.Status != http.StatusNoContent || len(r.Body) != 0 {
					t.Fatalf("status %d body %q", r.Status, r.Body)
				}
				if allowedOrigin(t, r) != configuredOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "true" ||
					r.Header.Get("Access-Control-Allow-Methods") != "POST" || r.Header.Get("Access-Control-Max-Age") != "600" ||
					r.Header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" {
					t.Errorf("headers %v", r.Header)
				}
			})
			t.Run("preflight from an unknown origin on a config-only endpoint", func(t *testing.T) {
				r := corsSend(t, http.MethodOptions, srv.PublicURL+"/.well-known/jwks.json", evilOrigin, nil,
					http.Header{"Access-Control-Request-Method": {"GET"}})
				if r.Status != http.StatusNoContent || allowedOrigin(t, r) != "" || len(r.Body) != 0 {
					t.Errorf("status %d, Allow-Origin %q, body %q", r.Status, allowedOrigin(t, r), r.Body)
				}
			})
			t.Run("client origin, client_secret_basic", func(t *testing.T) {
				r := corsSend(t, http.MethodPost, tokenURL, spaOrigin, grant, basicHeader(spaID, spaSecret))
				if r.Status != http.StatusOK || allowedOrigin(t, r) != spaOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
					t.Fatalf("status %d headers %v body %s", r.Status, r.Header, r.Body)
				}
				if !strings.Contains(r.Header.Get("Vary"), "Origin") {
					t.Errorf("Vary %q", r.Header.Get("Vary"))
				}
			})
			t.Run("client origin, client_secret_post (body read once)", func(t *testing.T) {
				form := url.Values{"grant_type": {"client_credentials"}, "client_id": {postID}, "client_secret": {postSecret}}
				r := corsSend(t, http.MethodPost, tokenURL, spaOrigin, form, nil)
				if r.Status != http.StatusOK || allowedOrigin(t, r) != spaOrigin {
					t.Fatalf("status %d headers %v body %s", r.Status, r.Header, r.Body)
				}
			})
			t.Run("a failed authentication is readable by the client's origin", func(t *testing.T) {
				r := corsSend(t, http.MethodPost, tokenURL, spaOrigin, grant, basicHeader(spaID, "wrong"))
				if r.Status != http.StatusUnauthorized || allowedOrigin(t, r) != spaOrigin {
					t.Fatalf("status %d headers %v", r.Status, r.Header)
				}
			})
			t.Run("another client's origin", func(t *testing.T) {
				r := corsSend(t, http.MethodPost, tokenURL, spaOrigin, grant, basicHeader(otherID, otherSecret))
				if r.Status != http.StatusOK || allowedOrigin(t, r) != "" {
					t.Fatalf("status %d, Allow-Origin %q: the token is issued, the browser must not show it", r.Status, allowedOrigin(t, r))
				}
			})
			t.Run("unknown origin", func(t *testing.T) {
				r := corsSend(t, http.MethodPost, tokenURL, evilOrigin, grant, basicHeader(spaID, spaSecret))
				if allowedOrigin(t, r) != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
					t.Fatalf("headers %v", r.Header)
				}
			})
			t.Run("revocation", func(t *testing.T) {
				tok := decodeToken(t, corsSend(t, http.MethodPost, tokenURL, "", grant, basicHeader(spaID, spaSecret)))
				r := corsSend(t, http.MethodPost, srv.PublicURL+"/oauth2/revoke", spaOrigin, url.Values{"token": {tok}}, basicHeader(spaID, spaSecret))
				if r.Status != http.StatusOK || allowedOrigin(t, r) != spaOrigin {
					t.Fatalf("status %d headers %v", r.Status, r.Header)
				}
			})
			t.Run("pushed authorization request", func(t *testing.T) {
				// The machine client registered no redirect URI, so the push
				// is refused; the refusal is readable by its origin.
				push := url.Values{"response_type": {"code"}, "scope": {"read"}, "state": {"state-0123456789"}}
				r := corsSend(t, http.MethodPost, srv.PublicURL+"/oauth2/par", spaOrigin, push, basicHeader(spaID, spaSecret))
				if r.Status != http.StatusBadRequest || allowedOrigin(t, r) != spaOrigin {
					t.Fatalf("status %d headers %v", r.Status, r.Header)
				}
			})
			t.Run("userinfo: the token's client decides", func(t *testing.T) {
				tok := decodeToken(t, corsSend(t, http.MethodPost, tokenURL, "", grant, basicHeader(spaID, spaSecret)))
				// A client-credentials token lacks openid: the 403 must still
				// be readable by the client's page.
				r := corsSend(t, http.MethodGet, srv.PublicURL+"/userinfo", spaOrigin, nil, http.Header{"Authorization": {"Bearer " + tok}})
				if r.Status != http.StatusForbidden || allowedOrigin(t, r) != spaOrigin {
					t.Fatalf("status %d headers %v", r.Status, r.Header)
				}
				other := decodeToken(t, corsSend(t, http.MethodPost, tokenURL, "", grant, basicHeader(otherID, otherSecret)))
				r = corsSend(t, http.MethodGet, srv.PublicURL+"/userinfo", spaOrigin, nil, http.Header{"Authorization": {"Bearer " + other}})
				if allowedOrigin(t, r) != "" {
					t.Fatalf("another client's token: Allow-Origin %q", allowedOrigin(t, r))
				}
			})
			t.Run("discovery with a wildcard origin", func(t *testing.T) {
				disc := srv.PublicURL + "/.well-known/openid-configuration"
				if got := allowedOrigin(t, corsSend(t, http.MethodGet, disc, "https://billing.apps.example.com", nil, nil)); got != "https://billing.apps.example.com" {
					t.Errorf("subdomain: Allow-Origin %q", got)
				}
				if got := allowedOrigin(t, corsSend(t, http.MethodGet, disc, "https://a.b.apps.example.com", nil, nil)); got != "" {
					t.Errorf("two labels deep: Allow-Origin %q", got)
				}
			})
			t.Run("the browser flow gets no CORS", func(t *testing.T) {
				r := corsSend(t, http.MethodGet, srv.PublicURL+"/oauth2/auth?client_id="+spaID, configuredOrigin, nil, nil)
				if allowedOrigin(t, r) != "" {
					t.Errorf("/oauth2/auth answered Allow-Origin %q", allowedOrigin(t, r))
				}
			})
			t.Run("admin port: its own origins only", func(t *testing.T) {
				clients := srv.AdminURL + "/admin/clients"
				if got := allowedOrigin(t, corsSend(t, http.MethodGet, clients, adminOrigin, nil, nil)); got != adminOrigin {
					t.Errorf("admin origin: %q", got)
				}
				for _, o := range []string{configuredOrigin, spaOrigin} {
					if got := allowedOrigin(t, corsSend(t, http.MethodGet, clients, o, nil, nil)); got != "" {
						t.Errorf("%s on the admin port: Allow-Origin %q", o, got)
					}
				}
				r := corsSend(t, http.MethodOptions, clients+"/"+spaID, evilOrigin, nil, http.Header{"Access-Control-Request-Method": {"DELETE"}})
				if r.Status != http.StatusNoContent || allowedOrigin(t, r) != "" {
					t.Errorf("evil preflight: status %d headers %v", r.Status, r.Header)
				}
			})
		})
	}
}

func decodeToken(t *testing.T, r response) string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("token: status %d %s", r.Status, r.Body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.AccessToken == "" {
		t.Fatalf("token response %s: %v", r.Body, err)
	}
	return body.AccessToken
}

// TestCORSEveryOrigin: allowed_origins "*" answers "*" without credentials;
// with allow_credentials (Hydra's default) it echoes the origin instead,
// since browsers refuse "*" with credentials.
func TestCORSEveryOrigin(t *testing.T) {
	cases := []struct {
		name, credentials, want string
	}{
		{"with credentials", "true", spaOrigin},
		{"without credentials", "false", "*"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := signettest.Start(t, signettest.WithEnv("SERVE_PUBLIC_CORS_ENABLED=true",
				"SERVE_PUBLIC_CORS_ALLOWED_ORIGINS=*", "SERVE_PUBLIC_CORS_ALLOW_CREDENTIALS="+tc.credentials))
			r := corsSend(t, http.MethodGet, srv.PublicURL+"/.well-known/jwks.json", spaOrigin, nil, nil)
			if got := allowedOrigin(t, r); got != tc.want {
				t.Fatalf("Allow-Origin %q, want %q", got, tc.want)
			}
			if (tc.credentials == "true") != (r.Header.Get("Access-Control-Allow-Credentials") == "true") {
				t.Errorf("Allow-Credentials %q", r.Header.Get("Access-Control-Allow-Credentials"))
			}
		})
	}
}

// Without serve.public.cors.enabled nothing changes, even for a client that
// lists origins.
func TestCORSDisabledByDefault(t *testing.T) {
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAllowedCorsOrigins([]string{spaOrigin}) })
	r := corsSend(t, http.MethodPost, srv.PublicURL+"/oauth2/token", spaOrigin,
		url.Values{"grant_type": {"client_credentials"}}, basicHeader(id, secret))
	if r.Status != http.StatusOK || allowedOrigin(t, r) != "" {
		t.Fatalf("status %d headers %v", r.Status, r.Header)
	}
}
