package storage

import "errors"

// The only storage errors callers inspect. Implementations wrap driver errors
// so that errors.Is works; protocol errors never come out of storage.
var (
	// ErrNotFound: the record does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict: a unique key already exists (duplicate client_id, kid…).
	ErrConflict = errors.New("storage: conflict")
	// ErrAlreadyUsed: a single-use record (code, verifier, jti) was consumed before.
	ErrAlreadyUsed = errors.New("storage: already used")
	// ErrBadPageToken: a listing was asked to continue from a page token it
	// did not issue (a client error, not a server one).
	ErrBadPageToken = errors.New("storage: invalid page token")
	// ErrInvalidValue: a write carried a text value no backend can store
	// (not UTF-8, or holding a NUL byte); a client error, not a server one.
	ErrInvalidValue = errors.New("storage: invalid value")
)

// Page sizes of every keyset-paginated listing, shared by the admin API
// (which validates page_size and writes Link headers) and the store (which
// clamps), so the two can never disagree.
const (
	// DefaultPageSize is the size of a page when the caller names none.
	DefaultPageSize = 250
	// MaxPageSize is the largest page served; larger requests are clamped.
	MaxPageSize = 1000
)

// Page asks for one page of a keyset-paginated list. Token is opaque to
// callers: it is the value a previous call returned as Next.
type Page struct {
	Size  int
	Token string
}

// PageResult describes where a listing stopped. Next is empty on the last page.
type PageResult struct {
	Next string
}
