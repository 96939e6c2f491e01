package jwk

import (
	"context"
	"testing"

	"github.com/signet-oidc/signet/internal/secret"
)

// racingStore replaces a key between the pass reading it and swapping it,
// as an admin PUT would.
type racingStore struct {
	*fakeStore
	replace func()
}

func (r racingStore) SwapSealedKey(ctx context.Context, set, kid string, old, next []byte) (bool, error) {
	if r.replace != nil {
		r.replace()
	}
	return r.fakeStore.SwapSealedKey(ctx, set, kid, old, next)
}

// TestResealKeysLeavesAReplacedKeyAlone: the key an admin replaced during
// the pass keeps the admin's value and is counted, not overwritten.
func TestResealKeysLeavesAReplacedKeyAlone(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	old := newManager(t, store, oldSecret)
	if _, err := old.Generate(ctx, "s", "EdDSA", "sig", "k"); err != nil {
		t.Fatal(err)
	}
	both := newManager(t, store, newSecret, oldSecret)
	race := racingStore{store, func() {
		store.mu.Lock()
		defer store.mu.Unlock()
		r := store.sets["s"]["k"]
		r.SealedPrivate = []byte("the admin's new key")
		store.sets["s"]["k"] = r
	}}
	got, err := ResealKeys(ctx, race, both.keyring, 10, secret.ResealReport{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Raced != 1 || got.Resealed != 0 {
		t.Errorf("count %+v; want the replaced key counted as raced", got)
	}
	if r := store.records("s"); string(r[0].SealedPrivate) != "the admin's new key" {
		t.Error("the pass overwrote the admin's change")
	}
	if _, err := ResealKeys(ctx, store, both.keyring, 0, secret.ResealReport{}); err == nil {
		t.Error("batch 0 accepted")
	}
}
