package janitor

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore holds a count of dead rows per table and records every call.
// Its consent walk hands out a cursor per batch like the real one.
type fakeStore struct {
	mu   sync.Mutex
	dead map[string]int
	// calls lists "table n" per batch, in order.
	calls []string
	// befores records the cutoffs each table was called with.
	befores map[string]time.Time
	// handledBefore is the consent sweep's second cutoff.
	handledBefore time.Time
	// fail makes the named table's method fail.
	fail string
	// inBatch, when set, is called inside every batch (before deleting).
	inBatch func()
}

func newFakeStore(dead map[string]int) *fakeStore {
	return &fakeStore{dead: dead, befores: map[string]time.Time{}}
}

var errBoom = errors.New("boom")

func (f *fakeStore) del(table string, before time.Time, n int) (int, error) {
	if f.inBatch != nil {
		f.inBatch()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, table+" "+strconv.Itoa(n))
	f.befores[table] = before
	if f.fail == table {
		return 0, errBoom
	}
	k := min(n, f.dead[table])
	f.dead[table] -= k
	return k, nil
}

func (f *fakeStore) DeleteDeadAccessTokens(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableAccessTokens, before, n)
}
func (f *fakeStore) DeleteDeadRefreshTokens(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableRefreshTokens, before, n)
}
func (f *fakeStore) DeleteExpiredCodes(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableCodes, before, n)
}
func (f *fakeStore) DeleteExpiredDeviceCodes(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableDeviceCodes, before, n)
}
func (f *fakeStore) DeleteExpiredVerifiers(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableVerifiers, before, n)
}
func (f *fakeStore) DeleteExpiredLoginSessions(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableLoginSessions, before, n)
}
func (f *fakeStore) DeleteExpiredTrustGrants(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TableTrustGrants, before, n)
}

func (f *fakeStore) DeleteExpiredPushedRequests(_ context.Context, before time.Time, n int) (int, error) {
	return f.del(TablePushed, before, n)
}

// DeleteForgottenConsents walks "candidates" consents, of which it deletes
// all: the cursor is the number walked so far.
func (f *fakeStore) DeleteForgottenConsents(_ context.Context, before, handledBefore time.Time, after string, n int) (int, string, error) {
	f.mu.Lock()
	f.handledBefore = handledBefore
	f.mu.Unlock()
	k, err := f.del(TableConsents, before, n)
	next := ""
	if err == nil && k == n {
		next = after + "+"
	}
	return k, next, err
}

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func fixedClock() func() time.Time { return func() time.Time { return t0 } }

func allTables() []string {
	return []string{TableAccessTokens, TableRefreshTokens, TableCodes, TableDeviceCodes, TableVerifiers,
		TableLoginSessions, TableConsents, TablePushed, TableTrustGrants}
}

func visited(sum Summary) []string {
	var out []string
	for _, p := range sum.Tables {
		out = append(out, p.Table)
	}
	return out
}

// TestSelection: Hydra's --tokens, --requests and --grants pick tables;
// none picks all, tokens before the consents they keep alive.
func TestSelection(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want []string
	}{
		{"none means all", Options{}, allTables()},
		{"tokens", Options{Tokens: true}, []string{TableAccessTokens, TableRefreshTokens, TableCodes, TableDeviceCodes}},
		{"requests", Options{Requests: true}, []string{TableVerifiers, TableLoginSessions, TableConsents, TablePushed}},
		{"grants", Options{Grants: true}, []string{TableTrustGrants}},
		{"tokens and grants", Options{Tokens: true, Grants: true},
			[]string{TableAccessTokens, TableRefreshTokens, TableCodes, TableDeviceCodes, TableTrustGrants}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := &Janitor{Store: newFakeStore(map[string]int{}), Now: fixedClock()}
			sum, err := j.Run(t.Context(), c.o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := visited(sum); !reflect.DeepEqual(got, c.want) {
				t.Errorf("visited %v, want %v", got, c.want)
			}
		})
	}
}

