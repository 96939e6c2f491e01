package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/janitor"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/token"
)

// The janitor's deletes (issue 7): a sweep removes exactly the dead rows,
// in bounded batches, oldest first, and nothing that is still in use.

// The *sqlstore.Store is what the janitor and its background task use.
var (
	_ janitor.Store  = (*sqlstore.Store)(nil)
	_ janitor.Locker = (*sqlstore.Store)(nil)
)

// sweepNow is the janitor's "now" in these tests.
func sweepNow() time.Time { return baseTime().Add(100 * time.Hour) }

// probe reports whether one seeded row is still stored.
type probe struct {
	name    string
	present func() bool
}

// janitorWorld seeds one row of every kind and state and knows which of
// them a sweep at sweepNow() must delete.
type janitorWorld struct {
	t          *testing.T
	s          *sqlstore.Store
	gone, kept []probe
}

func (w *janitorWorld) expect(keep bool, p probe) {
	if keep {
		w.kept = append(w.kept, p)
	} else {
		w.gone = append(w.gone, p)
	}
}

func (w *janitorWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// found turns a lookup's error into presence, failing on anything but
// not-found.
func (w *janitorWorld) found(what string, err error) bool {
	w.t.Helper()
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		w.t.Fatalf("probe %s: %v", what, err)
	}
	return err == nil
}

func at(d time.Duration) *time.Time { tm := sweepNow().Add(d); return &tm }

// access stores an access token of request id req expiring at exp from
// now, revoked at rev from now when rev is not nil.
func (w *janitorWorld) access(name, req string, exp time.Duration, rev *time.Time, keep bool) {
	a := newAccess(name, "app")
	a.RequestID, a.ExpiresAt, a.RevokedAt = req, sweepNow().Add(exp), rev
	w.must(w.s.CreateAccess(ctx(w.t), a))
	w.expect(keep, probe{"access token " + name, func() bool {
		return w.found(name, errOnly(w.s.GetAccess(ctx(w.t), digest(name))))
	}})
}

func (w *janitorWorld) refresh(name, req string, exp time.Duration, used, rev *time.Time, keep bool) {
	r := newRefresh(name, "app", req)
	r.ExpiresAt, r.UsedAt, r.RevokedAt = sweepNow().Add(exp), used, rev
	if used != nil {
		r.UseCount = 1
	}
	w.must(w.s.CreateRefresh(ctx(w.t), r))
	w.expect(keep, probe{"refresh token " + name, func() bool {
		return w.found(name, errOnly(w.s.GetRefresh(ctx(w.t), digest(name))))
	}})
}

func (w *janitorWorld) code(name, req string, exp time.Duration, used *time.Time, keep bool) {
	c := newCode(name, "app", req)
	c.ExpiresAt, c.UsedAt = sweepNow().Add(exp), used
	w.must(w.s.CreateCode(ctx(w.t), c))
	w.expect(keep, probe{"code " + name, func() bool {
		_, err := w.s.ConsumeCode(ctx(w.t), digest(name), sweepNow())
		return errors.Is(err, storage.ErrAlreadyUsed) || w.found(name, err)
	}})
}

// verifier records a used verifier (jti: a used JTI) expiring at exp; the
// probe uses it again, which a stored record refuses. A probe that finds
// none has stored one, already expired, which the next sweep removes.
func (w *janitorWorld) verifier(key string, jti bool, exp time.Duration, keep bool) {
	use := w.s.UseVerifier
	if jti {
		use = w.s.UseJTI
	}
	w.must(use(ctx(w.t), key, sweepNow().Add(exp)))
	w.expect(keep, probe{fmt.Sprintf("used verifier %s (jti %v)", key, jti), func() bool {
		err := use(ctx(w.t), key, sweepNow().Add(-2*time.Hour))
		if err != nil && !errors.Is(err, storage.ErrAlreadyUsed) {
			w.t.Fatalf("probe %s: %v", key, err)
		}
		return err != nil
	}})
}

// login stores a remembered login session; exp nil means no expiry.
func (w *janitorWorld) login(id string, exp *time.Time, keep bool) {
	ls := newLogin(id, "alice")
	ls.ExpiresAt = time.Time{}
	if exp != nil {
		ls.ExpiresAt = *exp
	}
	w.must(w.s.SaveLoginSession(ctx(w.t), ls))
	w.expect(keep, probe{"login session " + id, func() bool {
		return w.found(id, errOnly(w.s.GetLoginSession(ctx(w.t), id)))
	}})
}

