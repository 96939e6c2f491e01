package authorize

import (
	"net/http"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
)

// Hydra's CSRF cookie names, kept so proxies' cookie rules need no change.
const (
	defaultLoginCSRFName   = "ory_hydra_login_csrf"
	defaultConsentCSRFName = "ory_hydra_consent_csrf"
)

func loginCSRFName(cfg *config.Config) string {
	if n := cfg.Serve.Cookies.Names.LoginCSRF; n != "" {
		return n
	}
	return defaultLoginCSRFName
}

func consentCSRFName(cfg *config.Config) string {
	if n := cfg.Serve.Cookies.Names.ConsentCSRF; n != "" {
		return n
	}
	return defaultConsentCSRFName
}

// csrfCookie has the attributes serve.cookies configures. It lives as long
// as a challenge (ttl.login_consent_request): after that the flow cannot
// continue anyway.
func csrfCookie(cfg *config.Config, name string) *http.Cookie {
	sameSite, err := flow.ParseSameSite(cfg.CookieSameSite())
	if err != nil {
		sameSite = http.SameSiteLaxMode // config validation refuses this at startup
	}
	return &http.Cookie{Name: name, Path: "/", Domain: cfg.Serve.Cookies.Domain,
		Secure: cfg.CookieSecure(), HttpOnly: true, SameSite: sameSite}
}

func setCSRFCookie(w http.ResponseWriter, cfg *config.Config, name, value string) {
	ck := csrfCookie(cfg, name)
	ck.Value = value
	ttl := cfg.TTL.LoginConsentRequest
	if ttl <= 0 {
		ttl = 30 * time.Minute
	}
	ck.MaxAge = int(ttl / time.Second)
	http.SetCookie(w, ck)
}

func clearCookie(w http.ResponseWriter, cfg *config.Config, name string) {
	ck := csrfCookie(cfg, name)
	ck.MaxAge = -1
	http.SetCookie(w, ck)
}
