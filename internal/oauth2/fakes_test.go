package oauth2

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/token"
)

// fakeAuth stands in for clientauth.Authenticator, which these tests cannot
// import (clientauth imports oauth2). Like the real one it reads the client
// named by HTTP Basic or client_id once, accepts a public client without a
// secret and a confidential one whose secret matches its hash. The real
// rules (one method per request, expiry, the uniform hint,
// WWW-Authenticate, the hash gate) are tested in clientauth, through these
// endpoints. The fixture's ids and secrets need no form-encoding.
type fakeAuth struct {
	clients client.Store
	hasher  secret.Hasher
}

func (a fakeAuth) Authenticate(ctx context.Context, r *http.Request, form url.Values) (*client.Client, error) {
	id, sec, basic := r.BasicAuth()
	if !basic {
		id, sec = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return nil, InvalidClient("no client authentication")
	}
	c, err := a.clients.GetClient(ctx, id)
	switch {
	case err != nil:
		return nil, InvalidClient("unknown client")
	case IsPublic(c) && sec == "":
		return c, nil
	case IsPublic(c) || a.hasher.Verify(c.SecretHash, sec) != nil:
		return nil, InvalidClient("wrong secret")
	}
	return c, nil
}

// harness is every endpoint of this package wired to the shared fakes.
type harness struct {
	db     *oauth2test.DB
	clock  *oauth2test.Clock
	cfg    *config.Config
	hasher secret.Hasher // hashes the fake clients' secrets
	auth   ClientAuthenticator
	opaque *token.Opaque
	jwt    *token.JWT
	tokenH http.Handler
	intro  http.Handler
	revoke http.Handler
	admin  http.Handler
}

// newHarness wires the endpoints onto oauth2test.NewEnv's clients.
func newHarness(t testing.TB) *harness {
	t.Helper()
	env := oauth2test.NewEnv(t)
	h := &harness{db: env.DB, clock: env.Clock, cfg: env.Cfg, hasher: env.Hasher,
		opaque: env.Opaque, jwt: env.JWT}
	h.auth = fakeAuth{clients: env.DB, hasher: env.Hasher}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.tokenH = rd.OAuth((&TokenEndpoint{Auth: h.auth, Grants: map[string]Grant{
		GrantClientCredentials: &ClientCredentials{Issuer: env.Issuer, Config: env.Config, Now: h.clock.Now, Rand: rand.Reader},
	}}).Handle)
	h.intro = rd.OAuth((&Introspection{Tokens: h.db, Opaque: h.opaque, JWT: h.jwt, Config: env.Config, Now: h.clock.Now}).Handle)
	h.revoke = rd.OAuth((&Revocation{Auth: h.auth, Tokens: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now}).Handle)
	h.admin = rd.OAuth((&AdminTokens{Tokens: h.db, Now: h.clock.Now}).DeleteByClient)
	return h
}
