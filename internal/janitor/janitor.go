package janitor

import (
	"context"
	"fmt"
	"time"
)

// Store deletes dead records in bounded batches; *sqlstore.Store implements
// it. Each method deletes at most n rows that became dead before before
// (their expiry, revocation or end lies before it) and returns how many it
// deleted; fewer than n means none were left when it ran. No method ever
// deletes a row that is still in use.
type Store interface {
	// DeleteDeadAccessTokens: expired or revoked access tokens.
	DeleteDeadAccessTokens(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteDeadRefreshTokens: expired or revoked refresh tokens; a rotated
	// one stays until it expires, for reuse detection.
	DeleteDeadRefreshTokens(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteExpiredCodes: expired authorization codes, used or not.
	DeleteExpiredCodes(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteExpiredDeviceCodes: device authorization requests past expiry.
	DeleteExpiredDeviceCodes(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteExpiredVerifiers: used-verifier and used-JTI records past expiry.
	DeleteExpiredVerifiers(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteExpiredLoginSessions: remembered logins past their expiry.
	DeleteExpiredLoginSessions(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteForgottenConsents: consents neither remembered (remember_until
	// before before) nor handled at or after handledBefore, and referenced
	// by no token or code. It walks the table from the cursor after ("" to
	// start) and returns the cursor to continue from, "" when done.
	DeleteForgottenConsents(ctx context.Context, before, handledBefore time.Time, after string, n int) (int, string, error)
	// DeleteExpiredTrustGrants: jwt-bearer trust relationships past expiry.
	DeleteExpiredTrustGrants(ctx context.Context, before time.Time, n int) (int, error)
	// DeleteExpiredPushedRequests: pushed authorization requests (RFC 9126)
	// past expiry, used or not.
	DeleteExpiredPushedRequests(ctx context.Context, before time.Time, n int) (int, error)
}

// Batch sizes and defaults.
const (
	// DefaultBatchSize is the rows one statement deletes unless told.
	DefaultBatchSize = 1000
	// MaxBatchSize is the most rows one statement may delete (the store
	// clamps to the same bound).
	MaxBatchSize = 10000
	// DefaultRequestLifespan is ttl.login_consent_request's default: how
	// long a consent's row guards its verifier against replay.
	DefaultRequestLifespan = 30 * time.Minute
)

// Table names, as progress lines print them.
const (
	TableAccessTokens  = "access_tokens"
	TableRefreshTokens = "refresh_tokens"
	TableCodes         = "auth_codes"
	TableDeviceCodes   = "device_codes"
	TableVerifiers     = "used_verifiers"
	TableLoginSessions = "login_sessions"
	TableConsents      = "consent_sessions"
	TableTrustGrants   = "trust_jwt_bearer_issuers"
	TablePushed        = "pushed_requests"
)

// Options select and bound one run. The zero value cleans everything in
// batches of DefaultBatchSize with no limit.
type Options struct {
	// Tokens, Requests and Grants select tables as Hydra's janitor flags
	// do; none set means all three.
	//   Tokens:   access_tokens, refresh_tokens, auth_codes, device_codes
	//   Requests: used_verifiers (verifiers and JTIs), login_sessions,
	//             consent_sessions, pushed_requests
	//   Grants:   trust_jwt_bearer_issuers
	Tokens, Requests, Grants bool
	// KeepIfYounger keeps rows that became dead less than this long ago.
	KeepIfYounger time.Duration
	// Limit stops the run after this many deletions in total; 0 means none.
	Limit int
	// BatchSize is the most rows one statement deletes; 0 means
	// DefaultBatchSize.
	BatchSize int
	// RequestLifespan is ttl.login_consent_request; 0 means
	// DefaultRequestLifespan. A consent handled within it is kept: its row
	// is what makes the consent verifier single use.
	RequestLifespan time.Duration
}

// Check reports options no run can honour, naming the flag or key.
func (o Options) Check() error {
	switch {
	case o.BatchSize < 0 || o.BatchSize > MaxBatchSize:
		return fmt.Errorf("batch size must be between 1 and %d (got %d)", MaxBatchSize, o.BatchSize)
	case o.Limit < 0:
		return fmt.Errorf("limit must not be negative (got %d); 0 means no limit", o.Limit)
	case o.KeepIfYounger < 0:
		return fmt.Errorf("keep-if-younger must not be negative (got %s)", o.KeepIfYounger)
	case o.RequestLifespan < 0:
		return fmt.Errorf("consent request lifespan must not be negative (got %s)", o.RequestLifespan)
	}
	return nil
}

// Progress is where the sweep of one table stands.
type Progress struct {
	Table   string
	Deleted int
	Elapsed time.Duration
	// Done is set on the table's last report.
	Done bool
}

// Summary is the outcome of a run.
type Summary struct {
	// Tables holds the final Progress of each table visited, in order.
	Tables []Progress
	// Deleted is the total over every table.
	Deleted int
	// LimitReached: the run stopped at Options.Limit with work possibly
	// left; the next run continues.
	LimitReached bool
}

// Janitor runs the sweeps over a Store.
type Janitor struct {
	Store Store
	// Now is the clock for cutoffs and the elapsed times of progress.
	Now func() time.Time
}

// sweep is one table's batch step: it deletes at most n rows and says
// whether more may be left.
type sweep struct {
	table string
	batch func(ctx context.Context, n int) (deleted int, more bool, err error)
}

// Run deletes, table by table, everything dead before Now minus
// KeepIfYounger, within the options' bounds. progress, when not nil, is
// called after every batch. A run stopped by ctx or an error returns what
// it did so far with the error; whatever it deleted stays deleted, and the
// next run picks up the rest.
func (j *Janitor) Run(ctx context.Context, o Options, progress func(Progress)) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	size := o.BatchSize
	if size == 0 {
		size = DefaultBatchSize
	}
	var sum Summary
	for _, s := range j.sweeps(o) {
		p, stop, err := j.runSweep(ctx, s, size, o.Limit, &sum, progress)
		sum.Tables = append(sum.Tables, p)
		if err != nil || stop {
			return sum, err
		}
	}
	return sum, nil
}

// runSweep runs one table's batches until it is clean, the limit is used
// up (stop), or an error.
func (j *Janitor) runSweep(ctx context.Context, s sweep, size, limit int, sum *Summary, progress func(Progress)) (Progress, bool, error) {
	start := j.Now()
	p := Progress{Table: s.table}
	for {
		n := size
		if limit > 0 {
			n = min(n, limit-sum.Deleted)
		}
		if n == 0 {
			sum.LimitReached = true
			return finish(p, progress), true, nil
		}
		if err := ctx.Err(); err != nil {
			return finish(p, progress), true, err
		}
		k, more, err := s.batch(ctx, n)
		p.Deleted += k
		sum.Deleted += k
		p.Elapsed = j.Now().Sub(start)
		p.Done = err != nil || !more
		progress(p)
		if err != nil {
			return p, true, fmt.Errorf("janitor: %s: %w", s.table, err)
		}
		if !more {
			return p, false, nil
		}
	}
}

// finish reports p as the table's last word when the run stops inside it.
func finish(p Progress, progress func(Progress)) Progress {
	p.Done = true
	progress(p)
	return p
}

// sweeps lists the selected tables in the order a run visits them. Tokens
// and codes go before consents, so that a consent whose tokens died in
// this run is already free to go.
func (j *Janitor) sweeps(o Options) []sweep {
	now := j.Now()
	before := now.Add(-o.KeepIfYounger)
	lifespan := o.RequestLifespan
	if lifespan == 0 {
		lifespan = DefaultRequestLifespan
	}
	all := !o.Tokens && !o.Requests && !o.Grants
	var out []sweep
	if all || o.Tokens {
		out = append(out,
			bounded(TableAccessTokens, j.Store.DeleteDeadAccessTokens, before),
			bounded(TableRefreshTokens, j.Store.DeleteDeadRefreshTokens, before),
			bounded(TableCodes, j.Store.DeleteExpiredCodes, before),
			bounded(TableDeviceCodes, j.Store.DeleteExpiredDeviceCodes, before))
	}
	if all || o.Requests {
		out = append(out,
			bounded(TableVerifiers, j.Store.DeleteExpiredVerifiers, before),
			bounded(TableLoginSessions, j.Store.DeleteExpiredLoginSessions, before),
			j.consents(before, before.Add(-lifespan)),
			bounded(TablePushed, j.Store.DeleteExpiredPushedRequests, before))
	}
	if all || o.Grants {
		out = append(out, bounded(TableTrustGrants, j.Store.DeleteExpiredTrustGrants, before))
	}
	return out
}

// bounded adapts a Store method whose short batch means "no more".
func bounded(table string, del func(context.Context, time.Time, int) (int, error), before time.Time) sweep {
	return sweep{table: table, batch: func(ctx context.Context, n int) (int, bool, error) {
		k, err := del(ctx, before, n)
		return k, err == nil && k == n, err
	}}
}

// consents walks the consent table once per run, carrying its cursor from
// batch to batch.
func (j *Janitor) consents(before, handledBefore time.Time) sweep {
	cursor := ""
	return sweep{table: TableConsents, batch: func(ctx context.Context, n int) (int, bool, error) {
		k, next, err := j.Store.DeleteForgottenConsents(ctx, before, handledBefore, cursor, n)
		cursor = next
		return k, err == nil && next != "", err
	}}
}
