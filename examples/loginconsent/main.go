// Command loginconsent is an example login, consent and logout app for
// Signet (and for ORY Hydra v2: the admin API is the same). Signet keeps no
// user accounts; during a sign-in it sends the browser here, and this app
// decides who the user is and what they allow, through Signet's admin API.
//
// Read it in this order: main.go (configuration and routes), login.go,
// consent.go, logout.go, then users.go, the part you replace with your own
// user database. csrf.go, form.go and page.go are the plumbing every web
// form needs.
//
// Configuration (environment):
//
//	SIGNET_ADMIN_URL  Signet's admin API (default http://127.0.0.1:4445)
//	HOST              address to listen on (default 127.0.0.1)
//	PORT              port to listen on (default 3000)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
)

// App is what the handlers use. Everything is a field set once in run:
// no globals, so the handlers are easy to follow and to test.
type App struct {
	// Signet is the admin API's login, consent and logout endpoints.
	Signet hydra.OAuth2API
	// Metadata answers Signet's health, for our readiness probe.
	Metadata hydra.MetadataAPI
	Users    *Users
	Pages    *Pages
	Log      *slog.Logger
}

// Routes is every URL this app serves. Point Signet's urls.login,
// urls.consent and urls.logout at the first three.
func (a *App) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.showLogin)
	mux.HandleFunc("POST /login", a.submitLogin)
	mux.HandleFunc("GET /consent", a.showConsent)
	mux.HandleFunc("POST /consent", a.submitConsent)
	mux.HandleFunc("GET /logout", a.showLogout)
	mux.HandleFunc("POST /logout", a.submitLogout)
	mux.HandleFunc("GET /health/alive", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /health/ready", a.ready)
	mux.HandleFunc("GET /{$}", a.home)
	return mux
}

// ready answers 200 once Signet's admin API answers ready, so an
// orchestrator (or a test) sends browsers here only when sign-in can work.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	if _, _, err := a.Metadata.IsReady(r.Context()).Execute(); err != nil {
		a.Log.Warn("Signet's admin API is not ready", "error", err.Error())
		http.Error(w, "Signet's admin API is not ready", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// home explains the app to someone who opens it directly.
func (a *App) home(w http.ResponseWriter, _ *http.Request) {
	a.showMessage(w, http.StatusOK, message{
		Title: "About this app",
		Text:  "This app shows the login, consent and logout pages of Signet's sign-in flow. Start from an application that signs you in; it sends you here.",
	})
}

type config struct {
	AdminURL string
	Addr     string
}

// configFromEnv reads and checks the configuration, so a typo stops the
// app at start-up rather than on the first sign-in.
func configFromEnv(getenv func(string) string) (config, error) {
	admin := orDefault(getenv("SIGNET_ADMIN_URL"), "http://127.0.0.1:4445")
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, fmt.Errorf("SIGNET_ADMIN_URL=%q is not an http(s) URL", admin)
	}
	port := orDefault(getenv("PORT"), "3000")
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return config{}, fmt.Errorf("PORT=%q is not a port number", port)
	}
	return config{
		AdminURL: strings.TrimRight(admin, "/"),
		Addr:     net.JoinHostPort(orDefault(getenv("HOST"), "127.0.0.1"), port),
	}, nil
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("loginconsent stopped", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	pages, err := loadPages()
	if err != nil {
		return err
	}
	sdk := hydra.NewConfiguration()
	sdk.Servers = hydra.ServerConfigurations{{URL: cfg.AdminURL}}
	sdk.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	signet := hydra.NewAPIClient(sdk)
	app := &App{Signet: signet.OAuth2API, Metadata: signet.MetadataAPI, Users: demoUsers(), Pages: pages, Log: log}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	log.Info("listening", "url", "http://"+ln.Addr().String(), "signet_admin_url", cfg.AdminURL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
