package oauth2test

import (
	"context"
	"sync"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Calls counts storage round trips, so tests can assert the budgets.
type Calls struct {
	mu sync.Mutex
	// ClientReads counts GetClient, AccessWrites CreateAccess, AccessReads
	// GetAccess, Revokes RevokeAccess and ClientRevokes RevokeByClient.
	ClientReads, AccessWrites, AccessReads, Revokes, ClientRevokes int
}

// Total is the number of round trips so far.
func (c *Calls) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ClientReads + c.AccessWrites + c.AccessReads + c.Revokes + c.ClientRevokes
}

// Reset forgets the round trips so far.
func (c *Calls) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ClientReads, c.AccessWrites, c.AccessReads, c.Revokes, c.ClientRevokes = 0, 0, 0, 0, 0
}

// DB is a client.Store and token.Store in memory. Tests may change Clients
// and Tokens between requests, not while one runs.
type DB struct {
	Calls
	Clients map[string]*client.Client
	// Tokens are the access records by digest.
	Tokens map[string]*token.AccessRecord
}

// NewDB is an empty store.
func NewDB() *DB {
	return &DB{Clients: map[string]*client.Client{}, Tokens: map[string]*token.AccessRecord{}}
}

func (f *DB) CreateClient(context.Context, *client.Client) error { panic("unused") }
func (f *DB) UpdateClient(context.Context, *client.Client, *client.Client) error {
	panic("unused")
}
func (f *DB) DeleteClient(context.Context, string) error { panic("unused") }
func (f *DB) ListClients(context.Context, client.Filter, storage.Page) ([]*client.Client, storage.PageResult, error) {
	panic("unused")
}

// GetClient returns a copy, so a caller's changes do not leak back.
func (f *DB) GetClient(_ context.Context, id string) (*client.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ClientReads++
	c, ok := f.Clients[id]
	if !ok {
		return nil, storage.ErrNotFound
	}
	cp := *c
	return &cp, nil
}

func (f *DB) CreateAccess(_ context.Context, a *token.AccessRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.AccessWrites++
	f.Tokens[string(a.Digest)] = a
	return nil
}

func (f *DB) GetAccess(_ context.Context, d []byte) (*token.AccessRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.AccessReads++
	if r, ok := f.Tokens[string(d)]; ok {
		cp := *r
		return &cp, nil
	}
	return nil, storage.ErrNotFound
}

func (f *DB) RevokeAccess(_ context.Context, d []byte, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Revokes++
	r, ok := f.Tokens[string(d)]
	if !ok || r.ClientID != clientID {
		return storage.ErrNotFound
	}
	r.RevokedAt = &at
	return nil
}

func (f *DB) RevokeByClient(_ context.Context, clientID string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ClientRevokes++
	for _, r := range f.Tokens {
		if r.ClientID == clientID && r.RevokedAt == nil {
			r.RevokedAt = &at
		}
	}
	return nil
}

// WithTokens runs fn on Tokens under the store's lock, for the fakes of
// other stores (a token.FlowStore) that write access records beside it.
func (f *DB) WithTokens(fn func(tokens map[string]*token.AccessRecord)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.Tokens)
}