// consent stores a consent handled at handled from now; until is its
// remember_until, and remember false makes it a consent not remembered.
func (w *janitorWorld) consent(id string, handled time.Duration, remember bool, until *time.Time, keep bool) {
	c := newConsent(id, "alice", "app", 0)
	c.HandledAt, c.RequestedAt = sweepNow().Add(handled), sweepNow().Add(handled-time.Minute)
	c.Remember, c.RememberUntil = remember, until
	w.must(w.s.SaveConsent(ctx(w.t), c))
	w.expect(keep, probe{"consent " + id, func() bool {
		return w.found(id, errOnly(w.s.GetConsent(ctx(w.t), id)))
	}})
}

func (w *janitorWorld) trust(id string, exp time.Duration, keep bool) {
	g := newTrustGrant(id, "https://issuer.example", "sub-"+id, "kid-"+id)
	g.ExpiresAt = sweepNow().Add(exp)
	w.must(w.s.CreateTrustGrant(ctx(w.t), g))
	w.expect(keep, probe{"trust grant " + id, func() bool {
		return w.found(id, errOnly(w.s.GetTrustGrant(ctx(w.t), id)))
	}})
}

// pushed stores an unused pushed request of client app expiring at exp
// from now. The probe consumes it at a time before any expiry, so it
// finds exactly the rows still stored; consuming deletes the row, so each
// row is probed once, at the end of its test.
func (w *janitorWorld) pushed(ref string, exp time.Duration, keep bool) {
	digest := token.Digest(ref)
	w.must(w.s.CreatePushedRequest(ctx(w.t), digest, "app", "client_id=app", sweepNow().Add(exp)))
	w.expect(keep, probe{"pushed request " + ref, func() bool {
		return w.found(ref, errOnly(w.s.ConsumePushedRequest(ctx(w.t), digest, "app", baseTime())))
	}})
}

// seedJanitorWorld stores the rows whose fate testJanitorSweep checks.
// Rows that "became dead" do so at least a minute before now; keep says
// what a sweep at now with no keep-if-younger does.
func seedJanitorWorld(t *testing.T, s *sqlstore.Store) *janitorWorld {
	w := &janitorWorld{t: t, s: s}
	mustClient(t, s, "app")
	const gone, keep = false, true
	h, m := time.Hour, time.Minute

	w.access("at-expired", "r1", -h, nil, gone)
	w.access("at-revoked", "r1", h, at(-m), gone)
	w.access("at-live", "r2", h, nil, keep)
	w.access("at-expires-now", "r2", 0, nil, keep) // not before now: kept, conservatively

	w.refresh("rt-expired", "r1", -h, nil, nil, gone)
	w.refresh("rt-used-expired", "r1", -h, at(-2*h), nil, gone)
	w.refresh("rt-revoked", "r1", h, nil, at(-m), gone)
	w.refresh("rt-used-live", "r2", h, at(-m), nil, keep) // reuse detection needs it
	w.refresh("rt-live", "r2", h, nil, nil, keep)

	w.code("code-expired", "r1", -m, nil, gone)
	w.code("code-used-expired", "r1", -m, at(-2*m), gone)
	w.code("code-used-live", "r2", m, at(-m), keep) // a replay must still revoke r2
	w.code("code-live", "r2", m, nil, keep)

	w.verifier("login_verifier:old", false, -m, gone)
	w.verifier("old", true, -m, gone)
	w.verifier("login_verifier:new", false, m, keep)
	w.verifier("new", true, m, keep)

	w.login("ls-expired", at(-h), gone)
	w.login("ls-live", at(h), keep)
	w.login("ls-no-expiry", nil, keep)

	w.consent("c-forgotten", -2*h, false, nil, gone)
	w.consent("c-remember-ended", -3*h, true, at(-h), gone)
	w.consent("r1", -2*h, false, nil, gone) // its tokens all die in this sweep
	w.consent("c-remembered-forever", -3*h, true, nil, keep)
	w.consent("c-remembered-live", -3*h, true, at(h), keep)
	w.consent("c-just-handled", -10*m, false, nil, keep) // guards its verifier
	w.consent("r2", -2*h, false, nil, keep)              // live tokens carry its id
	w.code("code-only", "c-with-code", m, nil, keep)
	w.consent("c-with-code", -2*h, false, nil, keep)
	w.refresh("rt-only-used", "c-with-used-refresh", h, at(-m), nil, keep)
	w.consent("c-with-used-refresh", -2*h, false, nil, keep)

	w.trust("tg-expired", -h, gone)
	w.trust("tg-live", h, keep)

	w.pushed("par-expired", -h, gone)
	w.pushed("par-live", m, keep)
	return w
}

