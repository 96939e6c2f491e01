package app

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/devapp"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// reloadApp is an App with what Reconfigure uses: the live configuration
// (as assemble leaves it, after devapp.Configure) and the client admin on
// an in-memory database.
func reloadApp(t *testing.T, cfg *config.Config) (*App, *client.Admin) {
	t.Helper()
	cfg, devIdentity := devapp.Configure(cfg)
	admin := &client.Admin{Store: storetest.SQLite(t), Now: time.Now,
		Hasher: secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: strings.NewReader(strings.Repeat("s", 1<<10))}}
	return &App{cfg: config.NewLive(cfg), log: slog.New(slog.DiscardHandler), clients: admin, devIdentity: devIdentity}, admin
}

func loadConfig(t *testing.T, extra ...string) *config.Config {
	t.Helper()
	cfg, _, err := config.Load(nil, append([]string{"SECRETS_SYSTEM=app-reload-test-secret-0123",
		"URLS_SELF_ISSUER=http://127.0.0.1:4444/"}, extra...), true)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The development identity app is mounted at start-up or not at all: a
// reload that would turn it off keeps its URLs and says a restart is
// needed; other keys of the same reload apply.
func TestReconfigureKeepsDevIdentityURLs(t *testing.T) {
	a, _ := reloadApp(t, loadConfig(t))
	next := loadConfig(t, "URLS_LOGIN=https://login.example.com/", "URLS_CONSENT=https://login.example.com/consent",
		"URLS_LOGOUT=https://login.example.com/logout", "TTL_ID_TOKEN=5m")
	d, err := a.Reconfigure(context.Background(), next)
	if err != nil {
		t.Fatal(err)
	}
	got := a.cfg.Get()
	if !strings.HasSuffix(got.URLs.Login, devapp.LoginPath) || got.TTL.IDToken != 5*time.Minute {
		t.Errorf("after reload: urls.login %q, ttl.id_token %s", got.URLs.Login, got.TTL.IDToken)
	}
	if !slices.Equal(d.Applied, []string{"ttl.id_token"}) || !slices.Contains(d.Restart, devIdentityKeys) {
		t.Errorf("diff %+v", d)
	}
}

// A reload that changes clients.declared syncs them; an invalid entry
// fails the reload and leaves the snapshot and the database as they were.
func TestReconfigureSyncsDeclaredClients(t *testing.T) {
	a, admin := reloadApp(t, loadConfig(t))
	before := a.cfg.Get()
	bad := loadConfig(t, `CLIENTS_DECLARED=[{"client_id":"svc","grant_types":["client_credentials"]}]`) // no secret
	if _, err := a.Reconfigure(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "clients.declared[0]") {
		t.Fatalf("Reconfigure with an invalid declared client: %v", err)
	}
	if a.cfg.Get() != before {
		t.Error("a failed reload replaced the configuration")
	}
	good := loadConfig(t, `CLIENTS_DECLARED=[{"client_id":"svc","grant_types":["client_credentials"],"client_secret_env":"SVC"}]`,
		"SVC=svc-secret-0123456789")
	d, err := a.Reconfigure(context.Background(), good)
	if err != nil || !slices.Equal(d.Applied, []string{"clients.declared"}) {
		t.Fatalf("Reconfigure: %+v, %v", d, err)
	}
	c, err := admin.Store.GetClient(context.Background(), "svc")
	if err != nil || c.Credentials.ManagedBy != client.ManagedByConfig {
		t.Fatalf("the declared client after the reload: %+v, %v", c, err)
	}
}
