package jwk

import (
	"context"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// The admin reads below go to the store, not the snapshot: they are rare,
// must show exactly what is stored, and include private halves the
// snapshot's consumers never need to see.

// Get returns one key of set (private half included when stored) or
// storage.ErrNotFound.
func (m *Manager) Get(ctx context.Context, set, kid string) (jose.JSONWebKey, error) {
	rec, err := m.store.GetKey(ctx, set, kid)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("jwk: reading key %q of set %q: %w", kid, set, err)
	}
	return m.fullKey(rec)
}

// List returns every key of set, newest first, or storage.ErrNotFound when
// the set has none.
func (m *Manager) List(ctx context.Context, set string) (jose.JSONWebKeySet, error) {
	recs, err := m.store.ListKeys(ctx, set)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwk: listing set %q: %w", set, err)
	}
	sortNewestFirst(recs)
	out := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(recs))}
	for _, rec := range recs {
		k, err := m.fullKey(rec)
		if err != nil {
			return jose.JSONWebKeySet{}, err
		}
		out.Keys = append(out.Keys, k)
	}
	return out, nil
}

// Delete removes one key (storage.ErrNotFound if absent). In the ID token
// and access token sets, deleting the last private signing key is refused
// (see keepsSigner), even when it is the set's only key: one rule, "these
// sets always keep a signer", is easier to reason about than a regenerated
// key appearing behind the operator's back. To start afresh, DeleteSet
// removes the whole set and the next Signer call generates a new key.
func (m *Manager) Delete(ctx context.Context, set, kid string) error {
	if err := m.deleteKeepsSigner(ctx, set, kid); err != nil {
		return err
	}
	if err := m.store.DeleteKey(ctx, set, kid); err != nil {
		return fmt.Errorf("jwk: deleting key %q of set %q: %w", kid, set, err)
	}
	m.refreshAfterWrite(ctx)
	return nil
}

// DeleteSet removes every key of set (storage.ErrNotFound if it had none).
func (m *Manager) DeleteSet(ctx context.Context, set string) error {
	if err := m.store.DeleteSet(ctx, set); err != nil {
		return fmt.Errorf("jwk: deleting set %q: %w", set, err)
	}
	m.refreshAfterWrite(ctx)
	return nil
}
