package client

import (
	"context"
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/secret"
)

// declared builds a clients.declared entry as config.Load leaves it.
func declared(fields map[string]any, hash, env string) config.DeclaredClient {
	return config.DeclaredClient{Fields: fields, SecretHash: hash, Secret: env}
}

func mustParse(t *testing.T, entries ...config.DeclaredClient) []Declared {
	t.Helper()
	ds, err := ParseDeclared(entries)
	if err != nil {
		t.Fatalf("ParseDeclared: %v", err)
	}
	return ds
}

func mustSync(t *testing.T, a *Admin, ds []Declared) SyncResult {
	t.Helper()
	res, err := a.Sync(context.Background(), ds)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return res
}

func mustHash(t *testing.T, a *Admin, plain string) string {
	t.Helper()
	h, err := a.Hasher.Hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The first start creates the declared clients, marked and with the
// declared secret; a second start with the same file writes nothing; a
// changed field is an update.
func TestSyncCreatesThenConverges(t *testing.T) {
	env := newEnv(t)
	a := env.admin
	hash := mustHash(t, a, "billing-secret-0123456789")
	ds := mustParse(t,
		declared(map[string]any{"client_id": "billing", "grant_types": []any{"client_credentials"}, "scope": "invoices.read",
			"metadata": map[string]any{"team": "payments"}}, hash, ""),
		declared(map[string]any{"client_id": "web", "redirect_uris": []any{"https://web.example/cb"},
			"token_endpoint_auth_method": "client_secret_jwt"}, "", strings.Repeat("w", 64)),
		declared(map[string]any{"client_id": "spa", "redirect_uris": []any{"https://spa.example/cb"},
			"token_endpoint_auth_method": "none"}, "", ""),
	)
	res := mustSync(t, a, ds)
	if !slices.Equal(res.Created, []string{"billing", "web", "spa"}) || len(res.Updated)+len(res.Unchanged)+len(res.Released) != 0 {
		t.Fatalf("first sync: %+v", res)
	}
	billing := env.store.clients["billing"]
	if billing.SecretHash != hash || billing.Credentials.ManagedBy != ManagedByConfig || string(billing.Metadata) != `{"team":"payments"}` {
		t.Errorf("billing stored as %+v", billing)
	}
	web := env.store.clients["web"]
	if a.Hasher.Verify(web.SecretHash, strings.Repeat("w", 64)) != nil {
		t.Error("web's stored hash does not verify the secret from its environment variable")
	}
	if plain, err := OpenSecret(a.Keyring, "web", web.Credentials.SealedSecret); err != nil || plain != strings.Repeat("w", 64) {
		t.Errorf("web (client_secret_jwt) has no usable sealed secret: %v", err)
	}
	if spa := env.store.clients["spa"]; spa.SecretHash != "" {
		t.Error("a public client got a secret")
	}
	if env.store.plaintext {
		t.Fatal("a plaintext secret reached storage")
	}

	before := env.store.snapshot(t)
	env.now = env.now.Add(time.Hour)
	res = mustSync(t, a, mustParse(t,
		declared(map[string]any{"client_id": "billing", "grant_types": []any{"client_credentials"}, "scope": "invoices.read",
			"metadata": map[string]any{"team": "payments"}}, hash, ""),
		declared(map[string]any{"client_id": "web", "redirect_uris": []any{"https://web.example/cb"},
			"token_endpoint_auth_method": "client_secret_jwt"}, "", strings.Repeat("w", 64)),
		declared(map[string]any{"client_id": "spa", "redirect_uris": []any{"https://spa.example/cb"},
			"token_endpoint_auth_method": "none"}, "", ""),
	))
	if len(res.Unchanged) != 3 || env.store.snapshot(t) != before {
		t.Fatalf("an unchanged file wrote to the store: %+v", res)
	}

	res = mustSync(t, a, mustParse(t,
		declared(map[string]any{"client_id": "billing", "grant_types": []any{"client_credentials"}, "scope": "invoices.read invoices.write"}, hash, ""),
		declared(map[string]any{"client_id": "web", "redirect_uris": []any{"https://web.example/cb"},
			"token_endpoint_auth_method": "client_secret_jwt"}, "", strings.Repeat("v", 64)),
		declared(map[string]any{"client_id": "spa", "redirect_uris": []any{"https://spa.example/cb"},
			"token_endpoint_auth_method": "none"}, "", ""),
	))
	if !slices.Equal(res.Updated, []string{"billing", "web"}) || !slices.Equal(res.Unchanged, []string{"spa"}) {
		t.Fatalf("changed file: %+v", res)
	}
	if got := env.store.clients["billing"]; got.Scope != "invoices.read invoices.write" || got.Metadata != nil || !got.UpdatedAt.Equal(env.now.Truncate(time.Microsecond)) {
		t.Errorf("billing after update: scope %q metadata %s updated_at %v", got.Scope, got.Metadata, got.UpdatedAt)
	}
	if a.Hasher.Verify(env.store.clients["web"].SecretHash, strings.Repeat("v", 64)) != nil {
		t.Error("web's new secret from the environment was not stored")
	}
}

// A client created through the API and then declared is taken over: the
// file is the whole truth, so its rotated secrets go.
func TestSyncAdoptsAnAPIClient(t *testing.T) {
	env := newEnv(t)
	rec := env.do(t, "POST", "/admin/clients", `{"client_id":"legacy","grant_types":["client_credentials"]}`)
	wantStatus(t, rec, http.StatusCreated)
	wantStatus(t, env.do(t, "POST", "/admin/clients/legacy/secrets/rotate", ""), http.StatusOK)
	hash := mustHash(t, env.admin, "legacy-secret-0123")
	res := mustSync(t, env.admin, mustParse(t, declared(map[string]any{"client_id": "legacy", "grant_types": []any{"client_credentials"}}, hash, "")))
	if !slices.Equal(res.Updated, []string{"legacy"}) {
		t.Fatalf("sync: %+v", res)
	}
	got := env.store.clients["legacy"]
	if got.SecretHash != hash || len(got.Credentials.Rotated) != 0 || got.Credentials.ManagedBy != ManagedByConfig {
		t.Errorf("adopted client: %+v", got.Credentials)
	}
}

// Every bad declaration fails the sync with the entry's key, and nothing
// is written, not even the valid entries before it.
func TestSyncRefusesBadDeclarations(t *testing.T) {
	good := declared(map[string]any{"client_id": "good", "grant_types": []any{"client_credentials"}}, "", "good-secret-0123456789")
	for _, tc := range []struct {
		name  string
		entry config.DeclaredClient
		want  string
	}{
		{"unknown field", declared(map[string]any{"client_id": "x", "client_nmae": "typo", "token_endpoint_auth_method": "none"}, "", ""), `unknown field "client_nmae"`},
		{"wrong type", declared(map[string]any{"client_id": "x", "redirect_uris": "https://x.example/cb"}, "", "s3cret-value"), "redirect_uris must be []string"},
		{"server-owned field", declared(map[string]any{"client_id": "x", "created_at": "2020-01-01T00:00:00Z"}, "", ""), "created_at is set by the server"},
		{"admin API rules", declared(map[string]any{"client_id": "x", "redirect_uris": []any{"not a url"}, "token_endpoint_auth_method": "none"}, "", ""), "redirect_uris"},
		{"secret for a public client", declared(map[string]any{"client_id": "x", "token_endpoint_auth_method": "none"}, "", "s3cret-value"), "uses no client secret"},
		{"confidential without secret", declared(map[string]any{"client_id": "x"}, "", ""), "needs a client secret"},
		{"hash for client_secret_jwt", declared(map[string]any{"client_id": "x", "token_endpoint_auth_method": "client_secret_jwt"},
			"$2a$10$012345678901234567890u0123456789012345678901234567890", ""), "set client_secret_env instead"},
		{"malformed hash", declared(map[string]any{"client_id": "x"}, "$pbkdf2-sha256$i=1000$c2FsdA$a2V5", ""), "client_secret_hash must be"},
		{"short secret from env", declared(map[string]any{"client_id": "x"}, "", "abc"), "client_secret_env variable is not accepted"},
		{"HMAC key too short", declared(map[string]any{"client_id": "x", "token_endpoint_auth_method": "client_secret_jwt"}, "", "short-but-valid-secret"), "at least 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			ds, err := ParseDeclared([]config.DeclaredClient{good, tc.entry})
			if err == nil {
				_, err = env.admin.Sync(context.Background(), ds)
			}
			if err == nil || !strings.Contains(err.Error(), "clients.declared[1]") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v: want clients.declared[1] and %q", err, tc.want)
			}
			if len(env.store.clients) != 0 {
				t.Errorf("a failed sync stored %d clients", len(env.store.clients))
			}
			if strings.Contains(err.Error(), "s3cret-value") {
				t.Error("the error shows the secret")
			}
		})
	}
}

