package client

import (
	"context"

	"github.com/signet-oidc/signet/internal/storage"
)

// Filter narrows a client listing; empty fields match everything.
type Filter struct {
	Name  string // exact client_name
	Owner string // exact owner
}

// Store persists clients. Implementations must keep every field of Client
// (except Secret, which is never stored) and return times in UTC.
type Store interface {
	// CreateClient inserts c; storage.ErrConflict if c.ID exists.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient returns the client or storage.ErrNotFound.
	GetClient(ctx context.Context, id string) (*Client, error)
	// UpdateClient replaces every stored field of c.ID but CreatedAt with
	// c, a compare-and-swap: only if the stored client is still read, the
	// version the caller got from GetClient (its UpdatedAt and
	// Credentials). c.UpdatedAt must be after read.UpdatedAt (to the
	// microsecond) so that every update makes a new version.
	// storage.ErrConflict if the client changed since read,
	// storage.ErrNotFound if absent. Callers retry through updateStored
	// (the declared-clients sync through its own create-or-update loop).
	UpdateClient(ctx context.Context, c, read *Client) error
	// DeleteClient removes the client and, in the same transaction, every
	// token issued to it; storage.ErrNotFound if absent.
	DeleteClient(ctx context.Context, id string) error
	// ListClients returns clients ordered by ID, after p.Token, at most p.Size.
	ListClients(ctx context.Context, f Filter, p storage.Page) ([]*Client, storage.PageResult, error)
}