// TestBatchesAndLimit: no statement deletes more than the batch size, a
// table is swept until a short batch, and the limit stops the whole run.
func TestBatchesAndLimit(t *testing.T) {
	cases := []struct {
		name      string
		o         Options
		dead      map[string]int
		wantCalls []string
		wantTotal int
		wantLimit bool
	}{
		{"default batch", Options{Tokens: true}, map[string]int{TableAccessTokens: 2500},
			[]string{"access_tokens 1000", "access_tokens 1000", "access_tokens 1000", "refresh_tokens 1000", "auth_codes 1000", "device_codes 1000"},
			2500, false},
		{"exact multiple needs one empty batch", Options{Tokens: true, BatchSize: 10}, map[string]int{TableCodes: 20},
			[]string{"access_tokens 10", "refresh_tokens 10", "auth_codes 10", "auth_codes 10", "auth_codes 10", "device_codes 10"},
			20, false},
		{"limit inside a table", Options{Tokens: true, BatchSize: 1000, Limit: 1500},
			map[string]int{TableAccessTokens: 5000, TableRefreshTokens: 5},
			[]string{"access_tokens 1000", "access_tokens 500"}, 1500, true},
		{"limit across tables", Options{Tokens: true, BatchSize: 100, Limit: 150},
			map[string]int{TableAccessTokens: 120, TableRefreshTokens: 100},
			[]string{"access_tokens 100", "access_tokens 50", "refresh_tokens 30"}, 150, true},
		{"limit exactly met at the end", Options{Grants: true, BatchSize: 100, Limit: 40},
			map[string]int{TableTrustGrants: 30},
			[]string{"trust_jwt_bearer_issuers 40"}, 30, false},
		{"consent walk continues with its cursor", Options{Requests: true, BatchSize: 2},
			map[string]int{TableConsents: 3},
			[]string{"used_verifiers 2", "login_sessions 2", "consent_sessions 2", "consent_sessions 2", "pushed_requests 2"}, 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeStore(c.dead)
			j := &Janitor{Store: f, Now: fixedClock()}
			var reports []Progress
			sum, err := j.Run(t.Context(), c.o, func(p Progress) { reports = append(reports, p) })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.calls, c.wantCalls) {
				t.Errorf("batches %v, want %v", f.calls, c.wantCalls)
			}
			if sum.Deleted != c.wantTotal || sum.LimitReached != c.wantLimit {
				t.Errorf("deleted %d (limit reached %v), want %d (%v)", sum.Deleted, sum.LimitReached, c.wantTotal, c.wantLimit)
			}
			if len(reports) < len(f.calls) || !reports[len(reports)-1].Done {
				t.Errorf("progress %+v for %d batches: want one report per batch, the last one done", reports, len(f.calls))
			}
		})
	}
}

// TestCutoffs: --keep-if-younger moves every cutoff back; a consent is
// also kept for the request lifespan, which defaults to Hydra's 30m.
func TestCutoffs(t *testing.T) {
	cases := []struct {
		name              string
		o                 Options
		before, consentAt time.Time
	}{
		{"defaults", Options{}, t0, t0.Add(-30 * time.Minute)},
		{"keep if younger", Options{KeepIfYounger: 24 * time.Hour}, t0.Add(-24 * time.Hour), t0.Add(-24*time.Hour - 30*time.Minute)},
		{"request lifespan", Options{RequestLifespan: time.Hour}, t0, t0.Add(-time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeStore(map[string]int{})
			if _, err := (&Janitor{Store: f, Now: fixedClock()}).Run(t.Context(), c.o, nil); err != nil {
				t.Fatal(err)
			}
			for _, table := range allTables() {
				if !f.befores[table].Equal(c.before) {
					t.Errorf("%s: cutoff %v, want %v", table, f.befores[table], c.before)
				}
			}
			if !f.handledBefore.Equal(c.consentAt) {
				t.Errorf("consents handled before %v are candidates, want before %v", f.handledBefore, c.consentAt)
			}
		})
	}
}

func TestOptionsRefused(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{BatchSize: -1}, "batch size"},
		{Options{BatchSize: MaxBatchSize + 1}, "batch size"},
		{Options{Limit: -1}, "limit"},
		{Options{KeepIfYounger: -time.Second}, "keep-if-younger"},
		{Options{RequestLifespan: -time.Second}, "lifespan"},
	}
	for _, c := range cases {
		f := newFakeStore(map[string]int{})
		_, err := (&Janitor{Store: f, Now: fixedClock()}).Run(t.Context(), c.o, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want one naming %q", c.o, err, c.want)
		}
		if len(f.calls) != 0 {
			t.Errorf("%+v: refused options still deleted: %v", c.o, f.calls)
		}
	}
}

// TestStopsOnError: a failing table ends the run with an error naming it;
// what was deleted before is reported.
func TestStopsOnError(t *testing.T) {
	f := newFakeStore(map[string]int{TableAccessTokens: 3})
	f.fail = TableRefreshTokens
	sum, err := (&Janitor{Store: f, Now: fixedClock()}).Run(t.Context(), Options{}, nil)
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), TableRefreshTokens) {
		t.Fatalf("err = %v, want boom naming %s", err, TableRefreshTokens)
	}
	if sum.Deleted != 3 || len(sum.Tables) != 2 {
		t.Errorf("summary %+v, want 3 deleted over 2 tables", sum)
	}
}

// TestStopsWhenCancelled: a cancelled context ends the run before the next
// batch.
func TestStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f := newFakeStore(map[string]int{TableAccessTokens: 10})
	f.inBatch = cancel
	_, err := (&Janitor{Store: f, Now: fixedClock()}).Run(ctx, Options{BatchSize: 2}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(f.calls) != 1 {
		t.Errorf("batches after cancel: %v", f.calls)
	}
}
