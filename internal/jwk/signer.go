package jwk

import (
	"context"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/storage"
)

// Compile-time proof that Manager is what token and oidc consume.
var (
	_ SignerSource = (*Manager)(nil)
	_ KeySource    = (*Manager)(nil)
)

// Signer returns the signer of the key of set that signs now (see
// signingIndex: the newest private "sig" key whose not-before time, its
// stored CreatedAt, has passed), with that key's public half. In steady
// state it reads only the snapshot. A set not loaded yet is loaded once. When the ID token
// or access token set has no signing key (an operator deleted the last
// one), a new RS256 key is created, as at first start, so issuing tokens
// never stops; any other set without a signing key is storage.ErrNotFound.
func (m *Manager) Signer(ctx context.Context, set string) (jose.Signer, jose.JSONWebKey, error) {
	for attempt := 0; ; attempt++ {
		entries, err := m.loaded(ctx, set)
		if err != nil {
			return nil, jose.JSONWebKey{}, err
		}
		if i := signingIndex(entries, m.now()); i >= 0 {
			return entries[i].signer, entries[i].public, nil
		}
		if attempt > 0 || (set != SetIDToken && set != SetAccessToken) {
			return nil, jose.JSONWebKey{}, fmt.Errorf("jwk: set %q has no private signing key: %w", set, storage.ErrNotFound)
		}
		if err := m.EnsureKeys(ctx, set); err != nil {
			return nil, jose.JSONWebKey{}, err
		}
	}
}

// PublicKeys returns the public keys of the sets, in the order given,
// newest first within a set, from the snapshot.
func (m *Manager) PublicKeys(ctx context.Context, sets ...string) (jose.JSONWebKeySet, error) {
	ks, _, err := m.publicKeys(ctx, sets)
	return ks, err
}

// publicKeys also returns the snapshot it read, so the JWKS handler can
// cache its encoding per snapshot.
func (m *Manager) publicKeys(ctx context.Context, sets []string) (jose.JSONWebKeySet, *snapshot, error) {
	snap, err := m.snapshotWith(ctx, sets)
	if err != nil {
		return jose.JSONWebKeySet{}, nil, err
	}
	out := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, set := range sets {
		for _, e := range snap.sets[set] {
			out.Keys = append(out.Keys, e.public)
		}
	}
	return out, snap, nil
}

// loaded returns the entries of set, loading the set on first use.
func (m *Manager) loaded(ctx context.Context, set string) ([]*entry, error) {
	snap, err := m.snapshotWith(ctx, []string{set})
	if err != nil {
		return nil, err
	}
	return snap.sets[set], nil
}

// snapshotWith returns the current snapshot, first loading any of sets it
// does not hold yet (once per set per process).
func (m *Manager) snapshotWith(ctx context.Context, sets []string) (*snapshot, error) {
	snap := m.snap.Load()
	var missing []string
	for _, set := range sets {
		if _, ok := snap.sets[set]; !ok {
			missing = append(missing, set)
		}
	}
	if len(missing) == 0 {
		return snap, nil
	}
	if err := m.loadMissing(ctx, missing); err != nil {
		return nil, err
	}
	return m.snap.Load(), nil
}

// TypedSigner is Signer with another "typ" header than "JWT": logout tokens
// are "logout+jwt" (Back-Channel Logout 1.0 section 2.4) so that they can
// never be mistaken for an ID token signed by the same key. It is built per
// call from the cached private key; logout is rare, token issuance does not
// use it.
func (m *Manager) TypedSigner(ctx context.Context, set, typ string) (jose.Signer, jose.JSONWebKey, error) {
	if _, pub, err := m.Signer(ctx, set); err != nil {
		return nil, pub, err
	}
	entries, err := m.loaded(ctx, set)
	if err != nil {
		return nil, jose.JSONWebKey{}, err
	}
	if i := signingIndex(entries, m.now()); i >= 0 {
		e := entries[i]
		opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(e.private.Algorithm), Key: e.private}, opts)
		if err != nil {
			return nil, jose.JSONWebKey{}, fmt.Errorf("jwk: building a %s signer: %w", typ, err)
		}
		return s, e.public, nil
	}
	return nil, jose.JSONWebKey{}, fmt.Errorf("jwk: set %q has no private signing key: %w", set, storage.ErrNotFound)
}
