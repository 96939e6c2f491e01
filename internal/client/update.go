package client

// Concurrent updates of a client. Every change of a stored client reads
// it, changes it and writes it back whole; the write is a compare-and-swap
// on the version read (Store.UpdateClient), and updateStored retries the
// whole read-modify-write when another write landed in between. So two
// rotations both keep their secret, a PATCH does not undo a rotation that
// landed while it ran, and two PATCHes of different fields both land.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// maxUpdateAttempts bounds the read-modify-write rounds of one change. A
// round is lost only to another write of the same client that succeeded
// between this round's read and its write, and each concurrent request
// succeeds once, so a burst of up to maxUpdateAttempts concurrent changes
// of one client all succeed; running out needs that many other changes
// to land while one request runs, which is not normal use.
const maxUpdateAttempts = 10

// errKeptChanging is what updateStored returns when every attempt lost
// its compare-and-swap.
var errKeptChanging = fmt.Errorf("client: the client kept changing while it was updated (%d attempts): %w",
	maxUpdateAttempts, storage.ErrConflict)

// updateStored applies change to the stored client id and writes the
// result if nothing else wrote the client meanwhile; otherwise it reads the
// client again and applies change again, at most maxUpdateAttempts times.
// change gets the stored client (its own copy) and returns the new state,
// or nil to write nothing (then updateStored returns old as next). change
// must build next from old and its own inputs only, without keeping
// anything between calls: it may run more than once. next.UpdatedAt is set
// here: now, or one microsecond after old's if the clock has not moved on
// (a frozen test clock, or clocks that differ between instances), so every
// update makes a new version.
//
// Errors: storage.ErrNotFound if the client is absent, errKeptChanging
// when every attempt lost, change's own errors as they are, and the
// store's other errors.
func updateStored(ctx context.Context, s Store, now func() time.Time, id string,
	change func(old *Client) (*Client, error)) (*Client, error) {
	for range maxUpdateAttempts {
		old, err := s.GetClient(ctx, id)
		if err != nil {
			return nil, err
		}
		read := *old // the version compared; change may not alter it
		read.Credentials.Rotated = slices.Clone(old.Credentials.Rotated)
		next, err := change(old)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return &read, nil
		}
		next.UpdatedAt = laterThan(now(), read.UpdatedAt)
		err = s.UpdateClient(ctx, stored(next), &read)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return nil, err
		}
	}
	return nil, errKeptChanging
}

// laterThan is t in the server's time format (UTC, microseconds), moved
// to one microsecond after prev if it is not after it.
func laterThan(t, prev time.Time) time.Time {
	t = t.UTC().Truncate(time.Microsecond)
	if floor := prev.UTC().Truncate(time.Microsecond).Add(time.Microsecond); t.Before(floor) {
		return floor
	}
	return t
}

// modify is updateStored for the admin API and dynamic registration: the
// errors are the API's. A change that lost every attempt is a 409 the
// caller can simply repeat.
func (a *Admin) modify(ctx context.Context, id, doing string, change func(old *Client) (*Client, error)) (*Client, error) {
	if len(id) > maxIDLen {
		return nil, notFound() // no stored client can have this id
	}
	next, err := updateStored(ctx, a.Store, a.Now, id, change)
	if err != nil {
		return nil, updateError(err, doing)
	}
	return next, nil
}

// updateError maps updateStored's errors to the API's: change's own
// (already API errors) as they are, a change that lost every attempt as a
// 409 the caller can simply repeat, the store's as storeError maps them.
func updateError(err error, doing string) error {
	var he *httpx.Error
	switch {
	case errors.As(err, &he):
		return err
	case errors.Is(err, errKeptChanging):
		return httpx.Conflict("The OAuth 2.0 client was changed by other requests while this one was applied, %d times in a row; send the request again.", maxUpdateAttempts).Because(err)
	}
	return storeError(err, doing)
}
