package flow

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/signet-oidc/signet/internal/token"
)

// The browser half of the device authorization grant (RFC 8628 section
// 3.3): the user opens the verification URI, the operator's page asks for
// the user code, and the admin API binds the flow to the device request
// behind that code. From then on it is an ordinary login and consent flow.

// NewDevice starts the flow of a browser that opened the verification URI.
// It returns the value for the device CSRF cookie, as New does.
func NewDevice(r io.Reader, now time.Time) (f *Flow, csrfCookie string, err error) {
	f, csrfCookie, err = New(r, now, "", Request{Device: true})
	if err != nil {
		return nil, "", err
	}
	f.State = StateDeviceRequested
	return f, csrfCookie, nil
}

// AcceptDevice binds the flow to the device request d whose user code was
// entered: the flow takes d's request ID (so the consent, and every token
// of the grant, share it), its client, scope and audience.
func (f *Flow) AcceptDevice(d *token.DeviceRecord) error {
	if !f.Request.Device {
		return fmt.Errorf("%w: not a device flow", ErrTransition)
	}
	if err := f.move(StateDeviceRequested, StateInitialised); err != nil {
		return err
	}
	f.ID = d.RequestID
	f.ClientID = d.ClientID
	f.Request.Scope = slices.Clone(d.Scopes)
	f.Request.Audience = slices.Clone(d.Audience)
	return nil
}

// UserCodeLimiter bounds user code guessing (RFC 8628 section 5.1: "the
// authorization server SHOULD ... rate-limit"). Two bounds apply, per
// process, in windows of Window:
//
//   - PerChallenge wrong codes per device challenge; the page must then
//     start again at the verification URI;
//   - Budget wrong codes in all. When it is spent, every user code check,
//     right or wrong, is refused until the window ends: a guesser who
//     opens challenge after challenge gains nothing, and the chance of
//     hitting one of N live codes is at most Budget*N/alphabet^length per
//     window (docs/device-authorization.md works it out).
//
// Memory is bounded by Budget: only failures are remembered, and the
// window's end forgets them.
type UserCodeLimiter struct {
	PerChallenge int
	Budget       int
	Window       time.Duration
	Now          func() time.Time

	mu       sync.Mutex
	start    time.Time
	failures int
	perFlow  map[string]int
}

// limitVerdict is the limiter's answer before a check.
type limitVerdict int

const (
	limitOK limitVerdict = iota
	limitChallenge
	limitBudget
)

// allow says whether a user code may be checked for the challenge with
// flow ID id.
func (l *UserCodeLimiter) allow(id string) limitVerdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll()
	switch {
	case l.failures >= l.Budget:
		return limitBudget
	case l.perFlow[id] >= l.PerChallenge:
		return limitChallenge
	}
	return limitOK
}

// fail counts a wrong code for the challenge with flow ID id.
func (l *UserCodeLimiter) fail(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll()
	l.failures++
	l.perFlow[id]++
}

// roll starts a new window when the current one is over.
func (l *UserCodeLimiter) roll() {
	now := l.Now()
	if l.perFlow == nil || !now.Before(l.start.Add(l.Window)) {
		l.start, l.failures, l.perFlow = now, 0, map[string]int{}
	}
}
