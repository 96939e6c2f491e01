package janitor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// fakeLocker is one exclusive lock, as the database gives every instance.
type fakeLocker struct {
	mu       sync.Mutex
	held     bool
	unlocks  int
	err      error
	gotLease time.Duration
}

func (l *fakeLocker) TryLock(_ context.Context, name string, _ time.Time, lease time.Duration) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, false, l.err
	}
	if name != LockName || l.held {
		return nil, false, nil
	}
	l.held, l.gotLease = true, lease
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.held = false
		l.unlocks++
	}, true, nil
}

func newBackground(f *fakeStore, l *fakeLocker) *Background {
	return &Background{
		Janitor:  &Janitor{Store: f, Now: fixedClock()},
		Locker:   l,
		Options:  func() Options { return Options{BatchSize: 10} },
		Interval: func() time.Duration { return time.Hour },
		Log:      slog.New(slog.DiscardHandler),
	}
}

// TestOneInstanceCleans: of two instances whose rounds overlap, the one
// that takes the lock cleans and the other skips its round; the lock is
// released after the round, and the lease outlives the round's budget.
func TestOneInstanceCleans(t *testing.T) {
	f := newFakeStore(map[string]int{TableAccessTokens: 25})
	l := &fakeLocker{}
	inRound, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.inBatch = func() {
		once.Do(func() {
			close(inRound)
			<-release
		})
	}
	first := newBackground(f, l)
	second := newBackground(f, l)

	done := make(chan Round)
	go func() { done <- first.RunOnce(t.Context()) }()
	<-inRound // the first instance holds the lock and is deleting
	skipped := second.RunOnce(t.Context())
	close(release)
	ran := <-done

	if skipped.Ran || skipped.Err != nil {
		t.Errorf("second instance: %+v, want a skipped round", skipped)
	}
	if !ran.Ran || ran.Err != nil || ran.Summary.Deleted != 25 {
		t.Errorf("first instance: %+v, want 25 deleted", ran)
	}
	if l.held || l.unlocks != 1 {
		t.Errorf("lock held %v after %d unlocks, want released once", l.held, l.unlocks)
	}
	if l.gotLease <= RoundBudget {
		t.Errorf("lease %v does not outlive the round budget %v", l.gotLease, RoundBudget)
	}
	if again := second.RunOnce(t.Context()); !again.Ran {
		t.Errorf("after release, the second instance still cannot clean: %+v", again)
	}
}

// TestRoundErrors: a lock error is the round's error and deletes nothing;
// a failed delete still releases the lock.
func TestRoundErrors(t *testing.T) {
	f := newFakeStore(map[string]int{TableAccessTokens: 5})
	l := &fakeLocker{err: errBoom}
	if r := newBackground(f, l).RunOnce(t.Context()); r.Ran || !errors.Is(r.Err, errBoom) || len(f.calls) != 0 {
		t.Errorf("lock error: %+v after %v, want the error and no deletes", r, f.calls)
	}
	l.err, f.fail = nil, TableAccessTokens
	if r := newBackground(f, l).RunOnce(t.Context()); !r.Ran || !errors.Is(r.Err, errBoom) {
		t.Errorf("delete error: %+v, want a round that ran and failed", r)
	}
	if l.held {
		t.Error("a failed round kept the lock")
	}
}

// TestRunLoop: Run does one round per tick with the options of that
// moment, and returns when its context ends.
func TestRunLoop(t *testing.T) {
	f := newFakeStore(map[string]int{TableAccessTokens: 3})
	b := newBackground(f, &fakeLocker{})
	ticks, rounds := make(chan time.Time), make(chan Round)
	b.Ticks, b.Rounds = ticks, rounds
	var mu sync.Mutex
	keep := time.Duration(0)
	b.Options = func() Options {
		mu.Lock()
		defer mu.Unlock()
		return Options{Tokens: true, KeepIfYounger: keep}
	}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b.Run(ctx)
	}()

	ticks <- t0
	if r := <-rounds; !r.Ran || r.Summary.Deleted != 3 {
		t.Errorf("first round: %+v, want 3 deleted", r)
	}
	mu.Lock()
	keep = time.Hour // as after a configuration reload
	mu.Unlock()
	ticks <- t0
	if r := <-rounds; !r.Ran || r.Summary.Deleted != 0 {
		t.Errorf("second round: %+v, want nothing left", r)
	}
	if got := f.befores[TableAccessTokens]; !got.Equal(t0.Add(-time.Hour)) {
		t.Errorf("second round cutoff %v, want the reloaded keep_if_younger applied", got)
	}
	cancel()
	<-stopped
}
