package janitor

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Locker takes a lock shared by every instance on the database without
// waiting; *sqlstore.Store implements it (PostgreSQL advisory lock, MySQL
// named lock, SQLite lease row). ok is false when another holder has it.
// A lease-based lock ends by itself at now+lease if its holder dies.
type Locker interface {
	TryLock(ctx context.Context, name string, now time.Time, lease time.Duration) (unlock func(), ok bool, err error)
}

// LockName is the lock a background round holds.
const LockName = "janitor"

// Background round bounds.
const (
	// RoundBudget ends a round that runs this long; the next round picks
	// up where it stopped. It keeps one round within its SQLite lease.
	RoundBudget = 10 * time.Minute
	// lease outlives the budget by a margin for the last statement.
	lease = RoundBudget + time.Minute
	// FirstRoundDelay is how long after start the first round waits (or
	// the interval, if shorter): a cleanup happens even on instances that
	// restart more often than the interval, but not during start-up.
	FirstRoundDelay = time.Minute
	// DefaultInterval is janitor.interval's default, also used when the
	// interval given is not positive.
	DefaultInterval = time.Hour
)

// Background runs the janitor inside `serve` (janitor.enabled): one round
// every interval, by whichever instance takes the database lock first;
// the others skip that round. Run blocks until its context ends.
type Background struct {
	Janitor *Janitor
	Locker  Locker
	// Options returns the options of the next round; it reads the live
	// configuration, so janitor.batch_size and janitor.keep_if_younger
	// apply from the next round after a reload.
	Options func() Options
	// Interval returns the time between rounds (janitor.interval).
	Interval func() time.Duration
	Log      *slog.Logger
	// Ticks, when set, replaces the timer: one round per value received.
	// Tests use it to run rounds without waiting.
	Ticks <-chan time.Time
	// Rounds, when set, receives the outcome of every round, so a test can
	// wait for one to finish.
	Rounds chan<- Round
}

// Round is the outcome of one background round.
type Round struct {
	// Ran is false when another instance held the lock.
	Ran     bool
	Summary Summary
	Err     error
}

// Run runs rounds until ctx ends.
func (b *Background) Run(ctx context.Context) {
	delay := min(b.interval(), FirstRoundDelay)
	for {
		if !b.wait(ctx, delay) {
			return
		}
		r := b.RunOnce(ctx)
		b.log(ctx, r)
		if b.Rounds != nil {
			select {
			case b.Rounds <- r:
			case <-ctx.Done():
				return
			}
		}
		delay = b.interval()
	}
}

func (b *Background) interval() time.Duration {
	if d := b.Interval(); d > 0 {
		return d
	}
	return DefaultInterval
}

// wait blocks for the next tick or d, and reports false when ctx ended.
func (b *Background) wait(ctx context.Context, d time.Duration) bool {
	ticks := b.Ticks
	if ticks == nil {
		t := time.NewTimer(d)
		defer t.Stop()
		ticks = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-ticks:
		return true
	}
}

// RunOnce runs one round if this instance gets the lock, within
// RoundBudget. A round cut short by the budget is not an error: it did
// what it could, and the next one continues.
func (b *Background) RunOnce(ctx context.Context) Round {
	unlock, ok, err := b.Locker.TryLock(ctx, LockName, b.Janitor.Now(), lease)
	if err != nil || !ok {
		return Round{Err: err}
	}
	defer unlock()
	rctx, cancel := context.WithTimeout(ctx, RoundBudget)
	defer cancel()
	sum, err := b.Janitor.Run(rctx, b.Options(), nil)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = nil
	}
	return Round{Ran: true, Summary: sum, Err: err}
}

// log reports a round: deletions at info, skips at debug, errors as
// warnings (the next round retries). Nothing is logged for a round that
// stopped because the server is shutting down.
func (b *Background) log(ctx context.Context, r Round) {
	switch {
	case ctx.Err() != nil:
	case r.Err != nil:
		b.Log.Warn("janitor round failed; the next round retries", "error", r.Err, "deleted", r.Summary.Deleted)
	case !r.Ran:
		b.Log.Debug("janitor round skipped: another instance holds the lock")
	case r.Summary.Deleted > 0:
		attrs := []any{"deleted", r.Summary.Deleted}
		for _, t := range r.Summary.Tables {
			if t.Deleted > 0 {
				attrs = append(attrs, t.Table, t.Deleted)
			}
		}
		b.Log.Info("janitor round done", attrs...)
	default:
		b.Log.Debug("janitor round done; nothing to delete")
	}
}
