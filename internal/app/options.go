package app

import (
	"io"
	"time"

	"github.com/signet-oidc/signet/internal/janitor"
)

// Option adjusts New for tests only; configuration lives in config.Config.
type Option func(*options)

type options struct {
	now     func() time.Time
	rand    io.Reader
	rsaBits int
	keyPoll time.Duration
	// backChannelTimeout bounds one back-channel logout delivery.
	backChannelTimeout time.Duration
	// janitorTicks and janitorRounds drive and observe the background
	// janitor (see WithJanitorTicks in janitor.go).
	janitorTicks  <-chan time.Time
	janitorRounds chan<- janitor.Round
}

// WithClock replaces the wall clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRand replaces the randomness source.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithRSABits sets the size of generated RSA keys (tests use 2048 to start
// fast; production uses 4096).
func WithRSABits(n int) Option { return func(o *options) { o.rsaBits = n } }

// WithKeyPollInterval sets how often the key manager looks for key changes
// made by other instances (5s by default). Tests that count database
// statements set it long, so the poller adds nothing to their counts.
func WithKeyPollInterval(d time.Duration) Option { return func(o *options) { o.keyPoll = d } }

// WithBackChannelTimeout sets how long one back-channel logout delivery may
// take (5s by default). Tests set it long to prove the browser never waits
// for a slow client.
func WithBackChannelTimeout(d time.Duration) Option {
	return func(o *options) { o.backChannelTimeout = d }
}
