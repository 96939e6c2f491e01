package sqlstore

import (
	"context"
	"strings"
)

// StatementTracer is told about every statement the store sends, so that
// tracing can show database calls inside a request's trace. sqlstore does
// not import OpenTelemetry, and the tracing package does not import
// sqlstore (only the wiring may): internal/tracing implements this with
// plain strings and app.New passes it in Options.Tracer. When it is nil
// (tracing off, the default) the query wrapper makes one nil check and
// nothing else.
type StatementTracer interface {
	// StartStatement is called just before a statement is sent, with the
	// dialect ("sqlite", "postgres", "mysql"), the operation (SELECT,
	// INSERT, UPDATE, DELETE) and the main table ("" when it names none)
	// but never the SQL arguments, which hold token digests, client data
	// and subjects. The returned function is called once with the
	// statement's error (nil on success) when the database has answered;
	// for queries returning rows that is when the first rows are
	// available, not when all have been read. Implementations must be
	// safe for concurrent use.
	StartStatement(ctx context.Context, dialect, operation, table string) (end func(error))
}

// Statement names a statement for tracing.
type Statement struct {
	Dialect, Operation, Table string
}

// describe names the statement s. Every statement of this package starts
// with its operation and names its main table first (joins and subqueries
// come after it), so reading two words is enough; no SQL is parsed.
func describe(dialect, s string) Statement {
	st := Statement{Dialect: dialect}
	op, rest := nextWord(s)
	st.Operation = strings.ToUpper(op)
	var after string
	switch st.Operation {
	case "SELECT", "DELETE":
		after = "FROM"
	case "INSERT", "REPLACE":
		after = "INTO"
	case "UPDATE":
		st.Table, _ = nextWord(rest)
		return st
	default:
		return st
	}
	for rest != "" {
		var w string
		w, rest = nextWord(rest)
		if strings.EqualFold(w, after) {
			st.Table, _ = nextWord(rest)
			st.Table = strings.TrimRight(st.Table, "(,;")
			return st
		}
	}
	return st
}

// nextWord splits s after its first space-separated word.
func nextWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := strings.IndexAny(s, " \t\r\n(")
	if i < 0 {
		return s, ""
	}
	if i == 0 { // "(" right at the start: a word of its own
		i = 1
	}
	return s[:i], s[i:]
}
