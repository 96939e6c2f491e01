package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/signet-oidc/signet/internal/token"
)

// Test hooks for package sqlstore_test, whose tests run on every dialect
// through storetest's openers (which package sqlstore itself cannot import).

// lostReply executes every statement, then reports multi-row INSERTs as
// failed: the statement committed but its reply never arrived, as when a
// connection drops at the wrong moment.
type lostReply struct {
	*sql.DB
	ncols int
}

var errLostReply = errors.New("test: connection reset after commit")

func (l lostReply) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := l.DB.ExecContext(ctx, q, args...)
	if err == nil && len(args) > l.ncols {
		return nil, errLostReply
	}
	return res, err
}

// FlushAccess writes recs as one batch through a batcher of their own, as
// a worker would, and returns each row's answer. Calling flush directly
// keeps the batch composition deterministic: no timing decides which rows
// share a statement. With loseReply, every multi-row statement commits and
// then reports failure.
func FlushAccess(ctx context.Context, s *Store, loseReply bool, recs ...*token.AccessRecord) ([]error, error) {
	cols := strings.Split(accessCols, ", ")
	q := s.q
	if loseReply {
		q = func() counted { return counted{e: lostReply{DB: s.db, ncols: len(cols)}, c: s.counters} }
	}
	b := newBatcher(s.d, q, "access_tokens", cols)
	defer b.close()
	batch := make([]*pendingRow, len(recs))
	for i, a := range recs {
		p, err := s.accessRow(a)
		if err != nil {
			return nil, err
		}
		p.done = make(chan error, 1)
		batch[i] = p
	}
	b.flush(batch)
	errs := make([]error, len(batch))
	for i, p := range batch {
		errs[i] = <-p.done
	}
	return errs, nil
}

// IsUnique reports whether err is the dialect's unique violation.
func IsUnique(s *Store, err error) bool { return s.d.isUnique(err) }

// WithoutDeleteReturning makes s consume pushed requests in two statements,
// as on MySQL, which lacks DELETE … RETURNING, so that form is proved on
// every database.
func WithoutDeleteReturning(s *Store) *Store {
	s.pushed = buildPushedSQL(s.d, false)
	return s
}
