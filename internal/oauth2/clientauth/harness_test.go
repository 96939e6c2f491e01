package clientauth

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/secret"
)

// harness is an Authenticator over oauth2test.NewEnv's clients, and the
// two endpoints that use it, so tests can check what a client sees.
type harness struct {
	db     *oauth2test.DB
	clock  *oauth2test.Clock
	cfg    *config.Config
	hasher secret.Hasher // hashes the fake clients' secrets
	cache  *SecretCache
	auth   *Authenticator
	tokenH http.Handler // client_credentials only
	revoke http.Handler
}

// newHarness wires the fakes; opts adjust the Authenticator (for example a
// blocking hasher or fewer verification slots).
func newHarness(t testing.TB, opts ...func(*Deps)) *harness {
	t.Helper()
	env := oauth2test.NewEnv(t)
	h := &harness{db: env.DB, clock: env.Clock, cfg: env.Cfg, hasher: env.Hasher}
	var err error
	if h.cache, err = NewSecretCache(rand.Reader, 100); err != nil {
		t.Fatal(err)
	}
	deps := Deps{Clients: h.db, Hasher: h.hasher, Cache: h.cache, Now: h.clock.Now}
	for _, o := range opts {
		o(&deps)
	}
	if h.auth, err = New(deps); err != nil {
		t.Fatal(err)
	}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.tokenH = rd.OAuth((&oauth2.TokenEndpoint{Auth: h.auth, Grants: map[string]oauth2.Grant{
		oauth2.GrantClientCredentials: &oauth2.ClientCredentials{Issuer: env.Issuer, Config: env.Config, Now: h.clock.Now, Rand: rand.Reader},
	}}).Handle)
	h.revoke = rd.OAuth((&oauth2.Revocation{Auth: h.auth, Tokens: h.db, Opaque: env.Opaque, JWT: env.JWT, Now: h.clock.Now}).Handle)
	return h
}
