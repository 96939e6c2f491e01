package trust

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// fakeStore is an in-memory Store with the documented semantics (conflict
// on issuer+subject+kid, ordered keyset pages), holding copies.
type fakeStore struct {
	mu     sync.Mutex
	grants map[string]Grant
}

func newFakeStore() *fakeStore { return &fakeStore{grants: map[string]Grant{}} }

func (s *fakeStore) CreateTrustGrant(_ context.Context, g *Grant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.grants {
		if o.ID == g.ID || o.Issuer == g.Issuer && o.Subject == g.Subject && o.KeyID == g.KeyID {
			return storage.ErrConflict
		}
	}
	s.grants[g.ID] = *g
	return nil
}

func (s *fakeStore) GetTrustGrant(_ context.Context, id string) (*Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return &g, nil
}

func (s *fakeStore) DeleteTrustGrant(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.grants[id]; !ok {
		return storage.ErrNotFound
	}
	delete(s.grants, id)
	return nil
}

func (s *fakeStore) ListTrustGrants(_ context.Context, issuer string, p storage.Page) ([]*Grant, storage.PageResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Token != "" && !strings.HasPrefix(p.Token, "after:") {
		return nil, storage.PageResult{}, storage.ErrBadPageToken
	}
	after := strings.TrimPrefix(p.Token, "after:")
	var out []*Grant
	for _, g := range s.grants {
		if (issuer == "" || g.Issuer == issuer) && g.ID > after {
			out = append(out, &g)
		}
	}
	slices.SortFunc(out, func(a, b *Grant) int { return strings.Compare(a.ID, b.ID) })
	var res storage.PageResult
	if len(out) > p.Size {
		out = out[:p.Size]
		res.Next = "after:" + out[p.Size-1].ID
	}
	return out, res, nil
}

func (s *fakeStore) FindTrustGrants(_ context.Context, issuer, subject, keyID string, now time.Time) ([]*Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Grant
	for _, g := range s.grants {
		if g.Issuer == issuer && (g.Subject == subject || g.AllowAnySubject) &&
			(keyID == "" || g.KeyID == keyID) && g.ExpiresAt.After(now) {
			out = append(out, &g)
		}
	}
	return out, nil
}

var _ Store = (*fakeStore)(nil)
