package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// Stats counts database round trips since Open (or the last ResetStats).
// Tests and the benchmark assert budgets with it ("GetClient: 1 query")
// instead of timing anything.
type Stats struct {
	// Queries is the number of statements sent (SELECT, INSERT, UPDATE…),
	// inside or outside transactions. Migrations are not counted.
	Queries int64
	// Transactions is the number of transactions begun; each adds a BEGIN
	// and a COMMIT or ROLLBACK round trip on top of its statements.
	Transactions int64
}

// counters is shared by every handle a Store hands out.
type counters struct {
	queries atomic.Int64
	txs     atomic.Int64
}

// execer is what *sql.DB and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// counted is the only way store code reaches the database: every call adds
// one to the query count.
type counted struct {
	e execer
	c *counters
	// tr traces each statement when tracing is on; nil costs one check.
	tr StatementTracer
	// dialect names the database in traced statements.
	dialect string
}

func (q counted) exec(ctx context.Context, s string, args ...any) (sql.Result, error) {
	q.c.queries.Add(1)
	if q.tr == nil {
		return q.e.ExecContext(ctx, s, args...)
	}
	end := q.trace(ctx, s)
	res, err := q.e.ExecContext(ctx, s, args...)
	end(err)
	return res, err
}

// execN runs s and returns the number of rows it matched. MySQL is opened
// with clientFoundRows so "matched" holds there too, not "changed".
func (q counted) execN(ctx context.Context, s string, args ...any) (int64, error) {
	res, err := q.exec(ctx, s, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// trace starts tracing statement s; only called when q.tr is set.
func (q counted) trace(ctx context.Context, s string) func(error) {
	st := describe(q.dialect, s)
	return q.tr.StartStatement(ctx, st.Dialect, st.Operation, st.Table)
}

// traceBatched traces a row the batcher writes for the caller: nil when
// tracing is off. The statement itself runs on the batcher's context, so
// this span, covering the hand-off and the wait for the batch, is what
// puts the INSERT into the caller's trace.
func (q counted) traceBatched(ctx context.Context, s string) func(error) {
	if q.tr == nil {
		return nil
	}
	return q.trace(ctx, s)
}

func (q counted) query(ctx context.Context, s string, args ...any) (*sql.Rows, error) {
	q.c.queries.Add(1)
	if q.tr == nil {
		return q.e.QueryContext(ctx, s, args...)
	}
	end := q.trace(ctx, s)
	rows, err := q.e.QueryContext(ctx, s, args...)
	end(err)
	return rows, err
}

func (q counted) queryRow(ctx context.Context, s string, args ...any) *sql.Row {
	q.c.queries.Add(1)
	if q.tr == nil {
		return q.e.QueryRowContext(ctx, s, args...)
	}
	end := q.trace(ctx, s)
	row := q.e.QueryRowContext(ctx, s, args...)
	// Row.Err reports a failed query without consuming the row;
	// sql.ErrNoRows only shows at Scan, so a miss is not an error here.
	end(row.Err())
	return row
}

// errRollback ends a transaction without committing and without an error:
// used when a conditional write decides there is nothing to do.
var errRollback = errors.New("sqlstore: rollback requested")

// inTx runs fn in one transaction on one connection. fn must use only the
// handle it is given, never s.q(): with SQLite in memory the pool has a
// single connection, and a second one would wait forever.
func (s *Store) inTx(ctx context.Context, fn func(q counted) error) error {
	s.counters.txs.Add(1)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	if err := fn(counted{e: tx, c: s.counters, tr: s.tracer, dialect: s.d.name}); err != nil {
		_ = tx.Rollback()
		if errors.Is(err, errRollback) {
			return nil
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// q is the handle for single statements outside a transaction.
func (s *Store) q() counted {
	return counted{e: s.db, c: s.counters, tr: s.tracer, dialect: s.d.name}
}

// Stats returns the round trips counted so far.
func (s *Store) Stats() Stats {
	return Stats{Queries: s.counters.queries.Load(), Transactions: s.counters.txs.Load()}
}

// PoolStats reports the connection pool (open, in use, idle, waits) for
// the metrics collector.
func (s *Store) PoolStats() sql.DBStats { return s.db.Stats() }

// ResetStats sets the counters back to zero, so a test can measure one call.
func (s *Store) ResetStats() {
	s.counters.queries.Store(0)
	s.counters.txs.Store(0)
}
