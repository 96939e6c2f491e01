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
