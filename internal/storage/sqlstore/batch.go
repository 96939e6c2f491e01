package sqlstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// batcher turns concurrent single-row INSERTs into one table into
// multi-row INSERTs. Every token request writes one row; under load, many
// such writes are waiting at the same moment, and sending them as one
// statement costs the database one parse, one round trip and one commit
// instead of one each. Idle, a write goes out alone after one channel
// hand-off, so nothing waits for a batch to fill.
//
// Each caller still gets its own answer: if a multi-row statement fails
// (one row's client was deleted a moment ago, say), the rows of that batch
// are retried one by one. A multi-row statement can also fail after it
// committed (the connection dropped before the reply arrived); its rows are
// then already stored, and their retries meet unique violations. A row
// whose retry meets one asks pendingRow.stored whether the row in the table
// is its own, and if so its write succeeded.
type batcher struct {
	d     dialect
	q     func() counted
	stmts []string // stmts[n] inserts n rows; stmts[0] is unused
	ncols int
	in    chan *pendingRow
	stop  chan struct{}
	wg    sync.WaitGroup
}

type pendingRow struct {
	args []any
	// stored reports whether this very row is in the table; nil means a
	// unique violation is always a conflict.
	stored func(ctx context.Context, q counted) (bool, error)
	done   chan error
}

// Batching limits: at most batchMaxRows rows per statement (far below every
// dialect's bound on placeholders), written by batchWorkers statements in
// parallel, so several commits can be in flight at once.
const (
	batchMaxRows  = 64
	batchWorkers  = 4
	batchDeadline = 30 * time.Second
)

// errStoreClosed answers writes still queued when the store closes.
var errStoreClosed = errors.New("sqlstore: store is closed")

// newBatcher starts the workers for "INSERT INTO table (cols) VALUES …".
func newBatcher(d dialect, q func() counted, table string, cols []string) *batcher {
	b := &batcher{d: d, q: q, ncols: len(cols), in: make(chan *pendingRow), stop: make(chan struct{})}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	prefix := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	b.stmts = make([]string, batchMaxRows+1)
	for n := 1; n <= batchMaxRows; n++ {
		b.stmts[n] = d.rebind(prefix + strings.TrimSuffix(strings.Repeat(row+", ", n), ", "))
	}
	for range batchWorkers {
		b.wg.Go(b.work)
	}
	return b
}

// insert queues p (args and stored set) and waits for its own result.
func (b *batcher) insert(ctx context.Context, p *pendingRow) (err error) {
	if end := b.q().traceBatched(ctx, b.stmts[1]); end != nil {
		defer func() { end(err) }()
	}
	p.done = make(chan error, 1)
	select {
	case b.in <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errStoreClosed
	}
	// Once handed over, the row is written whatever happens to ctx: the
	// worker may already have sent it.
	return <-p.done
}

func (b *batcher) work() {
	batch := make([]*pendingRow, 0, batchMaxRows)
	for {
		select {
		case p := <-b.in:
			batch = append(batch[:0], p)
		case <-b.stop:
			return
		}
	drain:
		for len(batch) < batchMaxRows {
			select {
			case p := <-b.in:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		b.flush(batch)
	}
}

func (b *batcher) flush(batch []*pendingRow) {
	ctx, cancel := context.WithTimeout(context.Background(), batchDeadline)
	defer cancel()
	args := make([]any, 0, len(batch)*b.ncols)
	for _, p := range batch {
		args = append(args, p.args...)
	}
	_, err := b.q().exec(ctx, b.stmts[len(batch)], args...)
	if err == nil || len(batch) == 1 {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	for _, p := range batch {
		p.done <- b.retry(ctx, p)
	}
}

// retry writes one row of a failed batch alone. A unique violation is
// success when the row already stored under that key is p's own: the batch
// committed it before failing. Any other row under that key is a real
// conflict, and the violation is returned as it came. Retries are rare
// (a batch failed), so the extra read costs nothing in steady state.
func (b *batcher) retry(ctx context.Context, p *pendingRow) error {
	_, err := b.q().exec(ctx, b.stmts[1], p.args...)
	if err == nil || p.stored == nil || !b.d.isUnique(err) {
		return err
	}
	mine, serr := p.stored(ctx, b.q())
	switch {
	case serr != nil:
		// Whether the row is stored is unknown: not a conflict, a failure.
		return serr
	case !mine:
		return err
	}
	return nil
}

// close stops the workers; rows not yet handed over get errStoreClosed.
func (b *batcher) close() {
	close(b.stop)
	b.wg.Wait()
}
