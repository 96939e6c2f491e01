package flow

import (
	"context"
	"encoding/json"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
)

// The flow itself is never stored (it travels sealed in challenges and
// verifiers). What is stored is what must outlive one flow: that a verifier
// was used, remembered logins, and granted consents.

// LoginSession is a remembered authentication; the session cookie carries
// its ID. Ending it (logout, the admin API) makes the cookie useless.
type LoginSession struct {
	ID                        string // the "sid" of ID tokens
	Subject                   string
	AuthenticatedAt           time.Time
	Remember                  bool
	ExpiresAt                 time.Time
	IdentityProviderSessionID string
}

// ConsentSession is a consent the user granted. Every consent that led to
// tokens is stored (its ID is the RequestID of those tokens, so revoking
// the consent revokes them); Remember says whether later flows of the same
// subject and client may skip the consent app.
type ConsentSession struct {
	ID              string // the flow ID; equals the RequestID of its tokens
	Subject         string
	ClientID        string
	LoginSessionID  string // empty when the login was not remembered
	GrantedScopes   []string
	GrantedAudience []string
	Remember        bool
	// RememberUntil bounds a remembered consent; nil means no end.
	RememberUntil *time.Time
	// Session holds the session.access_token and session.id_token claims
	// the consent app set, as one JSON object {"access_token":…,"id_token":…}.
	Session     json.RawMessage
	Context     json.RawMessage
	RequestedAt time.Time
	HandledAt   time.Time
}

// SessionSelector names the login sessions EndLoginSessions ends: all of a
// subject's, or one by ID. Exactly one field is set.
type SessionSelector struct {
	Subject string
	ID      string
}

// Store persists what outlives a flow. Implementations must make every
// single-use operation atomic across processes.
type Store interface {
	// UseVerifier records that the verifier named by key (purpose and flow
	// ID) was used. The second call with the same key returns
	// storage.ErrAlreadyUsed. The record may be deleted after expires.
	UseVerifier(ctx context.Context, key string, expires time.Time) error

	// SaveConsent stores a handled consent; storage.ErrConflict if its ID
	// exists.
	SaveConsent(ctx context.Context, c *ConsentSession) error
	// FindRememberedConsent returns the most recently handled consent of
	// subject for clientID that is remembered and not past RememberUntil at
	// now, or storage.ErrNotFound.
	FindRememberedConsent(ctx context.Context, subject, clientID string, now time.Time) (*ConsentSession, error)
	// GetConsent returns the consent with ID id (the flow ID, which is the
	// RequestID of the tokens it led to), remembered or not, or
	// storage.ErrNotFound. Userinfo reads the consent's id_token claims
	// through it.
	GetConsent(ctx context.Context, id string) (*ConsentSession, error)
	// ListConsents lists the subject's consents, newest first, optionally
	// only those of one login session (loginSessionID != "").
	ListConsents(ctx context.Context, subject, loginSessionID string, p storage.Page) ([]*ConsentSession, storage.PageResult, error)
	// RevokeConsents deletes the subject's consents for clientID (every
	// client when clientID is "") and, in the same transaction, revokes
	// every access token, refresh token and unused code whose RequestID is
	// one of theirs. Revoking nothing is not an error.
	RevokeConsents(ctx context.Context, subject, clientID string, at time.Time) error

	// SaveLoginSession inserts or replaces the session with s.ID.
	SaveLoginSession(ctx context.Context, s *LoginSession) error
	// GetLoginSession returns the session or storage.ErrNotFound.
	GetLoginSession(ctx context.Context, id string) (*LoginSession, error)
	// EndLoginSessions deletes the selected sessions and returns what it
	// deleted (for back-channel logout).
	EndLoginSessions(ctx context.Context, sel SessionSelector) ([]LoginSession, error)
}
