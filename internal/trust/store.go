package trust

import (
	"context"
	"encoding/json"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// Grant is one trust relationship. It is immutable: the admin API creates
// and deletes grants, never updates them.
type Grant struct {
	ID      string
	Issuer  string
	Subject string // empty when AllowAnySubject
	// AllowAnySubject trusts the issuer's assertions about any subject.
	AllowAnySubject bool
	Scope           []string
	// KeyID is the public key's "kid"; PublicKey is the JWK as JSON
	// (public parts only).
	KeyID     string
	PublicKey json.RawMessage
	ExpiresAt time.Time
	CreatedAt time.Time
}

// Store persists trust grants. Times come back in UTC.
type Store interface {
	// CreateTrustGrant inserts g; storage.ErrConflict when a grant for the
	// same issuer, subject (or any-subject) and key ID exists.
	CreateTrustGrant(ctx context.Context, g *Grant) error
	// GetTrustGrant returns the grant or storage.ErrNotFound.
	GetTrustGrant(ctx context.Context, id string) (*Grant, error)
	// DeleteTrustGrant removes the grant; storage.ErrNotFound if absent.
	DeleteTrustGrant(ctx context.Context, id string) error
	// ListTrustGrants returns grants ordered by ID after p.Token, at most
	// p.Size, only those of issuer when it is non-empty.
	ListTrustGrants(ctx context.Context, issuer string, p storage.Page) ([]*Grant, storage.PageResult, error)
	// FindTrustGrants returns the grants that can vouch for an assertion:
	// issuer equal, subject equal or AllowAnySubject, key ID equal when
	// keyID is non-empty, and ExpiresAt after now. At most 100 are returned.
	FindTrustGrants(ctx context.Context, issuer, subject, keyID string, now time.Time) ([]*Grant, error)
}
