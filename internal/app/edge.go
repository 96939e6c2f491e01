package app

import (
	"log/slog"
	"net/http"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
)

// edge is what a port puts between the shared middleware and its route
// table: the TLS-termination check (allow_termination_from), CORS, and the
// health checks kept out of its access log.
type edge struct {
	terminated func(http.Handler) http.Handler // nil unless a proxy terminates TLS
	cors       httpx.CORS
	quiet      map[string]bool
}

// wrap puts the edge in front of a route table. The termination check
// comes first: a refused request gets no CORS headers.
func (e edge) wrap(h http.Handler) http.Handler {
	h = e.cors.Handler(h)
	if e.terminated != nil {
		h = e.terminated(h)
	}
	return h
}

// edges builds both ports' edges. CORS policies follow configuration
// reloads (read per request); the rest is fixed at start.
func edges(live *config.Live, cfg *config.Config, cc corsClients, log *slog.Logger) (public, admin edge, err error) {
	probes := []string{"/health/alive", "/health/ready"}
	// Prometheus scrapes are as frequent as probes and, like them, come
	// from the platform rather than through a proxy.
	adminProbes := []string{"/health/alive", "/health/ready", "/admin/metrics/prometheus"}

	pub := &corsPolicy{live: live, pick: func(c *config.Config) config.CORS { return c.Serve.Public.CORS }}
	adm := &corsPolicy{live: live, pick: func(c *config.Config) config.CORS { return c.Serve.Admin.CORS }}
	public = edge{cors: httpx.CORS{Policy: pub.get, Paths: publicCORSPaths(cc), Log: log},
		quiet: quietPaths(cfg.Serve.Public.RequestLog, probes...)}
	admin = edge{cors: httpx.CORS{Policy: adm.get, Log: log},
		quiet: quietPaths(cfg.Serve.Admin.RequestLog, adminProbes...)}

	render := httpx.Renderer{Log: log}
	if t := cfg.PublicTLS(); len(t.TerminationFrom) > 0 && !config.IsUnixHost(cfg.Serve.Public.Host) {
		if public.terminated, err = proxyTerminated("serve.public.tls", t.TerminationFrom, setOf(probes), render); err != nil {
			return edge{}, edge{}, err
		}
	}
	if t := cfg.AdminTLS(); len(t.TerminationFrom) > 0 && !config.IsUnixHost(cfg.Serve.Admin.Host) {
		if admin.terminated, err = proxyTerminated("serve.admin.tls", t.TerminationFrom, setOf(adminProbes), render); err != nil {
			return edge{}, edge{}, err
		}
	}
	if cfg.Serve.Admin.CORS.Enabled && adm.get().AllowsEveryOrigin() {
		// The admin API has no authentication of its own: with every origin
		// allowed, any page an operator's browser opens can call it.
		log.Warn("serve.admin.cors allows every origin; list the origins of your admin tools in serve.admin.cors.allowed_origins")
	}
	return public, admin, nil
}

// quietPaths are the paths serve.<port>.request_log.disable_for_health keeps
// out of that port's access log (failures are still logged).
func quietPaths(rl config.RequestLog, paths ...string) map[string]bool {
	if !rl.DisableForHealth {
		return nil
	}
	return setOf(paths)
}

func setOf(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
