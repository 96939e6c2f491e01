package oauth2test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/token"
)

// Secrets of the clients NewEnv registers.
const (
	SecretMachine = "machine-secret"
	SecretColon   = "p@ss:w+rd é"
)

// Env is what the token-side endpoints stand on: a store holding the
// standard clients, a clock at T0, a configuration, and the token minters.
// Tests wire the endpoints they exercise onto it.
type Env struct {
	DB    *DB
	Clock *Clock
	// Cfg is returned by Config; tests may change it between requests.
	Cfg *config.Config
	// Hasher hashed the clients' secrets (pbkdf2, fast settings).
	Hasher secret.Hasher
	Opaque *token.Opaque
	JWT    *token.JWT
	// Issuer mints access tokens into DB with Opaque or JWT.
	Issuer *token.Issuer
}

// NewEnv registers these clients, all allowed client_credentials unless
// said otherwise:
//   - machine: client_secret_basic, SecretMachine, scope "read write foo.*",
//     two audiences;
//   - poster: client_secret_post, "poster-secret", scope read;
//   - a:b: client_secret_basic with an id and secret (SecretColon) that
//     need form-encoding;
//   - public: method none, also authorization_code;
//   - jwtc: "jwt-secret", JWT access tokens living five minutes;
//   - expired: "old-secret", expired a second before T0;
//   - nocc: "nocc-secret", no grant types registered.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	e := &Env{DB: NewDB(), Clock: NewClock(T0),
		Hasher: secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}}
	hash := func(s string) string {
		out, err := e.Hasher.Hash(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cc := []string{"client_credentials"}
	for _, c := range []*client.Client{
		{ID: "machine", SecretHash: hash(SecretMachine), GrantTypes: cc,
			Scope: "read write foo.*", Audience: []string{"https://api.example", "https://other.example"}},
		{ID: "poster", SecretHash: hash("poster-secret"), GrantTypes: cc, Scope: "read",
			TokenEndpointAuthMethod: client.AuthClientSecretPost},
		{ID: "a:b", SecretHash: hash(SecretColon), GrantTypes: cc, Scope: "read"},
		{ID: "public", GrantTypes: []string{"client_credentials", "authorization_code"},
			Scope: "read", TokenEndpointAuthMethod: client.AuthNone},
		{ID: "jwtc", SecretHash: hash("jwt-secret"), GrantTypes: cc, Scope: "read",
			AccessTokenStrategy: token.StrategyJWT,
			Lifespans:           client.Lifespans{ClientCredentialsGrantAccessTokenLifespan: Dur(5 * time.Minute)}},
		{ID: "expired", SecretHash: hash("old-secret"), GrantTypes: cc, SecretExpiresAt: T0.Unix() - 1},
		{ID: "nocc", SecretHash: hash("nocc-secret")},
	} {
		e.DB.Clients[c.ID] = c
	}
	e.Cfg = &config.Config{}
	e.Cfg.URLs.Self.Issuer = "https://issuer.example/"
	e.Cfg.TTL.AccessToken = time.Hour
	e.Cfg.Strategies.AccessToken = token.StrategyOpaque
	e.Cfg.Strategies.Scope = "wildcard"

	keys := NewKeys(t, jwk.SetAccessToken)
	e.Opaque = &token.Opaque{MACKeys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}, Rand: rand.Reader}
	e.JWT = &token.JWT{Signer: keys, Keys: keys, Rand: rand.Reader}
	e.Issuer = &token.Issuer{Store: e.DB, Opaque: e.Opaque, JWT: e.JWT, Now: e.Clock.Now}
	return e
}

// Config is the components' view of Cfg.
func (e *Env) Config() *config.Config { return e.Cfg }
