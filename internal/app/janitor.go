package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/janitor"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// startJanitor runs the background janitor when janitor.enabled is set
// (read at start: turning it on or off needs a restart), until ctx ends.
// The returned channel is closed once it has stopped, so Close can wait
// for it before closing the database. Each round reads janitor.batch_size,
// janitor.keep_if_younger, janitor.interval and ttl.login_consent_request
// from the live configuration.
func startJanitor(ctx context.Context, live *config.Live, db *sqlstore.Store, log *slog.Logger, o options) <-chan struct{} {
	done := make(chan struct{})
	if !live.Get().Janitor.Enabled {
		close(done)
		return done
	}
	b := &janitor.Background{
		Janitor: &janitor.Janitor{Store: db, Now: o.now},
		Locker:  db,
		Options: func() janitor.Options {
			c := live.Get()
			return janitor.Options{BatchSize: c.Janitor.BatchSize, KeepIfYounger: c.Janitor.KeepIfYounger,
				RequestLifespan: c.TTL.LoginConsentRequest}
		},
		Interval: func() time.Duration { return live.Get().Janitor.Interval },
		Log:      log,
		Ticks:    o.janitorTicks,
		Rounds:   o.janitorRounds,
	}
	go func() {
		defer close(done)
		b.Run(ctx)
	}()
	return done
}

// WithJanitorTicks makes the background janitor (when janitor.enabled) run
// one round per value received on ticks instead of every janitor.interval,
// and send each round's outcome on rounds (nil: not reported). Tests use
// it to clean at a moment they choose, without waiting.
func WithJanitorTicks(ticks <-chan time.Time, rounds chan<- janitor.Round) Option {
	return func(o *options) { o.janitorTicks, o.janitorRounds = ticks, rounds }
}