// check asserts every gone row is gone and every kept row stays.
func (w *janitorWorld) check() {
	w.t.Helper()
	for _, p := range w.gone {
		if p.present() {
			w.t.Errorf("%s: still stored, want deleted", p.name)
		}
	}
	for _, p := range w.kept {
		if !p.present() {
			w.t.Errorf("%s: deleted, but it is still needed", p.name)
		}
	}
}

func runJanitor(t *testing.T, s *sqlstore.Store, o janitor.Options) janitor.Summary {
	t.Helper()
	sum, err := (&janitor.Janitor{Store: s, Now: sweepNow}).Run(ctx(t), o, nil)
	if err != nil {
		t.Fatalf("janitor: %v", err)
	}
	return sum
}

// testJanitorSweep: one sweep deletes exactly the dead rows of every table,
// with a batch size small enough that each table takes several batches.
func testJanitorSweep(t *testing.T, open Opener) {
	s := open(t)
	w := seedJanitorWorld(t, s)
	sum := runJanitor(t, s, janitor.Options{BatchSize: 1})
	if sum.Deleted != len(w.gone) || sum.LimitReached {
		t.Errorf("janitor reports %d deleted (limit reached %v), want %d", sum.Deleted, sum.LimitReached, len(w.gone))
	}
	if again := runJanitor(t, s, janitor.Options{}); again.Deleted != 0 {
		t.Errorf("a second sweep deleted %d rows, want 0", again.Deleted)
	}
	w.check()
}

// testJanitorKeepIfYounger: rows dead for less than keep_if_younger stay
// until a later sweep; consents are also kept for the request lifespan.
func testJanitorKeepIfYounger(t *testing.T, open Opener) {
	s := open(t)
	w := seedJanitorWorld(t, s)
	// Keeping 30 minutes keeps the rows that died a minute ago and drops
	// those dead for an hour or more; a request lifespan longer than any
	// consent's age keeps every consent.
	young := []string{"access token at-revoked", "refresh token rt-revoked", "code code-expired",
		"code code-used-expired", "used verifier login_verifier:old (jti false)", "used verifier old (jti true)"}
	runJanitor(t, s, janitor.Options{KeepIfYounger: 30 * time.Minute, RequestLifespan: 200 * time.Hour})
	for _, p := range w.gone {
		if want := slices.Contains(young, p.name) || strings.HasPrefix(p.name, "consent "); p.present() != want {
			t.Errorf("after keep_if_younger=30m: %s present = %v, want %v", p.name, !want, want)
		}
	}
	runJanitor(t, s, janitor.Options{})
	w.check()
}

// testJanitorBatches: a batch deletes at most n rows, oldest first, in one
// statement (plus, on MySQL, its READ COMMITTED transaction).
func testJanitorBatches(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	for i := range 5 {
		a := newAccess(fmt.Sprint("old-", i), "app")
		a.ExpiresAt = sweepNow().Add(-time.Duration(5-i) * time.Hour) // old-0 is the oldest
		if err := s.CreateAccess(c, a); err != nil {
			t.Fatal(err)
		}
	}
	s.ResetStats()
	n, err := s.DeleteDeadAccessTokens(c, sweepNow(), 2)
	if err != nil || n != 2 {
		t.Fatalf("first batch: %d, %v; want 2", n, err)
	}
	if st := s.Stats(); st.Queries != 1 {
		t.Errorf("a full batch took %d statements, want 1", st.Queries)
	}
	for i := range 5 {
		_, err := s.GetAccess(c, digest(fmt.Sprint("old-", i)))
		if gone := errors.Is(err, storage.ErrNotFound); gone != (i < 2) {
			t.Errorf("old-%d deleted = %v after one batch of 2, want the two oldest deleted", i, gone)
		}
	}
	if n, err := s.DeleteDeadAccessTokens(c, sweepNow(), 10); err != nil || n != 3 {
		t.Errorf("last batch: %d, %v; want the 3 left", n, err)
	}
	for _, bad := range []int{0, -1} {
		if n, err := s.DeleteDeadAccessTokens(c, sweepNow(), bad); n != 0 || err != nil {
			t.Errorf("batch of %d: %d, %v; want nothing done", bad, n, err)
		}
	}
}

