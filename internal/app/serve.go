package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serving says which of the two APIs a process runs (serve all|public|admin).
type Serving struct {
	Public, Admin bool
}

// shutdownGrace bounds how long in-flight requests may take to finish after
// SIGTERM before connections are closed.
const shutdownGrace = 25 * time.Second

// ListenAndServe listens on the configured addresses and serves until ctx
// ends, then shuts down gracefully.
func (a *App) ListenAndServe(ctx context.Context, s Serving) error {
	cfg := a.cfg.Get()
	var pub, adm net.Listener
	var err error
	if s.Public {
		if pub, err = net.Listen("tcp", cfg.PublicAddr()); err != nil {
			return fmt.Errorf("serve.public: %w", err)
		}
	}
	if s.Admin {
		if adm, err = net.Listen("tcp", cfg.AdminAddr()); err != nil {
			if pub != nil {
				pub.Close()
			}
			return fmt.Errorf("serve.admin: %w", err)
		}
	}
	return a.Serve(ctx, pub, adm)
}

// Serve serves the public API on pub and the admin API on adm (either may
// be nil) until ctx ends or a listener fails. On the way out it stops
// accepting connections and waits up to shutdownGrace for in-flight
// requests.
func (a *App) Serve(ctx context.Context, pub, adm net.Listener) error {
	type named struct {
		name string
		srv  *http.Server
		ln   net.Listener
	}
	var servers []named
	if pub != nil {
		servers = append(servers, named{"public", a.httpServer(a.public), pub})
	}
	if adm != nil {
		servers = append(servers, named{"admin", a.httpServer(a.admin), adm})
	}
	if len(servers) == 0 {
		return errors.New("nothing to serve")
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		a.log.Info("listening", "api", s.name, "address", s.ln.Addr().String())
		go func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s API: %w", s.name, err)
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
	for _, s := range servers {
		if err := s.srv.Shutdown(shutdownCtx); err != nil && first == nil {
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
