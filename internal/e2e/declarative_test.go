package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// declaredEnv declares two clients through CLIENTS_DECLARED: one whose
// secret is in the environment, one given as a hash.
func declaredEnv(t *testing.T) []string {
	t.Helper()
	hash, err := secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: strings.NewReader(strings.Repeat("salt", 4))}.
		Hash("hashed-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	list, _ := json.Marshal([]map[string]any{
		{"client_id": "from-env", "grant_types": []string{"client_credentials"}, "scope": "read", "client_secret_env": "FROM_ENV_SECRET"},
		{"client_id": "from-hash", "grant_types": []string{"client_credentials"}, "scope": "read", "client_secret_hash": hash,
			"metadata": map[string]any{"owner-team": "billing"}},
	})
	return []string{"CLIENTS_DECLARED=" + string(list), "FROM_ENV_SECRET=env-secret-0123456789"}
}

// TestDeclaredClients: clients of clients.declared exist after start-up on
// every database, authenticate with their declared secrets, show as
// ordinary clients, and the admin API refuses to change them with a 409
// that says where they are managed.
func TestDeclaredClients(t *testing.T) {
	t.Parallel()
	for _, b := range backends(signettest.WithEnv(declaredEnv(t)...)) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			srv := b.start(t)
			for id, sec := range map[string]string{"from-env": "env-secret-0123456789", "from-hash": "hashed-secret-0123456789"} {
				r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}, &[2]string{id, sec})
				if r.Status != http.StatusOK {
					t.Errorf("token for declared client %s: %d %s", id, r.Status, r.Body)
				}
			}
			got, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), "from-hash").Execute()
			if err != nil {
				t.Fatalf("GetOAuth2Client: %v", sdkErr(err))
			}
			if got.Metadata == nil || got.GetScope() != "read" {
				t.Errorf("declared client read back as %+v", got)
			}

			for _, req := range []struct{ method, path, body string }{
				{http.MethodPut, "/admin/clients/from-env", `{"grant_types":["client_credentials"],"scope":"read write"}`},
				{http.MethodPatch, "/admin/clients/from-env", `[{"op":"replace","path":"/scope","value":"read write"}]`},
				{http.MethodDelete, "/admin/clients/from-env", ""},
				{http.MethodPost, "/admin/clients/from-env/secrets/rotate", ""},
			} {
				ct := ""
				if req.body != "" {
					ct = "application/json"
				}
				r := send(t, req.method, srv.AdminURL+req.path, ct, strings.NewReader(req.body), nil)
				if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "managed by the configuration file") {
					t.Errorf("%s %s: %d %s, want 409 naming the configuration file", req.method, req.path, r.Status, r.Body)
				}
			}
		})
	}
}

// TestDeclaredClientsConcurrentStarts: instances starting together with
// the same file on one database all start, and one client results.
func TestDeclaredClientsConcurrentStarts(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  func(*testing.T) string
	}{
		{"PostgreSQL", storetest.PostgresDSN},
		{"MySQL", storetest.MySQLDSN},
	} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			dsn := db.dsn(t)
			storetest.OpenDSN(t, dsn)
			env := append([]string{"DSN=" + dsn, "SECRETS_SYSTEM=declared-test-system-secret-0123",
				"URLS_SELF_ISSUER=https://auth.example.com/", "OAUTH2_HASHERS_PBKDF2_ITERATIONS=1000"}, declaredEnv(t)...)
			const instances = 4
			errs := make([]error, instances)
			var wg sync.WaitGroup
			for i := range instances {
				wg.Go(func() {
					cfg, _, err := config.Load(nil, env, false)
					if err != nil {
						errs[i] = err
						return
					}
					a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
						app.WithRSABits(2048), app.WithKeyPollInterval(time.Hour))
					if err == nil {
						err = a.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("instance %d: %v", i, err)
				}
			}
			store := storetest.OpenDSN(t, dsn)
			list, _, err := store.ListClients(context.Background(), client.Filter{}, storage.Page{})
			if err != nil || len(list) != 2 {
				t.Fatalf("%d clients (%v), want the two declared", len(list), err)
			}
			for _, c := range list {
				if c.Credentials.ManagedBy != client.ManagedByConfig {
					t.Errorf("client %s is not marked as managed by the configuration", c.ID)
				}
			}
		})
	}
}