// testJanitorLimit: --limit stops the run once that many rows are gone.
func testJanitorLimit(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	for i := range 7 {
		a := newAccess(fmt.Sprint("exp-", i), "app")
		a.ExpiresAt = sweepNow().Add(-time.Hour)
		if err := s.CreateAccess(c, a); err != nil {
			t.Fatal(err)
		}
	}
	sum := runJanitor(t, s, janitor.Options{Limit: 5, BatchSize: 2})
	if sum.Deleted != 5 || !sum.LimitReached {
		t.Errorf("limit 5: %+v, want 5 deleted and the limit reached", sum)
	}
	if sum = runJanitor(t, s, janitor.Options{}); sum.Deleted != 2 {
		t.Errorf("the next run deleted %d, want the 2 left", sum.Deleted)
	}
}

// testJanitorLock: the lock admits one holder; on SQLite a lease that has
// ended is taken over, and its old holder's unlock then frees nothing.
func testJanitorLock(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	now := sweepNow()
	unlock, ok, err := s.TryLock(c, janitor.LockName, now, time.Minute)
	if err != nil || !ok {
		t.Fatalf("first TryLock: %v, %v", ok, err)
	}
	if _, ok, err := s.TryLock(c, janitor.LockName, now, time.Minute); ok || err != nil {
		t.Fatalf("second TryLock while held: %v, %v; want refused", ok, err)
	}
	if u, ok, err := s.TryLock(c, "another", now, time.Minute); !ok || err != nil {
		t.Errorf("a lock of another name: %v, %v", ok, err)
	} else {
		u()
	}
	unlock()
	unlock2, ok, err := s.TryLock(c, janitor.LockName, now, time.Minute)
	if err != nil || !ok {
		t.Fatalf("TryLock after unlock: %v, %v", ok, err)
	}
	later := now.Add(2 * time.Minute)
	unlock3, ok, err := s.TryLock(c, janitor.LockName, later, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() != sqlstore.DialectSQLite {
		// Advisory locks end with their holder's connection, not by time.
		if ok {
			t.Fatal("an advisory lock was taken over by time")
		}
		unlock2()
		return
	}
	if !ok {
		t.Fatal("an ended SQLite lease was not taken over")
	}
	unlock2() // the old holder's late unlock must not free the new lease
	if _, ok, _ := s.TryLock(c, janitor.LockName, later, time.Minute); ok {
		t.Error("a stale unlock freed another holder's lease")
	}
	unlock3()
	for _, bad := range []string{"", "a\x00b", string(make([]byte, 65))} {
		if _, _, err := s.TryLock(c, bad, now, time.Minute); err == nil {
			t.Errorf("lock name %q accepted", bad)
		}
	}
}

// testConcurrentTryLock: of many instances asking at once, one holds it.
func testConcurrentTryLock(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	var mu sync.Mutex
	var unlocks []func()
	errs := race(contenders, func(int) error {
		u, ok, err := s.TryLock(c, janitor.LockName, sweepNow(), time.Minute)
		if ok {
			mu.Lock()
			unlocks = append(unlocks, u)
			mu.Unlock()
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if len(unlocks) != 1 {
		t.Errorf("%d of %d concurrent TryLock calls won, want exactly 1", len(unlocks), contenders)
	}
	for _, u := range unlocks {
		u()
	}
}

// testConcurrentSweep: tokens written while the janitor deletes are never
// touched, and the dead ones are all gone afterwards.
func testConcurrentSweep(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	const dead, live = 60, 40
	for i := range dead {
		a := newAccess(fmt.Sprint("dead-", i), "app")
		a.ExpiresAt = sweepNow().Add(-time.Hour)
		if err := s.CreateAccess(c, a); err != nil {
			t.Fatal(err)
		}
	}
	var sum janitor.Summary
	errs := race(live+1, func(i int) error {
		if i == live {
			var err error
			sum, err = (&janitor.Janitor{Store: s, Now: sweepNow}).Run(c, janitor.Options{Tokens: true, BatchSize: 7}, nil)
			return err
		}
		a := newAccess(fmt.Sprint("live-", i), "app")
		a.ExpiresAt = sweepNow().Add(time.Hour)
		return s.CreateAccess(c, a)
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if sum.Deleted != dead {
		t.Errorf("deleted %d, want the %d dead tokens", sum.Deleted, dead)
	}
	for i := range live {
		if _, err := s.GetAccess(c, digest(fmt.Sprint("live-", i))); err != nil {
			t.Errorf("live-%d written during the sweep: %v", i, err)
		}
	}
}
