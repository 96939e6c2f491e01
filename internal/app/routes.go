package app

import (
	"net/http"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/devapp"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/oauth2/authorize"
	"github.com/signet-oidc/signet/internal/oidc"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/trust"
)

// handlers are the built endpoints that the two route tables mount.
type handlers struct {
	render      httpx.Renderer
	mw          httpx.Middleware
	db          *sqlstore.Store
	clients     *client.Admin
	keysAdmin   jwk.Admin
	jwks        *jwk.JWKS
	discovery   *oidc.Discovery
	token       *oauth2.TokenEndpoint
	introspect  *oauth2.Introspection
	revoke      *oauth2.Revocation
	adminTokens *oauth2.AdminTokens
	metrics     http.Handler
	// The login and consent flow (issue 3).
	authorize     *authorize.Endpoint
	par           *authorize.PAR
	loginConsent  *flow.Admin
	sessionsAdmin *flow.SessionsAdmin
	userinfo      *oidc.Userinfo
	// The device authorization grant (issue 8, RFC 8628).
	deviceAuth *oauth2.DeviceAuthorization
	// Logout (issue 4).
	logoutAdmin *flow.LogoutAdmin
	logout      *oidc.Logout

	// Dynamic client registration (issue 5).
	registration *client.Registration
	// RFC 7523 trust relationships (issue 5).
	trustAdmin *trust.Admin
	// The development identity app (issue 6); nil unless it runs.
	devIdentity *devapp.App
	// switches says which optional specifications are mounted (switches.go).
	switches switches
}

// routeTable is a ServeMux that remembers its patterns, so tests can hold
// the route list against the compatibility contract.
type routeTable struct {
	mux      *http.ServeMux
	patterns []string
}

func newRouteTable() *routeTable { return &routeTable{mux: http.NewServeMux()} }

func (t *routeTable) Handle(pattern string, h http.Handler) {
	t.patterns = append(t.patterns, pattern)
	t.mux.Handle(pattern, h)
}

func (t *routeTable) HandleFunc(pattern string, h http.HandlerFunc) { t.Handle(pattern, h) }

// publicRoutes is every route of the public port (4444).
func (h handlers) publicRoutes() *routeTable {
	mux := newRouteTable()
	oauth := h.render.OAuth
	mux.Handle("GET /oauth2/auth", oauth(h.authorize.Handle))
	mux.Handle("POST /oauth2/auth", oauth(h.authorize.Handle))
	mux.Handle("POST /oauth2/token", oauth(h.token.Handle))
	if h.switches.device {
		mux.Handle("POST /oauth2/device/auth", oauth(h.deviceAuth.Handle))
		mux.Handle("GET /oauth2/device/verify", oauth(h.authorize.HandleDevice))
	}
	if h.switches.pushed {
		mux.Handle("POST /oauth2/par", oauth(h.par.Handle))
	}
	mux.Handle("POST /oauth2/revoke", oauth(h.revoke.Handle))
	if h.switches.publicIntrospection {
		mux.Handle("POST /oauth2/introspect", oauth(h.introspect.HandleClient))
	}
	mux.Handle("GET /userinfo", oauth(h.userinfo.Handle))
	mux.Handle("POST /userinfo", oauth(h.userinfo.Handle))
	mux.Handle("GET /oauth2/sessions/logout", oauth(h.logout.Handle))
	mux.Handle("POST /oauth2/sessions/logout", oauth(h.logout.Handle))
	mux.Handle("GET /.well-known/openid-configuration", h.discovery)
	mux.Handle("GET /.well-known/oauth-authorization-server", h.discovery)
	h.jwks.Routes(mux, oauth)
	h.registration.Routes(mux, oauth, h.render.Generic)
	if h.devIdentity != nil { // --dev without a login app: /dev/login, /dev/consent, /dev/logout
		h.devIdentity.Routes(mux)
	}
	h.health(mux)
	return mux
}

// adminRoutes is every route of the admin port (4445).
func (h handlers) adminRoutes() *routeTable {
	mux := newRouteTable()
	oauth, generic := h.render.OAuth, h.render.Generic
	h.clients.Routes(mux, oauth, generic)
	h.keysAdmin.Routes(mux, oauth)
	h.loginConsent.Routes(mux, oauth)
	h.sessionsAdmin.Routes(mux, oauth)
	h.logoutAdmin.Routes(mux, oauth)
	h.trustAdmin.Routes(mux, generic)
	mux.Handle("POST /admin/oauth2/introspect", oauth(h.introspect.Handle))
	mux.Handle("DELETE /admin/oauth2/tokens", oauth(h.adminTokens.DeleteByClient))
	mux.Handle("GET /admin/metrics/prometheus", h.metrics)
	h.health(mux)
	return mux
}

// serve finishes a route table: unknown paths answer in the OAuth error
// shape, and every request passes the middleware chain with the port's
// body limit and quiet paths, then the port's edge (edge.go: TLS
// termination check, CORS).
func (h handlers) serve(t *routeTable, maxBody int64, e edge, obs []httpx.Observer) http.Handler {
	t.mux.Handle("/", h.render.OAuth(notFound))
	mw := h.mw
	mw.QuietPaths = e.quiet
	mw.Observers = obs // metrics and tracing (observe.go)
	return mw.Wrap(e.wrap(t.mux), maxBody)
}

// health mounts the probes and /version on a port (Hydra serves them on both).
func (h handlers) health(mux *routeTable) {
	mux.HandleFunc("GET /health/alive", alive)
	mux.HandleFunc("GET /health/ready", ready(h.db))
	mux.HandleFunc("GET /version", version)
}

// notFound answers unknown paths, and known paths with another method, in
// the OAuth error shape rather than the mux's plain text.
func notFound(w http.ResponseWriter, r *http.Request) error {
	return httpx.NotFound("No endpoint is served at %s %s.", r.Method, httpx.Clip(r.URL.Path, 100))
}
