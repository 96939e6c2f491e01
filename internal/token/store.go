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
	// JKT is the thumbprint of the DPoP key the token is bound to; empty
	// for a bearer token.
	JKT string
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

// CodeRecord is an authorization code (RFC 6749 section 4.1.2), stored by
// digest like every token. It is single use and bound to the client, the
// redirect URI and the PKCE challenge.
type CodeRecord struct {
	Digest              []byte
	ClientID            string
	RequestID           string // the flow (and consent) ID; tokens minted from the code carry it
	RedirectURI         string
	CodeChallenge       string
	CodeChallengeMethod string
	Subject             string
	Scopes              []string
	Audience            []string
	// Session is what the token endpoint needs to mint the tokens: nonce,
	// auth_time, acr, amr, sid and the consent's claims, as JSON.
	Session   json.RawMessage
	IssuedAt  time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	// DPoPJKT is the authorization request's dpop_jkt (RFC 9449 section
	// 10): only a token request with a proof by that key may redeem it.
	DPoPJKT string
}

// RefreshRecord is a refresh token. Every token of one grant shares its
// RequestID (the family): reuse of a rotated refresh token revokes them all.
type RefreshRecord struct {
	Digest    []byte
	ClientID  string
	RequestID string
	Subject   string
	Scopes    []string
	Audience  []string
	Session   json.RawMessage
	IssuedAt  time.Time
	ExpiresAt time.Time
	// UsedAt is set by the first rotation; UseCount counts rotations of
	// this token (more than one only within the grace period).
	UsedAt    *time.Time
	UseCount  int
	RevokedAt *time.Time
	// JKT binds the token to a DPoP key (RFC 9449 section 5: refresh
	// tokens of public clients); refreshing needs a proof by that key.
	JKT string
}

// Grace lets a refresh token be rotated again shortly after its first use
// (oauth2.grant.refresh_token.rotation_grace_period and _reuse_count), for
// clients that refresh concurrently. The zero value allows no reuse.
type Grace struct {
	Period     time.Duration
	ReuseCount int // extra rotations allowed within Period; 0 means unlimited within Period
}

// FlowStore persists what the authorization code and refresh grants need.
// Every operation that consumes something is atomic across processes.
type FlowStore interface {
	// CreateCode stores a new code (one write).
	CreateCode(ctx context.Context, c *CodeRecord) error
	// ConsumeCode marks the code used at now and returns it; the caller
	// checks expiry and bindings. storage.ErrNotFound when unknown;
	// storage.ErrAlreadyUsed, together with the record, when it was used
	// before, so the caller can revoke the family (RFC 6749 section 4.1.2).
	ConsumeCode(ctx context.Context, digest []byte, now time.Time) (*CodeRecord, error)

	// CreateRefresh stores a new refresh token.
	CreateRefresh(ctx context.Context, r *RefreshRecord) error
	// GetRefresh returns the record, used, revoked or expired included, or
	// storage.ErrNotFound.
	GetRefresh(ctx context.Context, digest []byte) (*RefreshRecord, error)
	// RotateRefresh marks the old token used at now and stores next and its
	// access token, in one transaction. If old was already used and g does
	// not allow another use, nothing is stored and storage.ErrAlreadyUsed is
	// returned: the caller then revokes the family. Of concurrent rotations
	// of one token, exactly one succeeds unless g allows more.
	RotateRefresh(ctx context.Context, old []byte, now time.Time, g Grace, next *RefreshRecord, at *AccessRecord) error
	// RevokeRefresh revokes the refresh token if it belongs to clientID;
	// storage.ErrNotFound otherwise.
	RevokeRefresh(ctx context.Context, digest []byte, clientID string, at time.Time) error
	// RevokeFamily revokes every access and refresh token with requestID
	// and marks its unused codes used.
	RevokeFamily(ctx context.Context, requestID string, at time.Time) error
}
