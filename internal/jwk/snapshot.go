package jwk

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// snapshot is an immutable view of the loaded sets. Once stored in
// Manager.snap it is never modified, so readers need no lock.
type snapshot struct {
	// version is Store.KeysVersion read before the sets were listed; a
	// change racing the listing therefore shows up on the next Poll.
	version string
	// sets maps every loaded set name to its keys, newest first. A set
	// that is loaded but empty maps to an empty slice.
	sets map[string][]*entry
}

// entry is one key, parsed once. signer is nil when the key cannot sign
// (public-only import, use "enc", or an encryption algorithm).
type entry struct {
	public  jose.JSONWebKey
	private *jose.JSONWebKey
	signer  jose.Signer
	// notBefore is the stored CreatedAt: the key signs from then on (see
	// signingIndex); a key made by automatic rotation has it in the future.
	notBefore time.Time
	// rawPublic and sealed identify the stored row, so a reload reuses
	// this entry instead of opening and parsing the key again.
	rawPublic []byte
	sealed    []byte
}

// reload lists the sets already in the snapshot plus extra, and stores a
// new snapshot.
func (m *Manager) reload(ctx context.Context, extra ...string) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	return m.reloadLocked(ctx, extra)
}

// loadMissing loads those of sets the snapshot lacks. Many requests asking
// for the same new set at once cause one load, not one each.
func (m *Manager) loadMissing(ctx context.Context, sets []string) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	snap := m.snap.Load()
	for _, set := range sets {
		if _, ok := snap.sets[set]; !ok {
			return m.reloadLocked(ctx, sets)
		}
	}
	return nil
}

func (m *Manager) reloadLocked(ctx context.Context, extra []string) error {
	old := m.snap.Load()
	version, err := m.store.KeysVersion(ctx)
	if err != nil {
		return fmt.Errorf("jwk: reading keys version: %w", err)
	}
	names := slices.Collect(maps.Keys(old.sets))
	names = append(names, extra...)
	next := &snapshot{version: version, sets: make(map[string][]*entry, len(names))}
	for _, set := range names {
		if _, done := next.sets[set]; done {
			continue
		}
		entries, err := m.loadSet(ctx, set, old.sets[set])
		if err != nil {
			return err
		}
		next.sets[set] = entries
	}
	m.snap.Store(next)
	return nil
}

// loadSet reads one set from the store, reusing entries of prev whose row
// is unchanged.
func (m *Manager) loadSet(ctx context.Context, set string, prev []*entry) ([]*entry, error) {
	recs, err := m.store.ListKeys(ctx, set)
	if isNotFound(err) {
		return []*entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jwk: listing set %q: %w", set, err)
	}
	sortNewestFirst(recs)
	out := make([]*entry, 0, len(recs))
	for _, rec := range recs {
		if e := findSame(prev, rec); e != nil {
			out = append(out, e)
			continue
		}
		e, err := m.openRecord(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func findSame(prev []*entry, rec *Record) *entry {
	for _, e := range prev {
		if e.public.KeyID == rec.KID && e.notBefore.Equal(rec.CreatedAt) &&
			bytes.Equal(e.rawPublic, rec.Public) && bytes.Equal(e.sealed, rec.SealedPrivate) {
			return e
		}
	}
	return nil
}

// sortNewestFirst orders by CreatedAt descending, then kid descending (the
// store's order). The store promises this order already, but the choice of
// signing key must not depend on it: every instance must pick the same key,
// even between two keys created in the same microsecond.
func sortNewestFirst(recs []*Record) {
	slices.SortFunc(recs, func(a, b *Record) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.KID, a.KID)
	})
}

// openRecord parses the public half, opens and parses the private half and
// builds the signer: the only place a stored key is decrypted for use.
func (m *Manager) openRecord(rec *Record) (*entry, error) {
	var pub jose.JSONWebKey
	if err := pub.UnmarshalJSON(rec.Public); err != nil || !pub.IsPublic() {
		return nil, fmt.Errorf("jwk: stored public key %q of set %q is not a public JWK", rec.KID, rec.Set)
	}
	e := &entry{public: pub, notBefore: rec.CreatedAt, rawPublic: rec.Public, sealed: rec.SealedPrivate}
	if rec.SealedPrivate == nil {
		return e, nil
	}
	priv, err := m.openPrivate(rec)
	if err != nil {
		return nil, err
	}
	e.private = priv
	if priv.Use == "sig" && isSigningAlg(priv.Algorithm) {
		opts := (&jose.SignerOptions{}).WithType("JWT")
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(priv.Algorithm), Key: priv}, opts)
		if err != nil {
			return nil, fmt.Errorf("jwk: building signer for key %q of set %q: %w", rec.KID, rec.Set, err)
		}
		e.signer = s
	}
	return e, nil
}
