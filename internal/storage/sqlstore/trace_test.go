package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
	"github.com/signet-oidc/signet/internal/storage/storetest"
)

// statementLog is a StatementTracer that remembers what it was told.
type statementLog struct {
	mu   sync.Mutex
	seen []tracedStatement
}

type tracedStatement struct {
	st    sqlstore.Statement
	ctxOK bool // the caller's context reached the tracer
	ended bool
	err   error
}

type ctxMark struct{}

func (l *statementLog) StartStatement(ctx context.Context, dialect, op, table string) func(error) {
	l.mu.Lock()
	i := len(l.seen)
	st := sqlstore.Statement{Dialect: dialect, Operation: op, Table: table}
	l.seen = append(l.seen, tracedStatement{st: st, ctxOK: ctx.Value(ctxMark{}) == "request"})
	l.mu.Unlock()
	return func(err error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.seen[i].ended, l.seen[i].err = true, err
	}
}

func (l *statementLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = nil
}

func (l *statementLog) all() []tracedStatement {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]tracedStatement(nil), l.seen...)
}

// With a tracer, every statement is reported once, named by operation and
// table, with the request's context (so spans nest under the request) and
// its outcome; the suite's dialect is named.
func TestStatementTracer(t *testing.T) {
	for name, dsn := range map[string]func(t *testing.T) string{
		"sqlite":   func(*testing.T) string { return "memory" },
		"postgres": storetest.PostgresDSN,
		"mysql":    storetest.MySQLDSN,
	} {
		t.Run(name, func(t *testing.T) {
			log := &statementLog{}
			ctx := context.Background()
			s, err := sqlstore.Open(ctx, dsn(t), sqlstore.Options{AutoMigrate: true, Tracer: log})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			log.reset() // what Open itself sent (the ping, schema checks) is not under test

			req := context.WithValue(ctx, ctxMark{}, "request")
			now := time.Now().UTC().Truncate(time.Second)
			c := &client.Client{ID: "c", CreatedAt: now, UpdatedAt: now}
			if err := s.CreateClient(req, c); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateClient(req, c); err == nil {
				t.Fatal("second CreateClient succeeded")
			}
			if _, err := s.GetClient(req, "c"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetClient(req, "absent"); err == nil {
				t.Fatal("GetClient of an absent client succeeded")
			}

			// Access tokens go through the batcher, whose statement runs on
			// its own context: the caller's span stands in for it.
			if err := s.CreateAccess(req, access("traced", "r1")); err != nil {
				t.Fatal(err)
			}

			got := log.all()
			want := []struct {
				op, table string
				failed    bool
				callerCtx bool
				comment   string
			}{
				{"INSERT", "clients", false, true, "create"},
				{"INSERT", "clients", true, true, "duplicate: the unique violation is the statement's error"},
				{"SELECT", "clients", false, true, "get"},
				{"SELECT", "clients", false, true, "a miss is no error: sql.ErrNoRows shows only at Scan"},
				{"INSERT", "access_tokens", false, true, "batched insert, traced for the caller"},
				// The batch's own statement, on the batcher's context: a
				// tracer ignores it for want of a traced parent.
				{"INSERT", "access_tokens", false, false, "the batch statement"},
			}
			if len(got) != len(want) {
				t.Fatalf("traced %d statements, want %d: %+v", len(got), len(want), got)
			}
			for i, w := range want {
				g := got[i]
				if g.st.Operation != w.op || g.st.Table != w.table || g.st.Dialect != name {
					t.Errorf("%s: statement %+v", w.comment, g.st)
				}
				if g.ctxOK != w.callerCtx || !g.ended || (g.err != nil) != w.failed {
					t.Errorf("%s: ctx passed %v, ended %v, err %v", w.comment, g.ctxOK, g.ended, g.err)
				}
			}
			// Every statement sent is both counted and traced; the caller's
			// stand-in for the batched insert is not a statement.
			if q := s.Stats().Queries; q != int64(len(want)-1) {
				t.Errorf("query count %d, want %d", q, len(want)-1)
			}
		})
	}
}
