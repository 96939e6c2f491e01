package app

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/token"
)

// publicCORSPaths are the public endpoints a browser application calls
// cross-origin, the ones Hydra puts behind its CORS layer, each with how it
// finds the client whose allowed_cors_origins also count. The browser flow
// (/oauth2/auth, logout) is navigation, not fetch, and gets no CORS.
func publicCORSPaths(cc corsClients) map[string]httpx.ClientOrigins {
	return map[string]httpx.ClientOrigins{
		"/oauth2/token":                           cc.byCredentials,
		"/oauth2/revoke":                          cc.byCredentials,
		"/oauth2/par":                             cc.byCredentials,
		"/userinfo":                               cc.byBearer,
		"/.well-known/jwks.json":                  nil,
		"/.well-known/openid-configuration":       nil,
		"/.well-known/oauth-authorization-server": nil,
		"/health/alive":                           nil,
		"/health/ready":                           nil,
		"/version":                                nil,
	}
}

// corsPolicy compiles one port's serve.*.cors once per configuration
// snapshot: a reload (a new *config.Config in Live) recompiles on the next
// request, and no request sees a half-updated policy.
type corsPolicy struct {
	live  *config.Live
	pick  func(*config.Config) config.CORS
	cache atomic.Pointer[compiledCORS]
}

type compiledCORS struct {
	from   *config.Config
	policy *httpx.CORSPolicy
}

func (p *corsPolicy) get() *httpx.CORSPolicy {
	cfg := p.live.Get()
	if c := p.cache.Load(); c != nil && c.from == cfg {
		return c.policy
	}
	policy := httpx.NewCORSPolicy(corsOptions(p.pick(cfg)))
	p.cache.Store(&compiledCORS{from: cfg, policy: policy})
	return policy
}

func corsOptions(c config.CORS) httpx.CORSOptions {
	return httpx.CORSOptions{Enabled: c.Enabled, AllowedOrigins: c.AllowedOrigins, AllowedMethods: c.AllowedMethods,
		AllowedHeaders: c.AllowedHeaders, ExposedHeaders: c.ExposedHeaders, AllowCredentials: c.AllowCredentials,
		MaxAge: c.MaxAge, Debug: c.Debug, OptionsPassthrough: c.OptionsPassthrough}
}

// corsClients finds the client a cross-origin request acts for, so that its
// allowed_cors_origins apply. It is consulted only when CORS is enabled,
// the request has an Origin the configuration does not allow, and the path
// is one of publicCORSPaths. The client id it reads is unauthenticated, and
// that is enough: it only chooses which list the browser-supplied Origin is
// compared with; the endpoint still authenticates the client.
type corsClients struct {
	Clients interface {
		GetClient(ctx context.Context, id string) (*client.Client, error)
	}
	Tokens interface {
		GetAccess(ctx context.Context, digest []byte) (*token.AccessRecord, error)
	}
	Opaque, JWT token.AccessStrategy
}

// maxCORSClientID bounds the id looked up; client ids are far shorter.
const maxCORSClientID = 1024

// byCredentials: the token and revocation endpoints name their client in
// the Basic header or, for client_secret_post, public clients and
// private_key_jwt, in the form's client_id.
func (cc corsClients) byCredentials(r *http.Request) []string {
	id := httpx.BasicUser(r)
	if id == "" {
		id = httpx.PeekFormValue(r, "client_id")
	}
	return cc.origins(r.Context(), id)
}

// byBearer: userinfo's client is the access token's.
func (cc corsClients) byBearer(r *http.Request) []string {
	raw := ""
	if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		raw = strings.TrimSpace(rest)
	} else {
		raw = httpx.PeekFormValue(r, "access_token")
	}
	if raw == "" || len(raw) > 16<<10 {
		return nil
	}
	digest, err := token.Check(r.Context(), raw, cc.Opaque, cc.JWT)
	if err != nil {
		return nil
	}
	rec, err := cc.Tokens.GetAccess(r.Context(), digest)
	if err != nil {
		return nil
	}
	return cc.origins(r.Context(), rec.ClientID)
}

// origins is the client's allowed_cors_origins; any failure means none,
// and the endpoint reports the real problem itself.
func (cc corsClients) origins(ctx context.Context, id string) []string {
	if id == "" || len(id) > maxCORSClientID {
		return nil
	}
	c, err := cc.Clients.GetClient(ctx, id)
	if err != nil {
		return nil
	}
	return c.AllowedCORSOrigins
}
