package app

import (
	"io"
	"time"
)

// Option adjusts New for tests only; configuration lives in config.Config.
type Option func(*options)

type options struct {
	now     func() time.Time
	rand    io.Reader
	rsaBits int
}

// WithClock replaces the wall clock.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRand replaces the randomness source.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithRSABits sets the size of generated RSA keys (tests use 2048 to start
// fast; production uses 4096).
func WithRSABits(n int) Option { return func(o *options) { o.rsaBits = n } }
