package jwk

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// fakeStore is an in-memory Store whose every method is atomic under one
// lock (as the SQL store's statements are) and counts its calls.
type fakeStore struct {
	mu      sync.Mutex
	sets    map[string]map[string]Record
	version int
	calls   atomic.Int64
}

func newFakeStore() *fakeStore { return &fakeStore{sets: map[string]map[string]Record{}} }

func (f *fakeStore) lock() func() { f.calls.Add(1); f.mu.Lock(); return f.mu.Unlock }

func (f *fakeStore) put(rec *Record) {
	if f.sets[rec.Set] == nil {
		f.sets[rec.Set] = map[string]Record{}
	}
	r := *rec
	r.Public, r.SealedPrivate = slices.Clone(rec.Public), slices.Clone(rec.SealedPrivate)
	f.sets[rec.Set][rec.KID] = r
	f.version++
}

func (f *fakeStore) AddKey(_ context.Context, rec *Record) error {
	defer f.lock()()
	if _, ok := f.sets[rec.Set][rec.KID]; ok {
		return storage.ErrConflict
	}
	f.put(rec)
	return nil
}

func (f *fakeStore) AddKeyIfSetEmpty(_ context.Context, rec *Record) (bool, error) {
	defer f.lock()()
	if len(f.sets[rec.Set]) > 0 {
		return false, nil
	}
	f.put(rec)
	return true, nil
}

func (f *fakeStore) AddKeyIfNoneAfter(_ context.Context, rec *Record, cutoff time.Time) (bool, error) {
	defer f.lock()()
	for _, r := range f.sets[rec.Set] {
		if r.CreatedAt.After(cutoff) {
			return false, nil
		}
	}
	f.put(rec)
	return true, nil
}

func (f *fakeStore) ReplaceKey(_ context.Context, rec *Record) error {
	defer f.lock()()
	f.put(rec)
	return nil
}

func (f *fakeStore) ReplaceSet(_ context.Context, set string, recs []*Record) error {
	defer f.lock()()
	seen := map[string]bool{}
	for _, rec := range recs {
		if rec.Set != set {
			return errors.New("fake store: a record belongs to another set")
		}
		if seen[rec.KID] {
			return storage.ErrConflict
		}
		seen[rec.KID] = true
	}
	delete(f.sets, set)
	for _, rec := range recs {
		f.put(rec)
	}
	f.version++
	return nil
}

func (f *fakeStore) GetKey(_ context.Context, set, kid string) (*Record, error) {
	defer f.lock()()
	r, ok := f.sets[set][kid]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return &r, nil
}

func (f *fakeStore) ListKeys(_ context.Context, set string) ([]*Record, error) {
	defer f.lock()()
	if len(f.sets[set]) == 0 {
		return nil, storage.ErrNotFound
	}
	var out []*Record
	for _, r := range f.sets[set] {
		out = append(out, &r)
	}
	slices.SortFunc(out, func(a, b *Record) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

func (f *fakeStore) DeleteKey(_ context.Context, set, kid string) error {
	defer f.lock()()
	if _, ok := f.sets[set][kid]; !ok {
		return storage.ErrNotFound
	}
	delete(f.sets[set], kid)
	f.version++
	return nil
}

func (f *fakeStore) DeleteSet(_ context.Context, set string) error {
	defer f.lock()()
	if len(f.sets[set]) == 0 {
		return storage.ErrNotFound
	}
	delete(f.sets, set)
	f.version++
	return nil
}

func (f *fakeStore) KeysVersion(context.Context) (string, error) {
	defer f.lock()()
	return strconv.Itoa(f.version), nil
}

// records returns a copy of the stored rows of set.
func (f *fakeStore) records(set string) []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Record
	for _, r := range f.sets[set] {
		out = append(out, r)
	}
	return out
}

// SealedKeysAfter and SwapSealedKey make fakeStore a ResealStore.
func (f *fakeStore) SealedKeysAfter(_ context.Context, set, kid string, limit int) ([]*Record, error) {
	defer f.lock()()
	var out []*Record
	for _, keys := range f.sets {
		for _, r := range keys {
			if r.SealedPrivate != nil && (r.Set > set || r.Set == set && r.KID > kid) {
				out = append(out, &r)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Record) int {
		if a.Set != b.Set {
			return strings.Compare(a.Set, b.Set)
		}
		return strings.Compare(a.KID, b.KID)
	})
	return out[:min(limit, len(out))], nil
}

func (f *fakeStore) SwapSealedKey(_ context.Context, set, kid string, old, next []byte) (bool, error) {
	defer f.lock()()
	r, ok := f.sets[set][kid]
	if !ok || !bytes.Equal(r.SealedPrivate, old) {
		return false, nil
	}
	r.SealedPrivate = slices.Clone(next)
	f.sets[set][kid] = r
	f.version++
	return true, nil
}
