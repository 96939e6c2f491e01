package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/signet-oidc/signet/internal/config"
)

// Serving says which of the two APIs a process runs (serve all|public|admin).
type Serving struct {
	Public, Admin bool
}

// shutdownGrace bounds how long in-flight requests may take to finish after
// SIGTERM before connections are closed.
const shutdownGrace = 25 * time.Second

// port is one API being served.
type port struct {
	name     string // "public" or "admin"
	listener config.Listener
	tls      config.PortTLS
	handler  http.Handler
	ln       net.Listener
	// tlsConfig is set when the port serves HTTPS.
	tlsConfig *tls.Config
}

func (p *port) key() string { return "serve." + p.name }

// ports lists the APIs s asks for, with their configuration.
func (a *App) ports(s Serving) []*port {
	cfg := a.cfg.Get()
	var ps []*port
	if s.Public {
		ps = append(ps, &port{name: "public", listener: cfg.Serve.Public, tls: cfg.PublicTLS(), handler: a.public})
	}
	if s.Admin {
		ps = append(ps, &port{name: "admin", listener: cfg.Serve.Admin, tls: cfg.AdminTLS(), handler: a.admin})
	}
	return ps
}

// ListenAndServe loads the certificates, listens on the configured
// addresses (TCP or unix: sockets) and serves until ctx ends, then shuts
// down gracefully. A bad certificate or a busy address stops it before
// anything is served.
func (a *App) ListenAndServe(ctx context.Context, s Serving) error {
	ps := a.ports(s)
	for _, p := range ps {
		if err := a.prepareTLS(p, config.IsUnixHost(p.listener.Host)); err != nil {
			return err
		}
	}
	for i, p := range ps {
		ln, err := listen(p.listener)
		if err != nil {
			closeListeners(ps[:i])
			return fmt.Errorf("%s: %w", p.key(), err)
		}
		p.ln = ln
	}
	return a.serve(ctx, ps)
}

// Serve serves the public API on pub and the admin API on adm (either may
// be nil), with each port's TLS configuration, until ctx ends or a listener
// fails. On the way out it stops accepting connections and waits up to
// shutdownGrace for in-flight requests.
func (a *App) Serve(ctx context.Context, pub, adm net.Listener) error {
	var ps []*port
	for _, p := range a.ports(Serving{Public: pub != nil, Admin: adm != nil}) {
		p.ln = map[string]net.Listener{"public": pub, "admin": adm}[p.name]
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := a.prepareTLS(p, p.ln.Addr().Network() == "unix"); err != nil {
			closeListeners(ps)
			return err
		}
	}
	return a.serve(ctx, ps)
}

// prepareTLS loads the port's certificate when it serves HTTPS. A Unix
// socket never does (as in Hydra): it is reachable only on this machine.
func (a *App) prepareTLS(p *port, unix bool) error {
	switch {
	case !p.tls.Enabled:
		return nil
	case unix:
		a.log.Info("TLS does not apply to a Unix socket; serving plain HTTP on it", "api", p.name)
		return nil
	}
	now := a.now
	if now == nil {
		now = time.Now
	}
	cert, err := loadCertificate(p.key()+".tls", p.tls, a.log, now)
	if err != nil {
		return err
	}
	p.tlsConfig = serverTLS(cert)
	return nil
}

func closeListeners(ps []*port) {
	for _, p := range ps {
		if p.ln != nil {
			p.ln.Close()
		}
	}
}

func (a *App) serve(ctx context.Context, ps []*port) error {
	if len(ps) == 0 {
		return errors.New("nothing to serve")
	}
	servers := make([]*http.Server, len(ps))
	errc := make(chan error, len(ps))
	for i, p := range ps {
		srv := a.httpServer(p.handler)
		srv.TLSConfig = p.tlsConfig
		servers[i] = srv
		a.log.Info("listening", "api", p.name, "address", p.ln.Addr().String(), "https", p.tlsConfig != nil,
			"tls_terminated_by_proxy", len(p.tls.TerminationFrom) > 0)
		go func() {
			var err error
			if p.tlsConfig != nil {
				err = srv.ServeTLS(p.ln, "", "")
			} else {
				err = srv.Serve(p.ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s API: %w", p.name, err)
				return
			}
			errc <- nil
		}()
	}
	var first error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down: finishing in-flight requests")
	case first = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// httpServer applies timeouts that keep slow or idle clients from holding
// connections forever.
func (a *App) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slogErrorLog(a.log),
	}
}
