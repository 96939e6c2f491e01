// Package signettest boots the real Signet (app.New, real listeners on
// random loopback ports) for end-to-end tests, and hands back the URLs and
// a hydra-client-go admin client, so tests exercise Signet exactly as a
// Hydra user's code would.
package signettest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/config"
)

// Server is a running Signet.
type Server struct {
	PublicURL string // http://127.0.0.1:port, no trailing slash
	AdminURL  string
	Issuer    string
	Config    *config.Config
	App       *app.App
	// Admin is the Hydra SDK pointed at the admin port.
	Admin *hydra.APIClient
	// Public is the Hydra SDK pointed at the public port.
	Public *hydra.APIClient
}

// Option adjusts the server before it starts.
type Option func(*settings)

type settings struct {
	env    []string
	mutate []func(*config.Config)
	opts   []app.Option
}

// WithEnv adds configuration as environment variables (KEY=value), the way
// an operator would set them.
func WithEnv(kv ...string) Option { return func(s *settings) { s.env = append(s.env, kv...) } }

// WithConfig changes the loaded configuration before app.New.
func WithConfig(f func(*config.Config)) Option {
	return func(s *settings) { s.mutate = append(s.mutate, f) }
}

// WithAppOptions passes test options (clock, randomness) to app.New.
func WithAppOptions(o ...app.Option) Option {
	return func(s *settings) { s.opts = append(s.opts, o...) }
}

// Start runs Signet until the test ends. The database is an in-memory
// SQLite unless the options set DSN.
func Start(t testing.TB, options ...Option) *Server {
	t.Helper()
	s := settings{}
	for _, o := range options {
		o(&s)
	}
	pub, adm := listen(t), listen(t)
	publicURL := "http://" + pub.Addr().String()
	// The test's variables come first: the loader reads the environment as
	// os.Getenv does, first entry wins, so these are only defaults.
	env := append(append([]string(nil), s.env...),
		"DSN=memory",
		"SECRETS_SYSTEM=signettest-system-secret-0123456789",
		"URLS_SELF_ISSUER="+publicURL+"/",
		"OAUTH2_HASHERS_PBKDF2_ITERATIONS=1000",
		"LOG_LEVEL=warn",
	)
	// dev mode only for the http issuer of loopback test servers.
	cfg, _, err := config.Load(nil, env, true)
	if err != nil {
		t.Fatalf("signettest: config: %v", err)
	}
	for _, f := range s.mutate {
		f(cfg)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	// No key polling during tests: statement counts must be exact, and key
	// changes made through this instance refresh its keys at once anyway.
	opts := append([]app.Option{app.WithRSABits(2048), app.WithKeyPollInterval(time.Hour)}, s.opts...)
	a, err := app.New(ctx, cfg, log, opts...)
	if err != nil {
		cancel()
		t.Fatalf("signettest: app.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, pub, adm) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("signettest: serve: %v", err)
		}
		a.Close()
	})
	srv := &Server{PublicURL: publicURL, AdminURL: "http://" + adm.Addr().String(),
		Issuer: cfg.IssuerURL(), Config: cfg, App: a}
	srv.Admin = sdk(srv.AdminURL)
	srv.Public = sdk(srv.PublicURL)
	return srv
}

func sdk(url string) *hydra.APIClient {
	c := hydra.NewConfiguration()
	c.Servers = hydra.ServerConfigurations{{URL: url}}
	c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	return hydra.NewAPIClient(c)
}

func listen(t testing.TB) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("signettest: listen: %v", err)
	}
	return l
}

// testWriter sends the server's log lines to the test log, so they show
// only for failing tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
