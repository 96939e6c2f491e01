package app

import (
	"net/http"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/oidc"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
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
}

// publicRoutes is every route of the public port (4444).
func (h handlers) publicRoutes() http.Handler {
	mux := http.NewServeMux()
	oauth := h.render.OAuth
	mux.Handle("POST /oauth2/token", oauth(h.token.Handle))
	mux.Handle("POST /oauth2/revoke", oauth(h.revoke.Handle))
	mux.Handle("GET /.well-known/openid-configuration", h.discovery)
	mux.Handle("GET /.well-known/oauth-authorization-server", h.discovery)
	h.jwks.Routes(mux, oauth)
	h.health(mux)
	mux.Handle("/", oauth(notFound))
	return h.mw.Wrap(mux, httpx.MaxFormBody)
}

// adminRoutes is every route of the admin port (4445).
func (h handlers) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	oauth, generic := h.render.OAuth, h.render.Generic
	h.clients.Routes(mux, oauth, generic)
	h.keysAdmin.Routes(mux, oauth)
	mux.Handle("POST /admin/oauth2/introspect", oauth(h.introspect.Handle))
	mux.Handle("DELETE /admin/oauth2/tokens", oauth(h.adminTokens.DeleteByClient))
	mux.Handle("GET /admin/metrics/prometheus", h.metrics)
	h.health(mux)
	mux.Handle("/", oauth(notFound))
	return h.mw.Wrap(mux, httpx.MaxJSONBody)
}

// health mounts the probes and /version on a port (Hydra serves them on both).
func (h handlers) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /health/alive", alive)
	mux.HandleFunc("GET /health/ready", ready(h.db))
	mux.HandleFunc("GET /version", version)
}

// notFound answers unknown paths, and known paths with another method, in
// the OAuth error shape rather than the mux's plain text.
func notFound(w http.ResponseWriter, r *http.Request) error {
	return httpx.NotFound("No endpoint is served at %s %s.", r.Method, truncatePath(r.URL.Path))
}

func truncatePath(p string) string {
	if len(p) > 100 {
		return p[:100] + "…"
	}
	return p
}
