package token

import (
	"context"
	"encoding/json"
	"time"
)

// AccessRecord is what is stored of an access token: never the token
// itself, only its digest (Digest), so a database leak yields no usable
// token.
type AccessRecord struct {
	Digest    []byte // SHA-256 of the raw token string
	ClientID  string
	Subject   string // the client_id for client_credentials
	Scopes    []string
	Audience  []string
	GrantType string
	// Strategy is "opaque" or "jwt": how the token was minted.
	Strategy  string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RevokedAt is nil while the token is live.
	RevokedAt *time.Time
	// Ext is the session's access-token extra claims (introspection "ext").
	Ext json.RawMessage
	// RequestID groups every token of one grant (a refresh family later).
	RequestID string
}

// Store persists issued tokens.
type Store interface {
	// CreateAccess records a newly minted token (one write).
	CreateAccess(ctx context.Context, a *AccessRecord) error
	// GetAccess returns the record for a digest or storage.ErrNotFound. The
	// record is returned even when expired or revoked: callers decide.
	GetAccess(ctx context.Context, digest []byte) (*AccessRecord, error)
	// RevokeAccess marks the token revoked if it belongs to clientID;
	// storage.ErrNotFound when no such token of that client exists.
	RevokeAccess(ctx context.Context, digest []byte, clientID string, at time.Time) error
	// RevokeByClient marks every live token of the client revoked.
	RevokeByClient(ctx context.Context, clientID string, at time.Time) error
}
