package clientauth

import (
	"context"
	"errors"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// hashGate bounds how many slow secret verifications (pbkdf2, bcrypt) run at
// once. Without it, anyone who knows or guesses client ids can send wrong
// secrets faster than the CPUs can hash them, and legitimate requests queue
// behind the attack. With it, the excess is refused quickly with a 503 while
// the remaining cores keep serving everything else, including clients whose
// secret is in the SecretCache (those never reach the gate).
type hashGate struct {
	slots chan struct{}
	// wait bounds how long a request queues for a slot: long enough to ride
	// out a burst, short enough that an attack cannot pile up goroutines.
	wait time.Duration
}

func newHashGate(slots int, wait time.Duration) hashGate {
	return hashGate{slots: make(chan struct{}, slots), wait: wait}
}

// acquire takes a slot, waiting at most g.wait or until ctx ends. On
// success the caller must call release exactly once.
func (g hashGate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil // the common, uncontended case allocates no timer
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return overloaded(errors.New("no secret verification slot became free in time"))
	case <-ctx.Done():
		// The cause lets the renderer recognise a caller that went away.
		return overloaded(ctx.Err())
	}
}

func (g hashGate) release() { <-g.slots }

// overloaded is the answer to a request that found the gate full.
func overloaded(cause error) *httpx.Error {
	return oauth2.TemporarilyUnavailable("The server is verifying too many client credentials at once; retry after one second.", 1).
		Because(cause)
}