// Several instances starting at once with the same file converge on one
// client: the losers of the create re-read it and, holding the same
// secret, leave it alone.
func TestSyncConcurrentStarts(t *testing.T) {
	store := newFakeStore()
	ds := mustParse(t, declared(map[string]any{"client_id": "svc", "grant_types": []any{"client_credentials"}}, "", "svc-secret-0123456789"))
	const instances = 8
	results := make([]SyncResult, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i := range instances {
		a := &Admin{Store: store, Hasher: secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader},
			Now: time.Now, Rand: rand.Reader}
		wg.Go(func() { results[i], errs[i] = a.Sync(context.Background(), ds) })
	}
	wg.Wait()
	created := 0
	for i := range instances {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		created += len(results[i].Created)
	}
	if created != 1 || len(store.clients) != 1 {
		t.Fatalf("%d creates, %d clients; want exactly one", created, len(store.clients))
	}
}

// A client no longer declared is kept and handed back to the admin API.
func TestSyncReleasesUndeclaredClients(t *testing.T) {
	env := newEnv(t)
	both := mustParse(t,
		declared(map[string]any{"client_id": "stays", "token_endpoint_auth_method": "none"}, "", ""),
		declared(map[string]any{"client_id": "goes", "token_endpoint_auth_method": "none"}, "", ""))
	mustSync(t, env.admin, both)
	wantStatus(t, env.do(t, "DELETE", "/admin/clients/goes", ""), http.StatusConflict)

	res := mustSync(t, env.admin, both[:1])
	if !slices.Equal(res.Released, []string{"goes"}) {
		t.Fatalf("released %v, want [goes]", res.Released)
	}
	if got, ok := env.store.clients["goes"]; !ok || got.Credentials.ManagedBy != "" {
		t.Fatalf("the undeclared client was deleted or is still marked: %+v", got)
	}
	wantStatus(t, env.do(t, "DELETE", "/admin/clients/goes", ""), http.StatusNoContent)
	wantStatus(t, env.do(t, "DELETE", "/admin/clients/stays", ""), http.StatusConflict)
}

