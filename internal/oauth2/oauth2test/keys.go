package oauth2test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
)

// Keys is a jwk.SignerSource and jwk.KeySource with one key per set.
type Keys struct {
	signers map[string]jose.Signer
	public  map[string]jose.JSONWebKey
}

// NewKeys makes one ES256 key per set, with the set's name as its kid.
func NewKeys(t testing.TB, sets ...string) *Keys {
	t.Helper()
	f := &Keys{signers: map[string]jose.Signer{}, public: map[string]jose.JSONWebKey{}}
	for _, set := range sets {
		// ES256: key generation is instant, unlike RSA (the token package
		// tests cover RSA signing).
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv := jose.JSONWebKey{Key: k, KeyID: set, Algorithm: "ES256", Use: "sig"}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		f.signers[set], f.public[set] = s, priv.Public()
	}
	return f
}

func (f *Keys) Signer(_ context.Context, set string) (jose.Signer, jose.JSONWebKey, error) {
	return f.signers[set], f.public[set], nil
}

// Public is the public half of set's key, to verify what it signed.
func (f *Keys) Public(set string) jose.JSONWebKey { return f.public[set] }

func (f *Keys) PublicKeys(_ context.Context, sets ...string) (jose.JSONWebKeySet, error) {
	var out jose.JSONWebKeySet
	for _, s := range sets {
		out.Keys = append(out.Keys, f.public[s])
	}
	return out, nil
}

// T0 is when every test clock starts.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Clock is a settable test clock; pass its Now as a component's clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

func (c *Clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// Dur is a client lifespan override of d.
func Dur(d time.Duration) *client.Duration { x := client.Duration(d); return &x }
