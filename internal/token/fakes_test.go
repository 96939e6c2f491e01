package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/storage"
)

// fakeStore is an in-memory Store that counts calls.
type fakeStore struct {
	mu      sync.Mutex
	recs    map[string]*AccessRecord
	creates int
	gets    int
}

func newFakeStore() *fakeStore { return &fakeStore{recs: map[string]*AccessRecord{}} }

func (f *fakeStore) CreateAccess(_ context.Context, a *AccessRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	f.recs[string(a.Digest)] = a
	return nil
}

func (f *fakeStore) GetAccess(_ context.Context, d []byte) (*AccessRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if r, ok := f.recs[string(d)]; ok {
		return r, nil
	}
	return nil, storage.ErrNotFound
}

func (f *fakeStore) RevokeAccess(_ context.Context, d []byte, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[string(d)]
	if !ok || r.ClientID != clientID {
		return storage.ErrNotFound
	}
	r.RevokedAt = &at
	return nil
}

func (f *fakeStore) RevokeByClient(_ context.Context, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.recs {
		if r.ClientID == clientID {
			r.RevokedAt = &at
		}
	}
	return nil
}

// fakeKeys is a SignerSource and KeySource over one RSA key per set.
type fakeKeys struct {
	signers map[string]jose.Signer
	public  map[string]jose.JSONWebKey
}

func newRSAKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}
}

func newFakeKeys(t testing.TB, sets ...string) *fakeKeys {
	t.Helper()
	f := &fakeKeys{signers: map[string]jose.Signer{}, public: map[string]jose.JSONWebKey{}}
	for _, set := range sets {
		priv := newRSAKey(t, set+"-kid")
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: priv},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		f.signers[set] = s
		f.public[set] = priv.Public()
	}
	return f
}

func (f *fakeKeys) Signer(_ context.Context, set string) (jose.Signer, jose.JSONWebKey, error) {
	s, ok := f.signers[set]
	if !ok {
		return nil, jose.JSONWebKey{}, storage.ErrNotFound
	}
	return s, f.public[set], nil
}

func (f *fakeKeys) PublicKeys(_ context.Context, sets ...string) (jose.JSONWebKeySet, error) {
	var out jose.JSONWebKeySet
	for _, s := range sets {
		if k, ok := f.public[s]; ok {
			out.Keys = append(out.Keys, k)
		}
	}
	return out, nil
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testClaims() Claims {
	return Claims{
		ClientID: "machine", Subject: "machine", Scopes: []string{"read", "write"},
		Audience: []string{"https://api.example"}, GrantType: "client_credentials",
		Issuer: "https://issuer.example", IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour),
		RequestID: "req-1",
	}
}