// Every admin API write to a managed client is refused with a 409 that
// says where to change it, and changes nothing; reading it still works
// and shows nothing Hydra's client model lacks.
func TestAdminRefusesManagedClients(t *testing.T) {
	env := newEnv(t)
	mustSync(t, env.admin, mustParse(t, declared(map[string]any{"client_id": "managed", "grant_types": []any{"client_credentials"}},
		"", "managed-secret-0123456789")))
	before := env.store.snapshot(t)
	for _, r := range []struct{ method, path, body, contentType string }{
		{"PUT", "/admin/clients/managed", `{"client_name":"renamed","grant_types":["client_credentials"]}`, ""},
		{"PATCH", "/admin/clients/managed", `[{"op":"replace","path":"/client_name","value":"renamed"}]`, ""},
		{"DELETE", "/admin/clients/managed", "", ""},
		{"PUT", "/admin/clients/managed/lifespans", `{"client_credentials_grant_access_token_lifespan":"1m0s"}`, ""},
		{"POST", "/admin/clients/managed/secrets/rotate", "", ""},
		{"DELETE", "/admin/clients/managed/secrets/rotate", "", ""},
	} {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			rec := env.do(t, r.method, r.path, r.body)
			wantStatus(t, rec, http.StatusConflict)
			body := rec.Body.String()
			if !strings.Contains(body, "managed by the configuration file") || !strings.Contains(body, "clients.declared") {
				t.Errorf("the refusal does not say why: %s", body)
			}
		})
	}
	if env.store.snapshot(t) != before {
		t.Error("a refused request changed the stored client")
	}
	get := env.do(t, "GET", "/admin/clients/managed", "")
	wantStatus(t, get, http.StatusOK)
	if strings.Contains(get.Body.String(), "managed_by") {
		t.Errorf("the view shows the internal mark: %s", get.Body)
	}
}

// checkSecretHash accepts exactly what secret.Hasher can verify.
func TestCheckSecretHash(t *testing.T) {
	h := secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}
	pbkdf2Hash, err := h.Hash("a-secret")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("a-secret"), 4)
	if err != nil {
		t.Fatal(err)
	}
	bcryptY := "$2y$" + string(bc[4:]) // htpasswd -B writes $2y$
	for _, tc := range []struct {
		hash string
		ok   bool
	}{
		{pbkdf2Hash, true},
		{string(bc), true},
		{bcryptY, true},
		{"", false},
		{"a-secret", false},
		{"$pbkdf2-sha256$i=1000,l=32$c2FsdA", false},
		{strings.Replace(pbkdf2Hash, "i=1000", "i=0", 1), false},
		{strings.Replace(pbkdf2Hash, "i=1000", "i=99999999", 1), false},
		{strings.Replace(pbkdf2Hash, "l=32", "l=31", 1), false},
		{pbkdf2Hash + "=", false},
		{"$pbkdf2-sha512$i=1000,l=32$c2FsdA$" + strings.Repeat("A", 43), false},
		{string(bc[:59]), false},
		{"$2a$99$" + string(bc[7:]), false},
	} {
		if err := checkSecretHash(tc.hash); (err == nil) != tc.ok {
			t.Errorf("checkSecretHash(%q) = %v, want ok=%v", tc.hash, err, tc.ok)
		}
		if tc.ok {
			if err := h.Verify(tc.hash, "a-secret"); err != nil {
				t.Errorf("accepted %q but Hasher.Verify refuses it: %v", tc.hash, err)
			}
		}
	}
}
