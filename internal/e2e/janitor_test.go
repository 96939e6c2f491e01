package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/janitor"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// The janitor in a running server (issue 7): the background task cleans
// while clients keep coming, leaves every live token working, keeps the
// token tables from growing, and of several instances on one database
// only the lock holder cleans.

// janitorDatabases are the three databases as DSNs, because these tests
// count rows and open second instances on the same database: SQLite is a
// file here, not memory.
func janitorDatabases() []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"SQLite", storetest.SQLiteFileDSN},
		{"PostgreSQL", storetest.PostgresDSN},
		{"MySQL", storetest.MySQLDSN},
	}
}

// migratedDSN makes a fresh database and migrates it, as an operator would.
func migratedDSN(t *testing.T, dsn func(t *testing.T) string) string {
	d := dsn(t)
	storetest.OpenDSN(t, d)
	return d
}

// rowCounter counts a table's rows through a connection of its own.
func rowCounter(t *testing.T, dsn string) func(table string) int {
	driver, src := "pgx", dsn
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
		driver, src = "sqlite", path+"?_pragma=busy_timeout(10000)"
	case strings.HasPrefix(dsn, "mysql://"):
		driver, src = "mysql", strings.TrimPrefix(dsn, "mysql://")
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return func(table string) int {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}
}

// Load shape: every round, ccWorkers clients each take ccPerRound
// client_credentials tokens while refreshFamilies clients each rotate
// their refresh token refreshPerRound times; then the clock moves on by
// roundStep, past the access token lifetime but within the refresh
// token's, so each family's newest refresh token stays live.
const (
	ccWorkers       = 4
	ccPerRound      = 5
	refreshFamilies = 2
	refreshPerRound = 3
	janitorRounds   = 6
	roundStep       = 2 * time.Minute
	accessPerRound  = ccWorkers*ccPerRound + refreshFamilies*refreshPerRound
	// Refresh tokens live 5m: those of this round and the two before.
	maxRefreshRows = 3 * refreshFamilies * refreshPerRound
)

// TestJanitorUnderLoad: on every database, a background janitor round
// runs in the middle of each round of load. Every token issued in the
// round introspects active afterwards, every family keeps refreshing, and
// the token tables hold only what is live: they stop growing.
func TestJanitorUnderLoad(t *testing.T) {
	t.Parallel()
	for _, db := range janitorDatabases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			janitorUnderLoad(t, migratedDSN(t, db.dsn))
		})
	}
}

// loadRound is what the workers of one round leave behind.
type loadRound struct {
	mu      sync.Mutex
	errs    []error
	access  []string // the last access token of every worker
	refresh []string // each family's newest refresh token
}

func (l *loadRound) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func janitorUnderLoad(t *testing.T, dsn string) {
	ticks, rounds := make(chan time.Time), make(chan janitor.Round)
	e := startFlowEnv(t, signettest.WithEnv("DSN="+dsn, "TTL_ACCESS_TOKEN=1m", "TTL_REFRESH_TOKEN=5m", "JANITOR_ENABLED=true"),
		signettest.WithAppOptions(app.WithJanitorTicks(ticks, rounds)))
	count := rowCounter(t, dsn)
	id, secret := newMachineClient(t, e.srv, nil)
	cc := ccConfig(e.srv, id, secret, oauth2.AuthStyleInHeader, "read")
	refresh := make([]string, refreshFamilies)
	for i := range refresh {
		v := oauth2.GenerateVerifier()
		tok, err := e.rp.Exchange(context.Background(), codeFor(t, newBrowser(t, e.callback), e.rp, oauth2.S256ChallengeOption(v)), oauth2.VerifierOption(v))
		if err != nil || tok.RefreshToken == "" {
			t.Fatalf("exchange: %v", err)
		}
		refresh[i] = tok.RefreshToken
	}

	for r := range janitorRounds {
		l := &loadRound{refresh: slices.Clone(refresh)}
		var started, done sync.WaitGroup
		for w := range ccWorkers + refreshFamilies {
			started.Add(1)
			done.Go(func() {
				first := true
				step := func() {
					if first {
						started.Done()
						first = false
					}
				}
				defer step()
				if w < ccWorkers {
					ccLoad(cc, l, step)
				} else {
					refreshLoad(e.rp, l, w-ccWorkers, step)
				}
			})
		}
		started.Wait() // every worker has made its first request
		ticks <- e.clk.Now()
		round := <-rounds
		done.Wait()
		for _, err := range l.errs {
			t.Fatalf("round %d: %v", r, err)
		}
		if !round.Ran || round.Err != nil {
			t.Fatalf("round %d: janitor %+v, want a round that ran", r, round)
		}
		for _, tok := range l.access {
			if !introspect(t, e.srv, tok).Active {
				t.Errorf("round %d: a token issued during the round is inactive after the janitor ran", r)
			}
		}
		at, rt := count("access_tokens"), count("refresh_tokens")
		t.Logf("round %d: janitor deleted %d; access_tokens %d, refresh_tokens %d", r, round.Summary.Deleted, at, rt)
		if r > 0 && at > accessPerRound {
			t.Errorf("round %d: %d access tokens stored, want at most the %d of this round", r, at, accessPerRound)
		}
		if r > 2 && rt > maxRefreshRows {
			t.Errorf("round %d: %d refresh tokens stored, want at most the %d of three rounds", r, rt, maxRefreshRows)
		}
		replayable := refresh[0]
		refresh = l.refresh
		e.clk.Advance(roundStep)
		if r == janitorRounds-1 {
			reuseAfterJanitor(t, e, ticks, rounds, replayable, refresh[0])
		}
	}
}

// reuseAfterJanitor: a refresh token rotated in the last round has not
// expired, so a janitor round keeps it, and presenting it again is still
// detected as reuse: the family's newest token stops working.
func reuseAfterJanitor(t *testing.T, e *flowEnv, ticks chan<- time.Time, rounds <-chan janitor.Round, rotated, newest string) {
	ticks <- e.clk.Now()
	if r := <-rounds; !r.Ran || r.Err != nil {
		t.Fatalf("janitor: %+v", r)
	}
	if o := refreshRaw(e.rp, rotated); o.status != 400 || o.body.Error != "invalid_grant" {
		t.Fatalf("replaying a rotated refresh token: %d %q, want invalid_grant", o.status, o.body.Error)
	}
	if o := refreshRaw(e.rp, newest); o.status != 400 || o.body.Error != "invalid_grant" {
		t.Errorf("after the replay, the family's newest refresh token: %d %q; want it revoked by reuse detection", o.status, o.body.Error)
	}
}

// ccLoad takes ccPerRound client_credentials tokens, keeping the last.
func ccLoad(cc interface {
	Token(context.Context) (*oauth2.Token, error)
}, l *loadRound, started func()) {
	var last string
	for range ccPerRound {
		tok, err := cc.Token(context.Background())
		started()
		if err != nil {
			l.fail(fmt.Errorf("client_credentials: %w", err))
			return
		}
		last = tok.AccessToken
	}
	l.mu.Lock()
	l.access = append(l.access, last)
	l.mu.Unlock()
}

// refreshLoad rotates family i's refresh token refreshPerRound times.
func refreshLoad(rp *oauth2.Config, l *loadRound, i int, started func()) {
	l.mu.Lock()
	rt := l.refresh[i]
	l.mu.Unlock()
	var at string
	for range refreshPerRound {
		o := refreshRaw(rp, rt)
		started()
		if o.err != nil || o.status != 200 || o.body.RefreshToken == "" {
			l.fail(fmt.Errorf("refresh of family %d: %d %q %v", i, o.status, o.body.Error, o.err))
			return
		}
		rt, at = o.body.RefreshToken, o.body.AccessToken
	}
	l.mu.Lock()
	l.refresh[i] = rt
	l.access = append(l.access, at)
	l.mu.Unlock()
}

// TestJanitorOneInstanceCleans: two servers share a database with the
// janitor enabled. While a third party holds the janitor's lock, both
// skip their rounds and delete nothing; once it is free, a round runs.
// The lock is the database's, so this holds across processes too.
func TestJanitorOneInstanceCleans(t *testing.T) {
	t.Parallel()
	for _, db := range janitorDatabases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			dsn := migratedDSN(t, db.dsn)
			holder := storetest.OpenDSN(t, dsn)
			type instance struct {
				ticks  chan time.Time
				rounds chan janitor.Round
			}
			var inst [2]instance
			for i := range inst {
				inst[i] = instance{make(chan time.Time), make(chan janitor.Round)}
				signettest.Start(t, signettest.WithEnv("DSN="+dsn, "JANITOR_ENABLED=true"),
					signettest.WithAppOptions(app.WithJanitorTicks(inst[i].ticks, inst[i].rounds)))
			}
			unlock, ok, err := holder.TryLock(context.Background(), janitor.LockName, time.Now(), time.Hour)
			if err != nil || !ok {
				t.Fatalf("holding the lock: %v, %v", ok, err)
			}
			for i, in := range inst {
				in.ticks <- time.Now()
				if r := <-in.rounds; r.Ran || r.Err != nil {
					t.Errorf("instance %d cleaned while another held the lock: %+v", i, r)
				}
			}
			unlock()
			for i, in := range inst {
				in.ticks <- time.Now()
				if r := <-in.rounds; !r.Ran || r.Err != nil {
					t.Errorf("instance %d: %+v after the lock was released, want a round that ran", i, r)
				}
			}
		})
	}
}
